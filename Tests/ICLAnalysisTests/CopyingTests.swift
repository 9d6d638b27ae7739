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
        AlternatingTokens.make(from: LinearRegressionTasks(inputDim: 4, contextSize: 3).sample(count: 20, seed: 1, stream: 2),
                               inputDim: 4, positionalDim: 2)
    }

    /// With zero weights the layer is the identity: each output token depends on its own input
    /// token only, with gradient (1, …, 1), norm √D.
    @Test func aZeroLayerDependsOnItsOwnTokenOnly() throws {
        let stack = AttentionStack(Self.config)
        let layer = try Copying.firstLayer(Self.config, [Float](repeating: 0, count: stack.layout.count))
        let point = Copying.sensitivities(of: layer, on: batch())
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
        let point = Copying.sensitivities(of: try Copying.firstLayer(Self.config, weights), on: batch())
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
