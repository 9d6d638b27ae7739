import Foundation
import ICLAnalysis
import ICLModels
import ICLTasks
import Testing

@Suite("Copying sensitivities (Figure 5)")
struct CopyingTests {
    static let config = ModelConfig {
        $0.architecture = .transformer; $0.layers = 2; $0.heads = 1; $0.inputDim = 4; $0.contextSize = 3
        $0.attention = [.softmax, .linear]; $0.tokenLayout = .alternating; $0.positionalDim = 2
    }

    func batch() -> TaskBatch<Float> {
        AlternatingTokens.make(
            from: LinearRegressionTasks(inputDim: 4, contextSize: 3).sample(count: 20, seed: 1, stream: 2),
            inputDim: 4, positionalDim: 2)
    }

    /// With zero weights the layer is the identity: each output token depends on its own input
    /// token only, with gradient (1, …, 1), norm √D (the per-task measure takes every feature).
    @Test func aZeroLayerDependsOnItsOwnTokenOnly() throws {
        let stack = AttentionStack(Self.config)
        let layer = try Copying.firstLayer(Self.config, [Float](repeating: 0, count: stack.layout.count))
        let point = Copying.sensitivities(of: layer, on: batch(), measure: .perTask)
        #expect(abs(point.own - 6.0.squareRoot()) < 1e-5)
        #expect(point.next == 0 && point.others == 0)
    }

    /// Softmax attention with W_K = 0 averages every context token equally: the first layer has no
    /// preference for the next token ("next" ≈ "others"), the opposite of copying.
    @Test func uniformAttentionPrefersNoNeighbour() throws {
        let layout = AttentionStack(Self.config).layout
        var weights = [Float](repeating: 0, count: layout.count)
        let v = layout.offset("layer_0/attention/head_0/W_V"), p = layout.offset("layer_0/attention/head_0/P")
        for i in 0..<6 { weights[v + i * 6 + i] = 1; weights[p + i * 6 + i] = 1 }
        let point = Copying.sensitivities(
            of: try Copying.firstLayer(Self.config, weights), on: batch(), measure: .perTask)
        #expect(point.next > 0 && abs(point.next - point.others) < 0.15 * point.others, "\(point)")
        #expect(point.own > point.next)
    }

    @Test func modelsWithAnEmbeddingAreRefused() {
        let sine = ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 4
            $0.keyDim = 5; $0.mlpHidden = 7; $0.mlpFirst = true; $0.embeddingDim = 5
        }
        #expect(throws: AnalysisError.self) {
            try Copying.firstLayer(sine, [Float](repeating: 0, count: AttentionStack(sine).layout.count))
        }
    }
}

@Suite("Copying sensitivities, the authors' measure")
struct AuthorsCopyingTests {
    static let config = ModelConfig {
        $0.architecture = .transformer; $0.layers = 1; $0.heads = 1; $0.inputDim = 3; $0.contextSize = 2
        $0.attention = [.softmax]; $0.tokenLayout = .alternating; $0.positionalDim = 2
    }

    func batch(_ count: Int) -> TaskBatch<Float> {
        AlternatingTokens.make(
            from: LinearRegressionTasks(inputDim: 3, contextSize: 2).sample(
                count: count, seed: 3, stream: 2, as: Float.self),
            inputDim: 3, positionalDim: 2)
    }

    /// The residual alone (zero weights): own = √d for raw tokens d wide, next = others = 0; with the
    /// paper's 10-wide raw tokens, √10.
    @Test func theResidualAloneGivesOwnSquareRootOfD() throws {
        let config = ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.heads = 1; $0.inputDim = 10; $0.contextSize = 3
            $0.attention = [.softmax]; $0.tokenLayout = .alternating; $0.positionalDim = 4
        }
        let layer = try Copying.firstLayer(config, [Float](repeating: 0, count: AttentionStack(config).layout.count))
        let tasks = AlternatingTokens.make(
            from: LinearRegressionTasks(inputDim: 10, contextSize: 3).sample(
                count: 8, seed: 1, stream: 2, as: Float.self),
            inputDim: 10, positionalDim: 4)
        let point = Copying.sensitivities(of: layer, on: tasks, measure: .authors)
        #expect(abs(point.own - 10.0.squareRoot()) < 1e-5)
        #expect(point.next == 0 && point.others == 0)
    }

    /// Against a direct computation: the Jacobian of each output token's feature sum by central
    /// differences of the forward pass in Double, averaged over tasks, then the norms — and the
    /// per-task measure is larger where gradients differ in sign between tasks.
    @Test func matchesFiniteDifferencesOfTheForwardPass() throws {
        let c = Self.config
        let stack = AttentionStack(c)
        let parameters = (0..<stack.layout.count).map { Float(sin(Double($0) * 1.7)) * 0.6 }
        let layer = try Copying.firstLayer(c, parameters)
        let tasks = batch(6)
        let point = Copying.sensitivities(of: layer, on: tasks, measure: .authors)

        let T = c.tokenCount, W = c.tokenDim, D = c.modelDim, d = c.inputDim, B = tasks.count
        let weights = parameters.map(Double.init)
        let workspace = stack.makeWorkspace(batchSize: 1, as: Double.self)
        workspace.computeAllTokens = true
        func tokenSums(_ tokens: [Double]) -> [Double] {
            _ = stack.forward(parameters: weights, tokens: tokens, count: 1, workspace: workspace)
            let out = workspace.outputTokens()
            return (0..<T).map { k in (0..<D).reduce(0.0) { $0 + out[k * D + $1] } }
        }
        // mean[k][j][f] = mean over tasks of ∂t_k/∂e_j[f]
        var mean = [Double](repeating: 0, count: T * T * d)
        let h = 1e-5
        for b in 0..<B {
            let task = (0..<(T * W)).map { Double(tasks.tokens[b * T * W + $0]) }
            for j in 0..<T {
                for f in 0..<d {
                    var plus = task, minus = task
                    plus[j * W + f] += h
                    minus[j * W + f] -= h
                    let (up, down) = (tokenSums(plus), tokenSums(minus))
                    for k in 0..<T { mean[(k * T + j) * d + f] += (up[k] - down[k]) / (2 * h) / Double(B) }
                }
            }
        }
        func norm(_ k: Int, _ j: Int) -> Double {
            (0..<d).reduce(0.0) { $0 + pow(mean[(k * T + j) * d + $1], 2) }.squareRoot()
        }
        let outputs = T - 2
        let own = (0..<outputs).reduce(0.0) { $0 + norm($1, $1) } / Double(outputs)
        let next = (0..<outputs).reduce(0.0) { $0 + norm($1, $1 + 1) } / Double(outputs)
        let others =
            (0..<outputs).reduce(0.0) { sum, k in
                sum + (0..<T).filter { $0 != k }.reduce(0.0) { $0 + norm(k, $1) } / Double(outputs)
            }
            / Double(outputs)
        #expect(abs(point.own - own) < 1e-3 * own, "own \(point.own) vs \(own)")
        #expect(abs(point.next - next) < 1e-3 * max(next, 1e-2), "next \(point.next) vs \(next)")
        #expect(abs(point.others - others) < 1e-3 * max(others, 1e-2), "others \(point.others) vs \(others)")
        #expect(
            abs(point.own - 3.0.squareRoot()) > 1e-3, "the attention weights must move own away from the residual's √d")

        let perTask = Copying.sensitivities(of: layer, on: tasks, measure: .perTask)
        #expect(perTask.next >= point.next)
    }
}
