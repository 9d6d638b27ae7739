import ICLMath
import ICLModels
import ICLTasks
import ICLTestSupport
import Testing

/// Random Double parameters of a size that makes every term of the layer matter.
func randomParameters(_ stack: AttentionStack, seed: UInt64, std: Double = 0.3) -> [Double] {
    var random = SplitMix64(seed: seed)
    return (0..<stack.layout.count).map { _ in std * random.normal() }
}

func tasks(_ config: ModelConfig, count: Int, seed: UInt64) -> TaskBatch<Double> {
    let paired = LinearRegressionTasks(
        inputDim: config.inputDim, outputDim: config.outputDim, contextSize: config.contextSize
    )
    .sample(count: count, seed: seed, stream: 7, as: Double.self)
    return config.tokenLayout.tokens(from: paired, inputDim: config.inputDim, positionalDim: config.positionalDim)
}

/// `L = Σ ŷ ⊙ probe` for the stack, with parameter and token gradients from one backward pass.
struct ProbedStack {
    let stack: AttentionStack
    let batch: TaskBatch<Double>
    let probe: [Double]
    /// Run the last layer on every token (the general kernel) instead of the query-only one.
    var allTokens = false

    func workspace() -> Workspace<Double> {
        let workspace = stack.makeWorkspace(batchSize: batch.count, as: Double.self)
        workspace.computeAllTokens = allTokens
        return workspace
    }

    func loss(parameters: [Double], tokens: [Double]) -> Double {
        let workspace = workspace()
        let y = stack.forward(parameters: parameters, tokens: tokens, count: batch.count, workspace: workspace)
        return zip(y, probe).reduce(0) { $0 + $1.0 * $1.1 }
    }

    func gradients(parameters: [Double], repeats: Int = 1) -> (parameters: [Double], tokens: [Double]) {
        let workspace = workspace()
        _ = stack.forward(parameters: parameters, tokens: batch.tokens, count: batch.count, workspace: workspace)
        var grads = [Double](repeating: 0, count: parameters.count)
        var dTokens = [Double](repeating: 0, count: batch.tokens.count)
        for _ in 0..<repeats {
            dTokens.withUnsafeMutableBufferPointer { d in
                stack.backward(
                    parameters: parameters, dPredictions: probe, workspace: workspace,
                    gradients: &grads, inputGradients: d.baseAddress!)
            }
        }
        return (grads, dTokens)
    }
}

