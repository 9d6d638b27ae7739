import Foundation
import ICLMath
import ICLModels
import ICLRecipe
import ICLTasks

/// What a training run produces: the weights, the curve, and how long it took.
public struct TrainingResult: Sendable {
    public var recipe: Recipe
    public var parameters: [Float]
    public var history: TrainingHistory
    public var seconds: Double
    /// Parameters at steps 0, k, 2k, … when the recipe asks for snapshots every k steps.
    public var snapshots: [Snapshot] = []
}

/// When a run saves its state: after this many steps or seconds since the last save, whichever
/// comes first; nil: not by that measure.
public struct SaveSchedule: Sendable, Equatable {
    public var steps: Int?
    public var seconds: Double?
    public init(steps: Int?, seconds: Double?) {
        self.steps = steps
        self.seconds = seconds
    }
    public static let never = SaveSchedule(steps: nil, seconds: nil)
    /// Every 1,000 steps or 60 s of training, whichever comes first.
    public static let standard = SaveSchedule(steps: 1_000, seconds: 60)

    public func isDue(steps done: Int, seconds passed: Double) -> Bool {
        (steps.map { done >= $0 } ?? false) || (seconds.map { passed >= $0 } ?? false)
    }
}

/// Training was asked to stop (a signal) after `step` steps, and saved its state unless it is a
/// continuation fit, which keeps none (it is deterministic: run again, it starts over).
public struct TrainingStopped: Error, CustomStringConvertible {
    public let step: Int
    public var savedState = true
    public init(step: Int, savedState: Bool = true) {
        self.step = step
        self.savedState = savedState
    }
    public var description: String { "stopped after step \(step)" }
}

/// Training met a non-finite loss, gradient or parameter and stopped at once.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let step: Int
    /// What was not finite, e.g. "the training loss is nan".
    public let what: String
    public let lastFiniteLoss: Double
    public let lastFiniteStep: Int
    /// The state after step `step − 1` when it is intact (the loss or gradient was caught before the
    /// update); nil when the update itself produced the non-finite value.
    public let lastGoodState: TrainingState?
    public var description: String {
        "diverged at step \(step): \(what) ("
            + (lastFiniteLoss.isFinite
                ? "last finite loss \(lastFiniteLoss) at step \(lastFiniteStep))" : "no finite loss before it)")
    }
}

/// A report from the running loop, for progress display.
public struct TrainingProgress: Sendable {
    public let step: Int
    public let steps: Int
    public let trainLoss: Double
    public let validationLoss: Double?
    public let elapsed: Double
}

/// The paper's loss `0.5 · Σ_b ‖ŷ_b − y_b‖² / B` and its gradient `(ŷ − y) / B`.
@inlinable
public func queryLoss<T: BinaryFloatingPoint>(predictions: [T], targets: [T], count: Int, gradient: inout [T]) -> Double
{
    var sum = 0.0
    let scale = T(1) / T(count)
    for k in predictions.indices {
        let e = predictions[k] - targets[k]
        sum += Double(e) * Double(e)
        gradient[k] = e * scale
    }
    return 0.5 * sum / Double(count)
}

/// Trains a recipe: fresh tasks every step (stream `training + step`), Adam after global-norm
/// clipping, and a fixed validation set (stream `validation`) for the curve.
public struct Trainer {
    public let recipe: Recipe
    public let stack: AttentionStack

    public init(recipe: Recipe) throws {
        let problems = recipe.problems()
        if !problems.isEmpty { throw RecipeError(problems.joined(separator: "; ")) }
        self.recipe = recipe.resolved()
        stack = AttentionStack(recipe.modelConfig)
    }

    public var seed: UInt64 { recipe.training.seed }

    public func initialParameters() -> [Float] {
        let c = recipe.modelConfig
        if c.architecture.isGradientDescent {
            // η starts at the recipe's eta_init, γ at η/N² (PAPER-NOTES: the authors' GD++ start).
            let eta = Float(recipe.model.etaInit), N = Float(c.contextSize)
            let etas = [Float](repeating: eta, count: c.parameterLayers)
            return c.architecture == .gdpp ? etas + etas.map { $0 / (N * N) } : etas
        }
        return stack.layout.initialValues(seed: seed, scale: recipe.initScale)
    }

