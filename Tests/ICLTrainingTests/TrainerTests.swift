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
        r.training.initScale = 0.1  // past the slow start of the paper's tiny initialisation
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
        let result = try trainer.run()
        #expect(result.parameters[0] > 1.5, "η grows towards its optimum: \(result.parameters)")
        #expect(result.history.validationLoss.last! < result.history.validationLoss.first!)
    }
}

/// Resuming: from any saved state, a run ends exactly where the uninterrupted run ends.
@Suite("Resuming")
struct ResumeTests {
    /// Small recipes of every kind the trainer trains: plain LSA, GD++ (η, γ), a fixed training set
    /// with snapshots, a transformer with softmax, LayerNorm and an MLP, alternating tokens.
    static let kinds = ["lsa", "gdpp", "fixed-snapshots", "transformer", "alternating"]

    static func recipe(_ kind: String) -> Recipe {
        var r = Recipe()
        r.task.inputDim = 3
        r.task.contextSize = 4
        r.training.steps = 13
        r.training.batchSize = 16
        r.training.validationTasks = 40
        r.training.evalEvery = 4
        r.training.learningRate = 0.01
        r.training.initScale = 0.1
        switch kind {
        case "gdpp":
            r.model.architecture = .gdpp
            r.model.layers = 2
        case "fixed-snapshots":
            r.training.fixedTasks = 8
            r.training.snapshotEvery = 5
        case "transformer":
            r.model.architecture = .transformer
            r.model.layers = 2
            r.model.heads = 2
            r.model.attention = [.softmax, .linear]
            r.model.layerNorm = true
            r.model.mlpHidden = 6
        case "alternating":
            r.model.architecture = .transformer
            r.model.tokenLayout = .alternating
            r.model.positionalDim = 4
        default: break
        }
        return r
    }

    @Test(arguments: kinds)
    func resumingFromEverySavedStateEndsBitForBitWhereTheUninterruptedRunEnds(kind: String) throws {
        let trainer = try Trainer(recipe: ResumeTests.recipe(kind))
        var saved: [TrainingState] = []
        let whole = try trainer.run(saving: SaveSchedule(steps: 3, seconds: nil), save: { saved.append($0) })
        #expect(saved.map(\.step) == [3, 6, 9, 12])
        for state in saved {
            let resumed = try trainer.run(from: state)
            #expect(
                resumed.parameters.map(\.bitPattern) == whole.parameters.map(\.bitPattern),
                "\(kind) from step \(state.step)")
            #expect(resumed.history == whole.history, "\(kind) from step \(state.step)")
            #expect(resumed.snapshots == whole.snapshots, "\(kind) from step \(state.step)")
            #expect(resumed.seconds >= state.seconds, "wall-clock time adds up over sessions")
        }
        // Saving does not change the run: the same result without any save.
        #expect(try trainer.run().parameters == whole.parameters)
    }

    @Test func aDivergingRunStopsAtOnceWithTheLastGoodState() throws {
        var r = ResumeTests.recipe("lsa")
        r.training.learningRate = 1e30
        let trainer = try Trainer(recipe: r)
        let error = try #require(throws: TrainingDiverged.self) { try trainer.run() }
        let good = try #require(error.lastGoodState)
        #expect(good.step == error.step - 1 && error.step >= 1, "\(error)")
        #expect(good.parameters.allSatisfy(\.isFinite) && error.lastFiniteLoss.isFinite, "\(error)")
        #expect(error.description.hasPrefix("diverged at step \(error.step): the "), "\(error)")
        // The good state is the state of an undisturbed run at that step.
        var saved: [TrainingState] = []
        _ = try? trainer.run(saving: SaveSchedule(steps: 1, seconds: nil), save: { saved.append($0) })
        if good.step > 0 {
            #expect(saved.last(where: { $0.step == good.step })?.parameters == good.parameters)
        }
    }

    @Test func adamIgnoresANonFiniteGradient() {
        var adam = Adam(count: 2, learningRate: 0.1)
        var parameters: [Float] = [1, 2]
        #expect(adam.update(&parameters, gradients: [.nan, 1]).isNaN)
        #expect(parameters == [1, 2] && adam.step == 0 && adam.m == [0, 0])
    }
}
