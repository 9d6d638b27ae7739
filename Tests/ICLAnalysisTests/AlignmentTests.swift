import ICLAnalysis
import ICLModels
import ICLTasks
import Testing

/// `Alignment.compare` (Figure 2's measures) on two tasks small enough to work out by hand.
@Suite struct AlignmentTests {
    /// d = 2, N = 2: x_1 = (1, 0), x_2 = (1, 1), x_q = (1, −1); task 1 has y = (1, 2) and y_q = 0, task 2
    /// y = (−1, −2) and y_q = 0.5. GD from w = 0 with η = 1 gives, for task 1,
    ///     w_1 = (η/N) Σ y_i x_i = (1.5, 1),   w_2 = w_1 − (η/N) Σ (w_1·x_i − y_i) x_i = (1, 0.75),
    /// and task 2 the negatives. The prediction is w·x_q and its sensitivity ∂ŷ/∂x_q is w.
    @Test func oneAgainstTwoStepsOfGradientDescent() {
        var batch = TaskBatch<Float>(count: 2, tokenCount: 3, tokenDim: 3, outputDim: 1)
        for (t, sign) in [(0, Float(1)), (1, Float(-1))] {
            batch.tokens.replaceSubrange((t * 9)..<(t * 9 + 9), with: [1, 0, sign * 1, 1, 1, sign * 2, 1, -1, 0])
        }
        batch.targets = [0, 0.5]
        let one = ModelConfig {
            $0.layers = 1; $0.inputDim = 2; $0.contextSize = 2
        }
        let two = ModelConfig {
            $0.layers = 2; $0.recurrent = true; $0.inputDim = 2; $0.contextSize = 2
        }
        let a = TrainedModel(config: one, parameters: Construction.gradientDescent(one, etas: [1]).map { Float($0) })
        let b = TrainedModel(config: two, parameters: Construction.gradientDescent(two, etas: [1]).map { Float($0) })
        let report = Alignment.compare(a, b, on: batch)
        // ŷ_A = ±0.5, ŷ_B = ±0.25: losses ½(0.5 − 0)², ½(−0.5 − 0.5)² and ½(0.25)², ½(−0.25 − 0.5)².
        let pairs: [(String, Double, Double)] = [
            ("loss A", report.lossA, (0.125 + 0.5) / 2), ("loss B", report.lossB, (0.03125 + 0.28125) / 2),
            ("prediction diff", report.predictionDiff, 0.25),
            // w_1·w_2 / (‖w_1‖ ‖w_2‖) and ‖w_1 − w_2‖ = ‖(0.5, 0.25)‖
            ("sensitivity cosine", report.sensitivityCosine, 2.25 / (3.25.squareRoot() * 1.5625.squareRoot())),
            ("sensitivity diff", report.sensitivityDiff, 0.3125.squareRoot()),
        ]
        #expect(report.tasks == 2)
        for (name, got, want) in pairs { #expect(abs(got - want) < 1e-6, "\(name): \(got), by hand \(want)") }
        #expect(report.sensitivityCosine < 0.999, "not parallel: \(report.sensitivityCosine)")
    }

    /// A model compared with itself: no difference, cosine 1 (up to the ε in its norms).
    @Test func aModelAgainstItself() {
        let config = ModelConfig {
            $0.layers = 1; $0.inputDim = 2; $0.contextSize = 2
        }
        let gd = TrainedModel(
            config: config, parameters: Construction.gradientDescent(config, etas: [0.7]).map { Float($0) })
        let batch = LinearRegressionTasks(inputDim: 2, contextSize: 2).sample(
            count: 50, seed: 3, stream: 9, as: Float.self)
        let report = Alignment.compare(gd, gd, on: batch)
        #expect(report.predictionDiff == 0 && report.sensitivityDiff == 0 && report.lossA == report.lossB, "\(report)")
        #expect(abs(report.sensitivityCosine - 1) < 1e-5, "ε in the norms only: \(report)")
    }
}
