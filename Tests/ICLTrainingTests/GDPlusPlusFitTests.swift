import Foundation
import ICLMath
import ICLModels
import ICLTasks
import ICLTestSupport
import ICLTraining
import Testing

@Suite("GD++ fit by continuation")
struct GDPlusPlusFitTests {
    let tasks = LinearRegressionTasks(inputDim: 4, outputDim: 1, contextSize: 6, inputRange: 1.5, weightScale: 0.7)
    /// Three GD++ steps, each with its own η and γ (variables: log η_0..2, log γ_0..1).
    let steps = SpectralLoss.Steps(eta: [0, 1, 2], gamma: [3, 4, nil])
    let logValues = [log(2.0), log(9.0), log(40.0), log(0.3), log(1.1)]

    /// The spectral loss of one task is `0.5 · o · s² · r²/12 · Σ_i R(λ_i)²`, where `I − R(H)` maps a
    /// teacher to the prediction's weights. GD++ computed directly on tokens gives that map column by
    /// column: teacher e_k (targets x_i,k), query e_m, prediction `[I − R(H)]_{mk}`.
    @Test func theSpectralLossIsTheExactGDPlusPlusMap() throws {
        let batch = tasks.sample(count: 3, seed: 4, stream: RandomStream.evaluation, as: Double.self)
        let spectra = tasks.contextEigenvalues(count: 3, seed: 4, stream: RandomStream.evaluation)
        let d = tasks.inputDim, N = tasks.contextSize, D = tasks.tokenDim, T = tasks.tokenCount
        let values = logValues.map { exp($0) }
        let etas = steps.eta.map { values[$0] }, gammas = steps.gamma.map { $0.map { values[$0] } ?? 0 }
        for b in 0..<3 {
            var probe = TaskBatch<Double>(count: d * d, tokenCount: T, tokenDim: D, outputDim: 1)
            for k in 0..<d {
                for m in 0..<d {
                    let task = (k * d + m) * T * D
                    for i in 0..<N {
                        for j in 0..<d { probe.tokens[task + i * D + j] = batch.tokens[(b * T + i) * D + j] }
                        probe.tokens[task + i * D + d] = batch.tokens[(b * T + i) * D + k]
                    }
                    probe.tokens[task + N * D + m] = 1
                }
            }
            let map = GradientDescent.predictPlusPlus(probe, inputDim: d, etas: etas, gammas: gammas)
            var traceR2 = 0.0
            for k in 0..<d { for m in 0..<d { let r = (k == m ? 1 : 0) - map[k * d + m]; traceR2 += r * r } }
            let single = SpectralLoss(eigenvalues: [spectra[b]], tasks: tasks)
            let scale: Double = 0.5 * 0.7 * 0.7 * 1.5 * 1.5 / 12.0
            let expected = scale * traceR2
            let loss = single.evaluate(logValues: logValues, steps: steps, gradient: false).loss
            #expect(abs(loss - expected) <= 1e-9 * max(expected, 1), "task \(b): \(loss) vs \(expected)")
        }
    }

    /// Averaged over teachers and queries, the model's loss on tasks with these contexts is the
    /// spectral loss, which fixes its scale `0.5 · o · s² · r²/12` (checked within the sampling error of
    /// 20,000 tasks, with small η and γ so that no rare task dominates).
    @Test func theSpectralLossIsTheModelsExpectedLoss() throws {
        var recipe = Recipe()
        recipe.model.architecture = .gdpp
        recipe.model.layers = 3
        recipe.model.clipTokens = 1e30
        recipe.task.inputDim = 4; recipe.task.contextSize = 6; recipe.task.inputRange = 1.5;
        recipe.task.weightScale = 0.7
        let trainer = try Trainer(recipe: recipe)
        let batch = tasks.sample(count: 20_000, seed: 2, stream: RandomStream.validation, as: Float.self)
        let spectra = tasks.contextEigenvalues(count: 20_000, seed: 2, stream: RandomStream.validation)
        let mild = [log(0.5), log(1.0), log(1.5), log(0.05), log(0.05)]
        let values = mild.map { Float(exp($0)) }
        let parameters = [values[0], values[1], values[2], values[3], values[4], 0]
        let model = Trainer.loss(trainer.stack, parameters: parameters, on: batch)
        let spectral = SpectralLoss(eigenvalues: spectra, tasks: tasks).evaluate(
            logValues: mild, steps: steps, gradient: false
        ).loss
        #expect(abs(model - spectral) < 0.03 * spectral, "model \(model), spectral \(spectral)")
    }

