import ICLModels
import ICLTraining
import Testing

@Suite("Training")
struct TrainerTests {
    func recipe(steps: Int = 30, seed: UInt64 = 0) -> Recipe {
        var r = Recipe()
        r.training.steps = steps
        r.training.batchSize = 64
        r.training.validationTasks = 200
        r.training.evalEvery = 10
        r.training.seed = seed
        r.training.clipNorm = 10
        r.training.learningRate = 0.01
        r.training.initScale = 0.1        // past the slow start of the paper's tiny initialisation
        return r
    }

    @Test func theLossFallsAndTheCurveIsRecorded() throws {
        var r = recipe(steps: 300)
        r.training.evalEvery = 100
        let result = try Trainer(recipe: r).run()
        #expect(result.history.step == [0, 100, 200, 300])
        let v = result.history.validationLoss
        #expect(v.last! < 0.8 * v.first!, "\(v)")
    }

    @Test func aSeedFixesTheResultAndAnotherSeedChangesIt() throws {
        let a = try Trainer(recipe: recipe(steps: 5, seed: 1)).run().parameters
        let b = try Trainer(recipe: recipe(steps: 5, seed: 1)).run().parameters
        let c = try Trainer(recipe: recipe(steps: 5, seed: 2)).run().parameters
        #expect(a == b)
        #expect(a != c)
    }

    @Test func fixedTasksAndSnapshots() throws {
        var r = recipe(steps: 20)
        r.training.fixedTasks = 16
        r.training.snapshotEvery = 5
        let result = try Trainer(recipe: r).run()
        #expect(result.snapshots.map(\.step) == [0, 5, 10, 15, 20])
        #expect(result.snapshots.last!.parameters == result.parameters)
        #expect(result.snapshots.first!.parameters == (try Trainer(recipe: r)).initialParameters())
    }

    @Test func initialisationHasTheAuthorsScale() throws {
        let parameters = try Trainer(recipe: Recipe()).initialParameters()
        let std = (parameters.map { Double($0 * $0) }.reduce(0, +) / Double(parameters.count)).squareRoot()
        // √(0.002 / 11) for W_Q, W_K, W_V and P alike (one head: fan-in 11 everywhere).
        #expect(abs(std - (0.002 / 11).squareRoot()) < 0.001)
    }

    @Test func adamTakesTheExpectedFirstStepAndClips() {
        var adam = Adam(count: 2, learningRate: 0.1, beta1: 0.9, beta2: 0.98, epsilon: 1e-8, clipNorm: 1)
        var parameters: [Float] = [1, 1]
        // Gradient norm 5 is clipped to 1; Adam's first step is −lr·sign(g) whatever the scale.
        let norm = adam.update(&parameters, gradients: [3, -4])
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs(parameters[0] - 0.9) < 1e-6 && abs(parameters[1] - 1.1) < 1e-6)
    }

    @Test func gdppTrainsItsEtaAndGamma() throws {
        var r = recipe(steps: 40)
        r.model.architecture = .gdpp
        r.model.layers = 2
        r.model.recurrent = true
        r.training.learningRate = 0.05
        let trainer = try Trainer(recipe: r)
        let start = trainer.initialParameters()
        #expect(start == [1, 0.01])
        let result = trainer.run()
        #expect(result.parameters[0] > 1.5, "η grows towards its optimum: \(result.parameters)")
        #expect(result.history.validationLoss.last! < result.history.validationLoss.first!)
    }
}
