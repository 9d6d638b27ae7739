import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("GD, trained and interpolated models per problem size (Figure 2 centre right)")
struct ProblemSizeTests {
    /// d = N = 4: small enough for a debug build.
    let config = ModelConfig {
        $0.inputDim = 4; $0.contextSize = 4
    }
    var batch: TaskBatch<Float> {
        LinearRegressionTasks(inputDim: 4, contextSize: 4).sample(
            count: 400, seed: 3, stream: RandomStream.evaluation, as: Float.self)
    }

    /// The exact GD loss at η (Double, `GradientDescent`), independent of the models.
    func exactGD(_ eta: Double) -> Double {
        LineSearch.gdLoss(batch.converted(to: Double.self), inputDim: 4, steps: 1, eta: eta)
    }

    /// The GD series is one GD step at the line-searched η, computed directly and by the construction;
    /// a model that is the construction at another η interpolates to the construction at the mean η.
    @Test func theGDSeriesIsGDAndTheMidpointOfTwoConstructionsIsTheMeanStep() throws {
        let other = 0.5
        let models = [("gd η=0.5", gdModel(config, etas: [other])), ("gd η=2", gdModel(config, etas: [2]))]
        let point = try ProblemSize.point(name: "n4", models: models, on: batch)
        #expect(point.contextSize == 4 && point.inputDim == 4 && point.steps == 1 && point.tasks == 400)
        #expect(close(point.gdLoss, exactGD(point.eta), 1e-6))
        // Line-searched: no better η nearby.
        #expect(point.gdLoss <= exactGD(point.eta * 0.9) && point.gdLoss <= exactGD(point.eta * 1.1))
        for k in models.indices {
            #expect(close(point.construction[k], point.gdLoss, 1e-5), "the construction computes GD")
        }
        #expect(close(point.trained[0], exactGD(other), 1e-5))
        // Corrected products of the GD construction are linear in η: the midpoint is GD at the mean η.
        #expect(close(point.interpolated[0], exactGD((other + point.eta) / 2), 1e-5))
        #expect(close(point.interpolated[1], exactGD((2 + point.eta) / 2), 1e-5))
    }

    /// For any model the interpolation's ends are the model itself (α = 0) and GD (α = 1).
    @Test func theEndsOfTheInterpolationAreTheTrainedModelAndGD() throws {
        let model = TrainedModel(
            config: config, parameters: AttentionStack(config).layout.initialValues(seed: 3, scale: 0.5))
        let point = try ProblemSize.point(name: "n4", models: [("random", model)], on: batch)
        let gd = ProblemSize.construction(config, eta: point.eta)
        let ends = try Interpolation.curve(model, gd, alphas: [0, 1], on: batch)
        #expect(close(ends.losses[0], point.trained[0], 1e-4))
        #expect(close(ends.losses[1], point.gdLoss, 1e-5))
        #expect(close(point.trained[0], Evaluation.loss(model, on: batch), 1e-12))
    }

    @Test func modelsOfDifferentSizesOrWithoutProductsAreRefused() throws {
        let bigger = ModelConfig {
            $0.inputDim = 5; $0.contextSize = 5
        }
        #expect(throws: AnalysisError.self) {
            try ProblemSize.point(
                name: "mixed", models: [("a", gdModel(config, etas: [1])), ("b", gdModel(bigger, etas: [1]))],
                on: batch)
        }
        let twoHeads = ModelConfig {
            $0.inputDim = 4; $0.contextSize = 4; $0.heads = 2
        }
        let model = TrainedModel(
            config: twoHeads, parameters: AttentionStack(twoHeads).layout.initialValues(seed: 1, scale: 1))
        #expect(throws: AnalysisError.self) { try ProblemSize.point(name: "heads", models: [("h", model)], on: batch) }
    }
}