    /// The objective runs eight eigenvalues a time; it must equal the recursion written one eigenvalue
    /// at a time (in the order of the text) for counts that leave a part-filled last group (201 tasks ·
    /// 4 eigenvalues, in one chunk and, at 41,000 tasks, sixteen). Within 1e-12 relative: here η/N,
    /// the chunks' sums and the scale round differently; a lane left in a sum would be off by far more.
    @Test func theLanesEqualTheRecursionOneEigenvalueAtATime() throws {
        for count in [201, 41_000] {
            let spectra = tasks.contextEigenvalues(count: count, seed: 3, stream: RandomStream.evaluation)
            let values = logValues.map { exp($0) }, N = Double(tasks.contextSize)
            var sum = 0.0
            for lambda in spectra.joined() {
                var (u, R) = (lambda, 1.0)
                for k in 0..<steps.count {
                    R *= 1 - values[steps.eta[k]] / N * u
                    let b = 1 - (steps.gamma[k].map { values[$0] } ?? 0) * u
                    u *= b * b
                }
                sum += R * R
            }
            let expected = 0.5 * 0.7 * 0.7 * 1.5 * 1.5 / 12 * sum / Double(count)
            let loss = SpectralLoss(eigenvalues: spectra, tasks: tasks).evaluate(
                logValues: logValues, steps: steps, gradient: false
            ).loss
            #expect(abs(loss - expected) <= 1e-12 * expected, "\(count) tasks: \(loss) vs \(expected)")
        }
    }

    @Test func theGradientMatchesFiniteDifferences() throws {
        let spectra = tasks.contextEigenvalues(count: 50, seed: 1, stream: RandomStream.evaluation)
        let loss = SpectralLoss(eigenvalues: spectra, tasks: tasks)
        let analytic = loss.evaluate(logValues: logValues, steps: steps, gradient: true).gradient
        var check = GradientCheck()
        check.relative = 1e-5
        let mismatches = check.compare(tensor: "log η, log γ", values: logValues, analytic: analytic) {
            loss.evaluate(logValues: $0, steps: steps, gradient: false).loss
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        // A recurrent stack shares its variables across steps: gradients add up.
        let shared = SpectralLoss.Steps(eta: [0, 0, 0], gamma: [1, 1, nil])
        let x = [log(3.0), log(0.2)]
        let g = loss.evaluate(logValues: x, steps: shared, gradient: true).gradient
        #expect(
            check.compare(tensor: "shared", values: x, analytic: g) {
                loss.evaluate(logValues: $0, steps: shared, gradient: false).loss
            }.isEmpty)
    }

    @Test func lbfgsFindsTheMinimumOfRosenbrock() {
        let result = LBFGS.minimize(
            { x in
                let (a, b) = (x[0], x[1])
                return (
                    (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a),
                    [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]
                )
            }, from: [-1.2, 1], iterations: 500)
        #expect(abs(result.x[0] - 1) < 1e-5 && abs(result.x[1] - 1) < 1e-5, "\(result.x)")
        #expect(result.iterations < 200)
    }

    func recipe(layers: Int, recurrent: Bool = false, seed: UInt64 = 0) -> Recipe {
        var r = Recipe()
        r.model.architecture = .gdpp
        r.model.layers = layers
        r.model.recurrent = recurrent
        r.training.optimizer = .continuation
        r.training.steps = 30
        r.training.batchSize = 600
        r.training.validationTasks = 300
        r.training.seed = seed
        return r
    }

    /// Two steps with their own η, γ: one record per added step, better than one GD step (≈ 0.21)
    /// and than two steps sharing η, γ (≈ 0.113), reproducible from the seed.
    @Test func continuationFitsStepByStepAndIsSeeded() throws {
        let run = try Trainer(recipe: recipe(layers: 2)).run()
        #expect(run.history.step == [0, 15, 30])
        let v = run.history.validationLoss
        #expect(v[0] > 0.3 && v[1] < 0.23 && v[2] < 0.105, "\(v)")
        #expect(run.parameters[3] == 0, "the last step's γ changes no prediction and stays 0: \(run.parameters)")
        #expect(try Trainer(recipe: recipe(layers: 2)).run().parameters == run.parameters)
        #expect(try Trainer(recipe: recipe(layers: 2, seed: 1)).run().parameters != run.parameters)
    }

    /// A signal (Slurm's SIGTERM) stops a fit within an L-BFGS iteration, not after every stage.
    @Test func stopEndsTheFitAtOnceWithoutAState() throws {
        var asked = 0, stages = 0
        #expect {
            _ = try Trainer(recipe: recipe(layers: 3)).run(
                stop: {
                    asked += 1
                    return stages >= 2
                }, progress: { _ in stages += 1 })
        } throws: { error in
            guard let stopped = error as? TrainingStopped else { return false }
            return stopped.step == 10 && !stopped.savedState
        }
        #expect(stages == 2 && asked > 0, "records before the stop: \(stages), stop asked \(asked) times")
    }

    @Test func recurrentStacksShareOneEtaAndGamma() throws {
        let run = try Trainer(recipe: recipe(layers: 2, recurrent: true)).run()
        #expect(run.parameters.count == 2 && run.parameters.allSatisfy { $0 > 0 }, "\(run.parameters)")
        #expect(run.history.validationLoss.last! < 0.12, "\(run.history.validationLoss)")
    }

    @Test func continuationNeedsAGradientDescentModel() {
        var r = recipe(layers: 2)
        r.model.architecture = .lsa
        #expect(
            r.problems().contains { $0.contains("training.optimizer 'continuation' needs architecture 'gd' or 'gdpp'") }
        )
        #expect(throws: RecipeError.self) { try Recipe.decode(Data(#"{"training": {"optimizer": "lbfgs"}}"#.utf8)) }
    }
}