@Suite("AttentionStack gradients against finite differences (Double)")
struct AttentionStackGradientTests {
    static let configurations: [ModelConfig] = [
        ModelConfig {
            $0.layers = 1; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.layers = 1; $0.heads = 2; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.layers = 2; $0.heads = 1; $0.recurrent = false; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.layers = 2; $0.heads = 2; $0.recurrent = false; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.layers = 2; $0.heads = 1; $0.recurrent = true; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.layers = 2; $0.heads = 2; $0.recurrent = true; $0.inputDim = 3; $0.contextSize = 4; $0.keyDim = 5
        },
        ModelConfig {
            $0.layers = 2; $0.heads = 1; $0.inputDim = 2; $0.outputDim = 2; $0.contextSize = 3
        },
        // The rest of the family: softmax, mixed, LayerNorm, MLP blocks, an embedding, alternating tokens.
        ModelConfig {
            $0.architecture = .softmax; $0.layers = 1; $0.heads = 2; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
            $0.attention = [.softmax, .linear]
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
            $0.layerNorm = true
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
            $0.layerNorm = true
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 2; $0.recurrent = true; $0.inputDim = 3
            $0.contextSize = 4; $0.layerNorm = true; $0.mlpHidden = 6
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 2; $0.inputDim = 3; $0.contextSize = 4
            $0.mlpHidden = 5
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.inputDim = 3; $0.contextSize = 4; $0.mlpHidden = 5
            $0.activation = .relu
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.heads = 1; $0.recurrent = true; $0.inputDim = 1
            $0.contextSize = 4; $0.keyDim = 5; $0.mlpHidden = 7; $0.mlpFirst = true; $0.embeddingDim = 5
        },
        // An MLP block first, on the raw tokens (its token gradient is skipped in training).
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
            $0.mlpHidden = 5; $0.mlpFirst = true
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 3
            $0.attention = [.softmax, .linear]; $0.tokenLayout = .alternating; $0.positionalDim = 2
        },
        // Gradient descent models: the gradients of η and γ through the derived weights.
        ModelConfig {
            $0.architecture = .gd; $0.layers = 2; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.architecture = .gdpp; $0.layers = 3; $0.inputDim = 3; $0.contextSize = 4
        },
        ModelConfig {
            $0.architecture = .gdpp; $0.layers = 2; $0.recurrent = true; $0.inputDim = 3; $0.outputDim = 2
            $0.contextSize = 4
        },
        ModelConfig {
            $0.architecture = .mlpGD; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 4
            $0.keyDim = 5; $0.mlpHidden = 7; $0.mlpFirst = true; $0.embeddingDim = 5; $0.fixedEta = 0.7
        },
    ]

    @Test(arguments: configurations, [false, true])
    func everyParameterAndTokenMatchesFiniteDifferences(config: ModelConfig, allTokens: Bool) throws {
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 3, seed: 11)
        let parameters = randomParameters(stack, seed: 5)
        let probed = ProbedStack(
            stack: stack, batch: batch, probe: GradientCheck.probe(count: 3 * config.outputDim, seed: 9),
            allTokens: allTokens)
        let (dParameters, dTokens) = probed.gradients(parameters: parameters)
        let mismatches = GradientCheck().compareAll(
            tensors: stack.layout.entries.map { ($0.name, $0.range) }, parameters: parameters, dParameters: dParameters,
            tokens: batch.tokens, dTokens: dTokens
        ) { probed.loss(parameters: $0, tokens: $1) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        // The query's own token matters (it is a query, not a key): its gradient is not all zero.
        let query = (config.tokenCount - 1) * config.tokenDim
        #expect(dTokens[query..<(query + config.inputDim)].contains { $0 != 0 })
    }

    /// Training asks for no token gradient, so the first block on raw tokens skips it: the
    /// parameter gradients must not change (they are the ones checked above, with token gradients).
    @Test(arguments: configurations, [false, true])
    func parameterGradientsDoNotDependOnAskingForTokenGradients(config: ModelConfig, allTokens: Bool) {
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 3, seed: 11)
        let parameters = randomParameters(stack, seed: 5)
        let probed = ProbedStack(
            stack: stack, batch: batch, probe: GradientCheck.probe(count: 3 * config.outputDim, seed: 9),
            allTokens: allTokens)
        let withTokens = probed.gradients(parameters: parameters).parameters
        let workspace = probed.workspace()
        _ = stack.forward(parameters: parameters, tokens: batch.tokens, count: batch.count, workspace: workspace)
        var alone = [Double](repeating: 0, count: parameters.count)
        stack.backward(parameters: parameters, dPredictions: probed.probe, workspace: workspace, gradients: &alone)
        let worst = zip(withTokens, alone).map { abs($0 - $1) / max(abs($0), 1e-12) }.max() ?? 0
        #expect(worst < 1e-12, "largest relative difference \(worst)")
    }

    @Test(arguments: [false, true])
    func clippedTokensPassNoGradientAndTheRestMatches(allTokens: Bool) throws {
        var config = ModelConfig {
            $0.layers = 2; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
        }
        config.clipTokens = 0.45
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 3, seed: 12)
        let parameters = randomParameters(stack, seed: 6, std: 0.6)
        let probed = ProbedStack(stack: stack, batch: batch, probe: [0.3, -0.7, 0.9], allTokens: allTokens)
        let workspace = probed.workspace()
        _ = stack.forward(parameters: parameters, tokens: batch.tokens, count: 3, workspace: workspace)
        // Clipped entries in the query rows of the last layer, the ones the read-out sees.
        let output = workspace.outputTokens()
        var clippedQueryEntries = 0
        for b in 0..<3 {
            let query = (b * 5 + 4) * 4  // T = 5 tokens of width D = 4; the query is the last
            for k in query..<(query + 4) where abs(output[k]) == 0.45 { clippedQueryEntries += 1 }
        }
        try #require(clippedQueryEntries > 0, "the test needs some clipped query entries")
        let (dParameters, dTokens) = probed.gradients(parameters: parameters)
        let check = GradientCheck()
        #expect(
            check.compare(tensor: "parameters", values: parameters, analytic: dParameters) {
                probed.loss(parameters: $0, tokens: batch.tokens)
            }.isEmpty)
        #expect(
            check.compare(tensor: "tokens", values: batch.tokens, analytic: dTokens) {
                probed.loss(parameters: parameters, tokens: $0)
            }.isEmpty)
    }

    @Test func backwardTwiceDoublesTheGradients() {
        let config = ModelConfig {
            $0.layers = 2; $0.heads = 2; $0.inputDim = 3; $0.contextSize = 4
        }
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 4, seed: 1)
        let probed = ProbedStack(stack: stack, batch: batch, probe: GradientCheck.probe(count: 4, seed: 2))
        let parameters = randomParameters(stack, seed: 3)
        let once = probed.gradients(parameters: parameters).parameters
        let twice = probed.gradients(parameters: parameters, repeats: 2).parameters
        #expect(GradientCheck.firstNotDoubled(once: once, twice: twice) == nil)
    }

    @Test func theCheckerCatchesAGradientOffByOnePercent() {
        let config = ModelConfig {
            $0.layers = 1; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 4
        }
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 2, seed: 1)
        let probed = ProbedStack(stack: stack, batch: batch, probe: [1, -1])
        let parameters = randomParameters(stack, seed: 4)
        var (dParameters, _) = probed.gradients(parameters: parameters)
        let k = stack.weights.layers[0].heads[0].W_Q + 1
        dParameters[k] *= 1.01
        let mismatches = GradientCheck().compare(tensor: "parameters", values: parameters, analytic: dParameters) {
            probed.loss(parameters: $0, tokens: batch.tokens)
        }
        #expect(mismatches.map(\.index) == [k])
    }

    /// Linear attention last, and blocks of attention then MLP (the MLP of the last one on the query
    /// rows alone; four heads, as mlp-12-4head, with clipped tokens).
    @Test(arguments: [
        ModelConfig {
            $0.layers = 3; $0.heads = 2; $0.recurrent = false; $0.inputDim = 5; $0.contextSize = 6
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 3; $0.heads = 4; $0.inputDim = 5; $0.contextSize = 6
            $0.mlpHidden = 8; $0.clipTokens = 10
        },
    ])
    func queryOnlyAndAllTokenKernelsAgree(config: ModelConfig) {
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 5, seed: 21)
        let parameters = randomParameters(stack, seed: 22)
        let probe = GradientCheck.probe(count: 5, seed: 23)
        let fast = ProbedStack(stack: stack, batch: batch, probe: probe, allTokens: false)
        let full = ProbedStack(stack: stack, batch: batch, probe: probe, allTokens: true)
        let (a, b) = (fast.gradients(parameters: parameters), full.gradients(parameters: parameters))
        for k in a.parameters.indices {
            #expect(abs(a.parameters[k] - b.parameters[k]) <= 1e-12 * max(1, abs(b.parameters[k])))
        }
        for k in a.tokens.indices { #expect(abs(a.tokens[k] - b.tokens[k]) <= 1e-12 * max(1, abs(b.tokens[k]))) }
    }

    @Test func floatAndDoubleAgree() {
        let config = ModelConfig {
            $0.layers = 2; $0.heads = 2; $0.inputDim = 10; $0.contextSize = 10
        }
        let stack = AttentionStack(config)
        let batch = tasks(config, count: 40, seed: 3)
        let parameters = randomParameters(stack, seed: 8, std: 0.1)
        let wsD = stack.makeWorkspace(batchSize: 40, as: Double.self)
        let wsF = stack.makeWorkspace(batchSize: 40, as: Float.self)
        let yD = stack.forward(parameters: parameters, tokens: batch.tokens, count: 40, workspace: wsD)
        let yF = stack.forward(
            parameters: parameters.map { Float($0) }, tokens: batch.tokens.map { Float($0) }, count: 40, workspace: wsF)
        for b in 0..<40 { #expect(abs(Double(yF[b]) - yD[b]) <= 1e-5 * max(1, abs(yD[b]))) }
    }
}

