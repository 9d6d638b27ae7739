import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Algorithm fingerprint")
struct FingerprintTests {
    let tasks = LinearRegressionTasks(inputDim: 3, contextSize: 5)

    @Test func oneGDStepIsFoundAsOneGDStep() throws {
        let batch = tasks.sample(count: 300, seed: 1, stream: RandomStream.evaluation, as: Float.self)
        let eta = Baselines.lineSearchedEta(batch, steps: 1, lambda: 0)
        let model = gdModel(
            ModelConfig {
                $0.inputDim = 3; $0.contextSize = 5
            }, etas: [eta])
        let result = try Fingerprinting.fingerprint(model, tasks: tasks, count: 300, seed: 1, maxSteps: 3)
        #expect(result.families.map(\.family) == ["least squares", "ridge", "GD", "Newton", "k-NN", "averaging"])
        let gd = try #require(result.families.first { $0.family == "GD" })
        #expect(gd.members.map(\.spelling) == ["gd:1", "gd:2", "gd:3"])
        #expect(
            gd.best.spelling == "gd:1" && gd.best.report.predictionDiff < 1e-5
                && gd.best.report.sensitivityCosine > 1 - 1e-5, "\(gd.best)")
        // Another family is measurably further away.
        let ols = try #require(result.families.first { $0.family == "least squares" })
        #expect(ols.best.report.predictionDiff > 100 * gd.best.report.predictionDiff)
        #expect(result.layers.isEmpty && result.layersNote == nil)
    }

    @Test func noisyTasksAddTheRidgeGDFamily() throws {
        let noisy = LinearRegressionTasks(inputDim: 3, contextSize: 5, noiseStd: 0.5)
        let model = gdModel(
            ModelConfig {
                $0.layers = 2; $0.recurrent = true; $0.inputDim = 3; $0.contextSize = 5
            }, etas: [1])
        let result = try Fingerprinting.fingerprint(model, tasks: noisy, count: 50, seed: 4, maxSteps: 2)
        let ridgeGD = try #require(result.families.last)
        #expect(
            ridgeGD.family == "ridge-GD"
                && ridgeGD.members.map(\.spelling) == [
                    "gd:2:0.01", "gd:2:0.03162", "gd:2:0.1", "gd:2:0.3162",
                    "gd:2:1", "gd:2:3.162", "gd:2:10",
                ])
    }

    @Test func deepModelsAreReadOutAfterEveryLayer() throws {
        // Three separate GD layers: the readout after layer l is l GD steps.
        let config = ModelConfig {
            $0.layers = 3; $0.inputDim = 3; $0.contextSize = 5
        }
        let model = gdModel(config, etas: [1, 1, 1])
        let two = try Fingerprinting.truncated(model, layers: 2)
        let batch = tasks.sample(count: 100, seed: 2, stream: RandomStream.evaluation, as: Float.self)
        let direct = Algorithm.gradientDescent(steps: 2, eta: 1, lambda: 0).predictions(batch),
            read = two.predictions(batch)
        for b in 0..<100 { #expect(abs(direct[b] - read[b]) < 1e-5) }
        let result = try Fingerprinting.fingerprint(model, tasks: tasks, count: 100, seed: 2, maxSteps: 3)
        #expect(result.layers.map(\.layer) == [1, 2, 3])
        #expect(result.layers.allSatisfy { Set($0.best.map(\.family)) == Fingerprinting.layerFamilies })
        #expect(result.layers[2].loss == result.loss)
        #expect(result.layers[0].loss > result.layers[2].loss)
    }

    @Test func gdModelsWithSeparateLayersHaveNoReadoutPerLayer() throws {
        let model = TrainedModel(
            config: ModelConfig {
                $0.architecture = .gd; $0.layers = 2; $0.inputDim = 3; $0.contextSize = 5
            }, parameters: [1, 1])
        #expect(throws: AnalysisError.self) { try Fingerprinting.truncated(model, layers: 1) }
        let result = try Fingerprinting.fingerprint(model, tasks: tasks, count: 50, seed: 3, maxSteps: 2)
        #expect(result.layers.isEmpty && result.layersNote?.contains("per-layer weights") == true)
    }
}
