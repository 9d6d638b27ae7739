import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Baselines as the command line names them")
struct BaselinesTests {
    @Test(arguments: [
        ("ols", BaselineSpec.leastSquares), ("averaging", .averaging), ("ridge", .ridge(lambda: nil)),
        ("ridge:0.25", .ridge(lambda: 0.25)), ("gd", .gradientDescent(steps: nil, lambda: 0)),
        ("gd:3", .gradientDescent(steps: 3, lambda: 0)), ("gd:2:0.5", .gradientDescent(steps: 2, lambda: 0.5)),
        ("newton:0", .newton(steps: 0)), ("knn:5", .nearestNeighbours(k: 5)),
        ("gdpp:a:b.h5", .checkpoint(path: "a:b.h5")),
    ])
    func spellings(text: String, spec: BaselineSpec) throws {
        #expect(try BaselineSpec(parsing: text) == spec)
    }

    @Test(arguments: [
        ("lsq", "unknown baseline 'lsq'"), ("ridge:0", "λ must be a positive number"),
        ("ridge:x", "λ must be a positive number"),
        ("gd:0", "the number of steps K must be a whole number ≥ 1"), ("knn", "unknown baseline 'knn'"),
        ("newton:-1", "iterations K must be a whole number ≥ 0"), ("gdpp:", "unknown baseline"),
        ("gd:1:2:3", "λ must be a positive number"),
    ])
    func badSpellingsSayWhy(text: String, message: String) {
        #expect(throws: AnalysisError.self) { try BaselineSpec(parsing: text) }
        do { _ = try BaselineSpec(parsing: text) } catch { #expect("\(error)".contains(message), "\(error)") }
    }

    @Test func gdIsLineSearchedWithTheModelsDepthByDefault() {
        let tasks = LinearRegressionTasks()
        let batch = tasks.sample(count: 300, seed: 1, stream: RandomStream.evaluation, as: Float.self)
        let eta = LineSearch.search(batch.converted(to: Double.self), inputDim: 10, steps: 2).bestEta
        #expect(
            BaselineSpec.gradientDescent(steps: nil, lambda: 0).algorithm(
                tasks: tasks, batch: batch, seed: 0, defaultSteps: 2)
                == .gradientDescent(steps: 2, eta: eta, lambda: 0))
    }

    @Test func heldOutRidgeFindsTheBayesOptimalLambda() {
        // w ~ N(0, I), noise σ = 1: the posterior mean is ridge with λ = σ² = 1. The held-out loss is
        // flat near its minimum, so 3,000 small tasks place λ within a factor of about 2.
        let tasks = LinearRegressionTasks(inputDim: 3, contextSize: 6, noiseStd: 1)
        let lambda = Baselines.heldOutRidge(tasks: tasks, count: 3_000, seed: 2).lambda
        #expect(lambda > 0.5 && lambda < 2, "λ = \(lambda)")
        let noiseless = Baselines.heldOutRidge(
            tasks: LinearRegressionTasks(inputDim: 3, contextSize: 6), count: 500, seed: 2
        ).lambda
        #expect(noiseless < 0.01, "without noise less shrinkage is better: λ = \(noiseless)")
    }

    @Test func aCheckpointBaselineFollowsTheContextSize() throws {
        // A GD model (derived P = η/N) at N = 5 is GD with the same η on five examples.
        let gd = TrainedModel(
            config: ModelConfig {
                $0.architecture = .gd; $0.inputDim = 4; $0.contextSize = 10
            }, parameters: [1.3])
        let tasks = LinearRegressionTasks(inputDim: 4, contextSize: 5)
        let batch = tasks.sample(count: 100, seed: 3, stream: RandomStream.evaluation, as: Float.self)
        let resolved = try Baseline.model(name: "gd", gd).predictor(
            tasks: tasks, batch: batch, seed: 0, defaultSteps: 1)
        let report = Alignment.compare(
            resolved.predictor, Algorithm.gradientDescent(steps: 1, eta: 1.3, lambda: 0), on: batch)
        #expect(report.predictionDiff < 1e-5, "\(report)")
    }
}