@Suite("The fast Float path (OpenBLAS, Float transcendentals) against the Double reference")
struct FastPathTests {
    static let configurations: [ModelConfig] = [
        ModelConfig {
            $0.layers = 3; $0.heads = 2; $0.inputDim = 10; $0.contextSize = 10
        },
        ModelConfig {
            $0.architecture = .softmax; $0.layers = 1; $0.heads = 2; $0.inputDim = 10; $0.contextSize = 10
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 4; $0.inputDim = 10; $0.contextSize = 10
            $0.layerNorm = true; $0.mlpHidden = 44
        },
        // mlp-12-4head's blocks: contracted heads on the lanes, the last MLP on the query rows alone.
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 2; $0.heads = 4; $0.inputDim = 10; $0.contextSize = 10
            $0.mlpHidden = 44
        },
        ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 10
            $0.keyDim = 40; $0.mlpHidden = 160; $0.mlpFirst = true; $0.embeddingDim = 40
        },
    ]

    @Test(arguments: configurations)
    func floatGradientsMatchTheDoubleReference(config: ModelConfig) {
        let stack = AttentionStack(config)
        let count = 40
        let batch: TaskBatch<Double> =
            config.embeddingDim > 0
            ? SineTasks(contextSize: config.contextSize).sample(count: count, seed: 2, stream: 3)
            : tasks(config, count: count, seed: 2)
        let parameters = randomParameters(stack, seed: 4, std: 0.15)
        let probe = GradientCheck.probe(count: count, seed: 5)
        func run<T: BinaryFloatingPoint>(_: T.Type) -> (y: [Double], g: [Double], dx: [Double]) {
            let ws = stack.makeWorkspace(batchSize: count, as: T.self)
            let y = stack.forward(
                parameters: parameters.map { T($0) }, tokens: batch.tokens.map { T($0) }, count: count, workspace: ws)
            var g = [T](repeating: 0, count: parameters.count)
            var dx = [T](repeating: 0, count: batch.tokens.count)
            dx.withUnsafeMutableBufferPointer {
                stack.backward(
                    parameters: parameters.map { T($0) }, dPredictions: probe.map { T($0) }, workspace: ws,
                    gradients: &g, inputGradients: $0.baseAddress!)
            }
            return (y.map { Double($0) }, g.map { Double($0) }, dx.map { Double($0) })
        }
        let fast = run(Float.self), reference = run(Double.self)
        func relativeError(_ a: [Double], _ b: [Double]) -> Double {
            let difference = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            return difference / max(b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-30)
        }
        #expect(relativeError(fast.y, reference.y) < 1e-5)
        #expect(relativeError(fast.g, reference.g) < 1e-4)
        #expect(relativeError(fast.dx, reference.dx) < 1e-4)
    }
}
