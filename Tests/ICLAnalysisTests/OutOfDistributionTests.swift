import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Loss on shifted task distributions (Appendix A.2)")
struct OutOfDistributionTests {
    let tasks = LinearRegressionTasks()
    let models = [
        (name: "gd", model: gdModel(ModelConfig { $0.layers = 1 }, etas: [1.2])),
        (
            name: "gd-2",
            model: gdModel(
                ModelConfig {
                    $0.layers = 2; $0.recurrent = true
                }, etas: [0.7])
        ),
    ]

    @Test(arguments: [DistributionShift.inputRange, .teacher])
    func atScaleOneTheLossIsTheInDistributionLoss(shift: DistributionShift) throws {
        let sweep = try OutOfDistribution.sweep(
            models, base: tasks, shift: shift, scales: [0.5, 1, 2], count: 300, seed: 4)
        let inDistribution = tasks.sample(count: 300, seed: 4, stream: RandomStream.evaluation, as: Float.self)
        for (k, curve) in sweep.curves.enumerated() {
            #expect(curve.losses[1] == Evaluation.loss(models[k].model, on: inDistribution))
        }
        #expect(sweep.trainingScale == 1)
    }

    @Test func theTeacherScaleScalesTheLossQuadratically() throws {
        // Targets and predictions are linear in W: the loss at α is α² times the loss at 1.
        let sweep = try OutOfDistribution.sweep(
            models, base: tasks, shift: .teacher, scales: [1, 3], count: 200, seed: 1)
        for curve in sweep.curves { #expect(close(curve.losses[1], 9 * curve.losses[0], 1e-5)) }
    }

    @Test func shiftedInputsAreTheSameTasksRescaled() {
        let one = DistributionShift.inputRange.tasks(tasks, scale: 1, count: 20, seed: 3)
        let two = DistributionShift.inputRange.tasks(tasks, scale: 2, count: 20, seed: 3)
        for k in one.tokens.indices where k % 11 < 10 { #expect(abs(two.tokens[k] - 2 * one.tokens[k]) <= 1e-6) }
    }

    @Test func sweepsPassThroughTheTrainingScale() {
        #expect(OutOfDistribution.scales(0.5...5, count: 4, including: 1) == [0.5, 1, 2, 3.5, 5])
        #expect(OutOfDistribution.scales(0.5...2, count: 16, including: 1).count == 16)
        #expect(abs(DistributionShift.laws.trainingScale(tasks) - (100.0 / 12).squareRoot()) <= 1e-12)
    }

    @Test func modelsForOtherTasksAreRejected() {
        let other = [
            (
                name: "small",
                model: gdModel(
                    ModelConfig {
                        $0.layers = 1; $0.inputDim = 3
                    }, etas: [1])
            )
        ]
        #expect(throws: AnalysisError.self) {
            try OutOfDistribution.sweep(other, base: tasks, shift: .laws, scales: [1], count: 10, seed: 0)
        }
    }

    @Test func theLossOfTheZeroModelIsHalfTheMeanSquaredTarget() {
        let config = ModelConfig { $0.layers = 1 }
        let zero = TrainedModel(
            config: config, parameters: [Float](repeating: 0, count: AttentionStack(config).layout.count))
        let batch = tasks.sample(count: 100, seed: 0, stream: 9, as: Float.self)
        let expected = batch.targets.map { 0.5 * Double($0) * Double($0) }.reduce(0, +) / 100
        #expect(close(Evaluation.loss(predictions: zero.predictions(batch, sliceSize: 33), on: batch), expected, 1e-12))
    }
}
