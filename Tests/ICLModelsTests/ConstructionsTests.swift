import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Proposition 1 construction equals gradient descent (Double, 1e-12)")
struct ConstructionsTests {
    @Test func oneLayerEqualsOneGDStepAndTheClosedForm() {
        let config = ModelConfig {
            $0.layers = 1; $0.inputDim = 10; $0.contextSize = 10
        }
        let batch = LinearRegressionTasks().sample(count: 50, seed: 4, stream: 1, as: Double.self)
        let eta = 0.9
        let stack = AttentionStack(config)
        let y = stack.forward(
            parameters: Construction.gradientDescent(config, etas: [eta]), tokens: batch.tokens,
            count: 50, workspace: stack.makeWorkspace(batchSize: 50, as: Double.self))
        let gd = GradientDescent.predict(batch, inputDim: 10, etas: [eta])
        for b in 0..<50 {
            // Closed form: ŷ = (η/N) Σ_i y_i x_iᵀ x_q
            let task = b * 11 * 11
            var closed = 0.0
            for i in 0..<10 {
                var xx = 0.0
                for k in 0..<10 { xx += batch.tokens[task + i * 11 + k] * batch.tokens[task + 10 * 11 + k] }
                closed += batch.tokens[task + i * 11 + 10] * xx
            }
            closed *= eta / 10
            #expect(abs(y[b] - closed) <= 1e-12)
            #expect(abs(y[b] - gd[b]) <= 1e-12)
        }
    }

    @Test(arguments: [(3, false), (3, true), (5, false)])
    func stackedLayersEqualGDSteps(layers: Int, recurrent: Bool) {
        let config = ModelConfig {
            $0.layers = layers; $0.recurrent = recurrent; $0.inputDim = 4; $0.outputDim = 2; $0.contextSize = 6
        }
        let tasks = LinearRegressionTasks(inputDim: 4, outputDim: 2, contextSize: 6, inputRange: 2)
        let batch = tasks.sample(count: 20, seed: 9, stream: 2, as: Double.self)
        let etas = recurrent ? [0.7] : (0..<layers).map { 0.5 + 0.1 * Double($0) }
        let stack = AttentionStack(config)
        let y = stack.forward(
            parameters: Construction.gradientDescent(config, etas: etas), tokens: batch.tokens,
            count: 20, workspace: stack.makeWorkspace(batchSize: 20, as: Double.self))
        let gd = GradientDescent.predict(
            batch, inputDim: 4, etas: recurrent ? Array(repeating: 0.7, count: layers) : etas)
        for k in y.indices { #expect(abs(y[k] - gd[k]) <= 1e-12 * max(1, abs(gd[k]))) }
        // And GD really learns something here: the loss falls with steps.
        let one = GradientDescent.predict(batch, inputDim: 4, etas: [etas[0]])
        #expect(
            GradientDescent.loss(predictions: gd, targets: batch.targets, count: 20)
                < GradientDescent.loss(predictions: one, targets: batch.targets, count: 20))
    }
}