    public func validationSet() -> TaskBatch<Float> {
        recipe.taskSource.sample(count: recipe.training.validationTasks, seed: seed, stream: RandomStream.validation)
    }

    /// The tasks of training step `step`, drawn into `batch` (unless training on a fixed set).
    func drawTrainingTasks(step: Int, into batch: inout TaskBatch<Float>) {
        if recipe.training.fixedTasks != nil { return }
        recipe.taskSource.sample(into: &batch, seed: seed, stream: RandomStream.training + UInt64(step))
    }

    /// The batch size of every step: the fixed set's size when training on one.
    public var batchSize: Int { recipe.training.fixedTasks ?? recipe.training.batchSize }

    /// Mean loss of `parameters` on `batch`, evaluated in slices of at most `sliceSize` tasks (in
    /// `workspace` when given, so the training loop's periodic validation allocates nothing).
    public static func loss(
        _ stack: AttentionStack, parameters: [Float], on batch: TaskBatch<Float>,
        sliceSize: Int = 4_096, workspace given: Workspace<Float>? = nil
    ) -> Double {
        let workspace = given ?? stack.makeWorkspace(batchSize: min(sliceSize, batch.count), as: Float.self)
        precondition(workspace.batchSize >= min(sliceSize, batch.count), "validation workspace too small")
        var total = 0.0
        for part in batch.slices(of: sliceSize) {
            let y = stack.forward(parameters: parameters, tokens: part.tokens, count: part.count, workspace: workspace)
            var unused = y
            total += queryLoss(predictions: y, targets: part.targets, count: 1, gradient: &unused)
        }
        return total / Double(batch.count)
    }

