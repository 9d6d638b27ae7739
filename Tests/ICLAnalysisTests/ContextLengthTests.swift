import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Loss against the number of in-context examples")
struct ContextLengthTests {
    @Test func linearAttentionAtAnotherLengthSumsOverMoreExamples() throws {
        // The Proposition 1 weights fix P = η/N at the training N = 10: at n examples the layer is a GD
        // step with η n / N. With η = 2, n = 5 that is η = 1: averaging.
        let model = gdModel(ModelConfig { $0.layers = 1 }, etas: [2])
        let base = LinearRegressionTasks()
        let sweep = try ContextLength.sweep(
            models: [("gd", model)], baselines: [("averaging", .algorithm(.averaging))],
            base: base, lengths: [2, 5, 20], count: 200, seed: 1)
        #expect(sweep.lengths == [2, 5, 20] && sweep.trainingContextSize == 10)
        let diff = sweep.alignment[0].predictionDiff
        #expect(diff[1] < 1e-5 && diff[0] > 1e-3 && diff[2] > 1e-3, "\(diff)")
        #expect(sweep.alignment[0].sensitivityCosine.allSatisfy { $0 > 1 - 1e-5 }, "both are GD: same direction")
        // The losses are those of the models on tasks with n examples.
        var five = base
        five.contextSize = 5
        let batch = five.sample(count: 200, seed: 1, stream: RandomStream.evaluation, as: Float.self)
        #expect(sweep.baselines[0].losses[1] == Evaluation.loss(Algorithm.averaging, on: batch))
        #expect(sweep.models[0].losses[1] == Evaluation.loss(try ContextLength.model(model, contextSize: 5), on: batch))
    }

    @Test func gdIsLineSearchedAtEveryLength() throws {
        let sweep = try ContextLength.sweep(
            models: [("gd", gdModel(ModelConfig { $0.inputDim = 3 }, etas: [1]))],
            baselines: [("gd", .algorithm(.gradientDescent(steps: nil, lambda: 0)))],
            base: LinearRegressionTasks(inputDim: 3), lengths: [1, 30], count: 200, seed: 2)
        let resolved = try #require(sweep.baselines[0].resolved)
        #expect(
            resolved.count == 2 && resolved[0] != resolved[1] && resolved.allSatisfy { $0.hasPrefix("GD 1 step η=") },
            "\(resolved)")
    }

    @Test func modelsOfOtherTasksAreRefused() {
        #expect(
            throws: AnalysisError(
                "gd: the model reads tasks with d = 10, 1 output(s), N = 10, but the tasks have d = 3, 1 output(s), N = 10"
            )
        ) {
            try ContextLength.sweep(
                models: [("gd", gdModel(ModelConfig(), etas: [1]))], baselines: [],
                base: LinearRegressionTasks(inputDim: 3), lengths: [4], count: 10, seed: 0)
        }
    }

    @Test func modelsWithPositionsReadOneLengthOnly() throws {
        let config = ModelConfig {
            $0.inputDim = 3; $0.contextSize = 4; $0.tokenLayout = .alternatingOneHot; $0.positionalDim = 9
        }
        let model = TrainedModel(
            config: config, parameters: [Float](repeating: 0, count: AttentionStack(config).layout.count))
        #expect(throws: AnalysisError.self) { try ContextLength.model(model, contextSize: 5) }
        #expect(try ContextLength.model(model, contextSize: 4).config == config)
    }
}