@Suite("Gradient-descent models equal GD and GD++ computed directly (Double, 1e-12)")
struct GradientDescentModelTests {
    @Test(arguments: [(ModelConfig.Architecture.gd, false), (.gdpp, false), (.gdpp, true)])
    func modelEqualsTheDirectComputation(architecture: ModelConfig.Architecture, recurrent: Bool) {
        let config = ModelConfig {
            $0.architecture = architecture; $0.layers = 3; $0.recurrent = recurrent; $0.inputDim = 4; $0.outputDim = 2
            $0.contextSize = 7
        }
        let tasks = LinearRegressionTasks(inputDim: 4, outputDim: 2, contextSize: 7, inputRange: 2)
        let batch = tasks.sample(count: 15, seed: 3, stream: 4, as: Double.self)
        let stack = AttentionStack(config)
        let Lp = config.parameterLayers
        let etas = (0..<Lp).map { 0.8 + 0.2 * Double($0) }
        let gammas = architecture == .gdpp ? (0..<Lp).map { 0.05 + 0.01 * Double($0) } : []
        let y = stack.forward(
            parameters: etas + gammas, tokens: batch.tokens, count: 15,
            workspace: stack.makeWorkspace(batchSize: 15, as: Double.self))
        let perStep = { (values: [Double]) in recurrent ? Array(repeating: values[0], count: 3) : values }
        let direct = GradientDescent.predictPlusPlus(
            batch, inputDim: 4, etas: perStep(etas),
            gammas: gammas.isEmpty ? [0, 0, 0] : perStep(gammas))
        for k in y.indices { #expect(abs(y[k] - direct[k]) <= 1e-12 * max(1, abs(direct[k]))) }
        if architecture == .gd {
            // And plain GD from W_0 = 0, as the linear-model computation has it.
            let gd = GradientDescent.predict(batch, inputDim: 4, etas: etas)
            for k in y.indices { #expect(abs(y[k] - gd[k]) <= 1e-12 * max(1, abs(gd[k]))) }
        }
    }
}

@Suite("mlp_gd: one frozen GD step on meta-learned features")
struct MLPGradientDescentTests {
    @Test func predictionIsOneGDStepOnTheMLPFeatures() throws {
        let config = ModelConfig {
            $0.architecture = .mlpGD; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 6
            $0.keyDim = 6; $0.mlpHidden = 9; $0.mlpFirst = true; $0.embeddingDim = 6; $0.fixedEta = 0.4
        }
        let model = AttentionStack(config)
        var random = ICLMath.SplitMix64(seed: 5)
        let parameters = (0..<model.layout.count).map { _ in 0.5 * random.normal() }
        let batch = SineTasks(contextSize: 6).sample(count: 4, seed: 1, stream: 2, as: Double.self)
        let y = model.forward(
            parameters: parameters, tokens: batch.tokens, count: 4,
            workspace: model.makeWorkspace(batchSize: 4, as: Double.self))
        // The features: the same embedding and MLP, with an attention that does nothing (P = 0).
        var features = config
        features.architecture = .transformer
        let plain = AttentionStack(features)
        var weights = [Double](repeating: 0, count: plain.layout.count)
        for entry in model.layout.entries {
            let target = plain.layout.offset(entry.name)
            for k in 0..<entry.count { weights[target + k] = parameters[entry.offset + k] }
        }
        let workspace = plain.makeWorkspace(batchSize: 4, as: Double.self)
        workspace.computeAllTokens = true
        _ = plain.forward(parameters: weights, tokens: batch.tokens, count: 4, workspace: workspace)
        let h = workspace.outputTokens()
        for b in 0..<4 {
            let token = { (j: Int) in Array(h[((b * 7 + j) * 6)..<((b * 7 + j + 1) * 6)]) }
            let query = token(6)
            // ŷ = (η/N) Σ_i ỹ_i φ_iᵀ φ_q − ỹ_q  (the query's own transformed target is W_0's prediction)
            var expected = -query[5]
            for i in 0..<6 {
                let e = token(i)
                var dot = 0.0
                for k in 0..<5 { dot += e[k] * query[k] }
                expected += 0.4 / 6 * e[5] * dot
            }
            #expect(abs(y[b] - expected) <= 1e-12 * max(1, abs(expected)))
        }
    }
}

@Suite("Proposition 3: the copy construction builds Proposition 1's tokens")
struct CopyConstructionTests {
    @Test(arguments: [(4, 3), (10, 10)])
    func everyInputTokenReceivesItsTarget(inputDim d: Int, contextSize N: Int) {
        let T = 2 * N + 1
        let config = ModelConfig {
            $0.architecture = .lsa; $0.layers = 1; $0.heads = 1; $0.inputDim = d; $0.contextSize = N
            $0.tokenLayout = .alternatingOneHot; $0.positionalDim = T
        }
        #expect(config.problems().isEmpty, "\(config.problems())")
        let paired = LinearRegressionTasks(inputDim: d, contextSize: N).sample(
            count: 5, seed: 3, stream: 1, as: Double.self)
        let tokens = AlternatingTokens.make(from: paired, inputDim: d, positionalDim: T, oneHot: true)
        let stack = AttentionStack(config)
        let workspace = stack.makeWorkspace(batchSize: 5, as: Double.self)
        workspace.computeAllTokens = true
        _ = stack.forward(parameters: Construction.copy(config), tokens: tokens.tokens, count: 5, workspace: workspace)
        let out = workspace.outputTokens(), D = d + T
        for b in 0..<5 {
            for m in 0..<N {
                // Token 2m now holds Proposition 1's (x_m, y_m): x in the data slot, y where the
                // position code was (at the last data coordinate of the slot), the rest zero.
                let token = (b * T + 2 * m) * D, source = (b * (N + 1) + m) * (d + 1)
                for k in 0..<d { #expect(abs(out[token + k] - paired.tokens[source + k]) < 1e-12) }
                for k in 0..<T {
                    let expected = k == d - 1 ? paired.tokens[source + d] : 0
                    #expect(abs(out[token + d + k] - expected) < 1e-12)
                }
            }
            // The query token has no successor: unchanged.
            let query = (b * T + T - 1) * D
            for k in 0..<D { #expect(abs(out[query + k] - tokens.tokens[query + k]) < 1e-12) }
        }
    }
}