    /// Trains from step 0, or from `start` (a saved state of this recipe and seed) to the same end
    /// bit for bit: every step's tasks come from stream `training + step` of the seed, so the step
    /// number is the only position in a random stream a run has. `save` is handed the complete state
    /// whenever `schedule` says so (never after the last step: the caller writes the checkpoint).
    /// When `stop` answers true after a step, the state is saved and `TrainingStopped` thrown.
    /// Throws `TrainingDiverged` at the first non-finite loss, gradient or parameter, and whatever
    /// `save` throws. A continuation fit (GD, GD++) saves no state and takes none: asked to stop, it
    /// ends within an L-BFGS iteration and throws `TrainingStopped` with `savedState` false.
    public func run(
        from start: TrainingState? = nil, saving schedule: SaveSchedule = .never,
        save: (TrainingState) throws -> Void = { _ in }, stop: () -> Bool = { false },
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingResult {
        if recipe.training.optimizer == .continuation {
            precondition(start == nil, "Trainer: a continuation fit is not resumed")
            return try GDPlusPlusFit(trainer: self).run(stop: stop, progress: progress)
        }
        let t = recipe.training
        let started = Date()
        let earlierSeconds = start?.seconds ?? 0
        func elapsed() -> Double { earlierSeconds + Date().timeIntervalSince(started) }
        var parameters = start?.parameters ?? initialParameters()
        var adam = Adam(
            count: parameters.count, learningRate: recipe.learningRate, beta1: t.adamBeta1,
            beta2: t.adamBeta2, epsilon: t.adamEpsilon, clipNorm: recipe.clipNorm)
        if let start {
            precondition(
                start.parameters.count == parameters.count && start.step <= t.steps, "Trainer: state of another model")
            adam.restore(step: start.adamStep, m: start.adamM, v: start.adamV)
        }
        let validation = validationSet()
        let validationWorkspace = stack.makeWorkspace(batchSize: min(4_096, validation.count), as: Float.self)
        // One batch, reused every step; a fixed training set is drawn once into it.
        var batch =
            t.fixedTasks.map {
                recipe.taskSource.sample(count: $0, seed: seed, stream: RandomStream.trainingFixedSet, as: Float.self)
            } ?? recipe.taskSource.sample(count: batchSize, seed: seed, stream: RandomStream.training + 1)
        let workspace = stack.makeWorkspace(batchSize: batchSize, as: Float.self)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dPredictions = [Float](repeating: 0, count: batchSize * recipe.task.outputDim)
        var history = start?.history ?? TrainingHistory()
        var snapshots = start?.snapshots ?? []
        var lossSinceRecord = start?.lossSinceRecord ?? 0, stepsSinceRecord = start?.stepsSinceRecord ?? 0
        // For the divergence message only: the last finite loss and its step.
        var lastLoss = (step: start?.history.step.last.map(Int.init) ?? 0, loss: start?.history.trainLoss.last ?? .nan)

        /// The complete state after `step` steps.
        func state(after step: Int) -> TrainingState {
            TrainingState(
                step: step, parameters: parameters, adamStep: adam.step, adamM: adam.m, adamV: adam.v,
                history: history, lossSinceRecord: lossSinceRecord, stepsSinceRecord: stepsSinceRecord,
                snapshots: snapshots, seconds: elapsed())
        }
        func diverged(_ step: Int, _ what: String, keeping good: TrainingState?) -> TrainingDiverged {
            TrainingDiverged(
                step: step, what: what, lastFiniteLoss: lastLoss.loss, lastFiniteStep: lastLoss.step,
                lastGoodState: good)
        }
        func record(_ step: Int) throws {
            let v = Trainer.loss(stack, parameters: parameters, on: validation, workspace: validationWorkspace)
            guard v.isFinite else { throw diverged(step, "the validation loss is \(v)", keeping: nil) }
            history.step.append(Int64(step))
            history.trainLoss.append(stepsSinceRecord > 0 ? lossSinceRecord / Double(stepsSinceRecord) : v)
            history.validationLoss.append(v)
            lossSinceRecord = 0
            stepsSinceRecord = 0
            progress(
                TrainingProgress(
                    step: step, steps: t.steps, trainLoss: history.trainLoss.last!, validationLoss: v,
                    elapsed: elapsed()))
        }

        if start == nil {
            if t.snapshotEvery != nil { snapshots.append(Snapshot(step: 0, parameters: parameters)) }
            try record(0)
            if lastLoss.loss.isNaN { lastLoss.loss = history.validationLoss[0] }
        }
        var lastSave = (step: start?.step ?? 0, time: Date())
        for step in stride(from: (start?.step ?? 0) + 1, through: t.steps, by: 1) {
            drawTrainingTasks(step: step, into: &batch)
            let predictions = stack.forward(
                parameters: parameters, tokens: batch.tokens, count: batch.count, workspace: workspace)
            let loss = queryLoss(
                predictions: predictions, targets: batch.targets, count: batch.count, gradient: &dPredictions)
            // Nothing of the state has changed yet, so it is still the good state after `step − 1`.
            guard loss.isFinite else {
                throw diverged(step, "the training loss is \(loss)", keeping: state(after: step - 1))
            }
            for k in gradients.indices { gradients[k] = 0 }
            stack.backward(
                parameters: parameters, dPredictions: dPredictions, workspace: workspace, gradients: &gradients)
            let norm = adam.update(&parameters, gradients: gradients)  // leaves everything as it was when not finite
            guard norm.isFinite else {
                throw diverged(step, "the gradient norm is \(norm)", keeping: state(after: step - 1))
            }
            if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
                throw diverged(step, "parameter \(bad) is \(parameters[bad]) after the update", keeping: nil)
            }
            lastLoss = (step, loss)
            lossSinceRecord += loss
            stepsSinceRecord += 1
            if let k = t.snapshotEvery, step % k == 0 { snapshots.append(Snapshot(step: step, parameters: parameters)) }
            if step % t.evalEvery == 0 || step == t.steps {
                try record(step)
            } else {
                progress(
                    TrainingProgress(
                        step: step, steps: t.steps, trainLoss: loss, validationLoss: nil, elapsed: elapsed()))
            }
            let stopping = step < t.steps && stop()
            if step < t.steps,
                stopping
                    || schedule.isDue(steps: step - lastSave.step, seconds: Date().timeIntervalSince(lastSave.time))
            {
                try save(state(after: step))
                lastSave = (step, Date())
            }
            if stopping { throw TrainingStopped(step: step) }
        }
        return TrainingResult(
            recipe: recipe, parameters: parameters, history: history, seconds: elapsed(), snapshots: snapshots)
    }
}
