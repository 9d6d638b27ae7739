import Foundation
import ICLMath
import ICLModels
import ICLTasks

/// The training curve: losses recorded every `eval_every` steps and at the last step.
public struct TrainingHistory: Equatable, Sendable {
    public var step: [Int64] = []
    /// Mean training loss over the steps since the previous record.
    public var trainLoss: [Double] = []
    /// Loss on the fixed validation set at that step.
    public var validationLoss: [Double] = []
    public init() {}
}

/// What a training run produces: the weights, the curve, and how long it took.
public struct TrainingResult: Sendable {
    public var recipe: Recipe
    public var parameters: [Float]
    public var history: TrainingHistory
    public var seconds: Double
    /// Parameters at steps 0, k, 2k, … when the recipe asks for snapshots every k steps.
    public var snapshots: [Snapshot] = []
}

public struct Snapshot: Sendable, Equatable {
    public var step: Int
    public var parameters: [Float]
    public init(step: Int, parameters: [Float]) {
        self.step = step
        self.parameters = parameters
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
public func queryLoss<T: BinaryFloatingPoint>(predictions: [T], targets: [T], count: Int, gradient: inout [T]) -> Double {
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
    public static func loss(_ stack: AttentionStack, parameters: [Float], on batch: TaskBatch<Float>,
                            sliceSize: Int = 4_096, workspace given: Workspace<Float>? = nil) -> Double {
        let workspace = given ?? stack.makeWorkspace(batchSize: min(sliceSize, batch.count), as: Float.self)
        precondition(workspace.batchSize >= min(sliceSize, batch.count), "validation workspace too small")
        var total = 0.0
        var start = 0
        while start < batch.count {
            let part = batch.slice(start..<min(start + sliceSize, batch.count))
            let y = stack.forward(parameters: parameters, tokens: part.tokens, count: part.count, workspace: workspace)
            var unused = y
            total += queryLoss(predictions: y, targets: part.targets, count: 1, gradient: &unused)
            start += part.count
        }
        return total / Double(batch.count)
    }

    public func run(progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        if recipe.training.optimizer == .continuation { return GDPlusPlusFit(trainer: self).run(progress: progress) }
        let t = recipe.training
        let started = Date()
        var parameters = initialParameters()
        var adam = Adam(count: parameters.count, learningRate: recipe.learningRate, beta1: t.adamBeta1,
                        beta2: t.adamBeta2, epsilon: t.adamEpsilon, clipNorm: recipe.clipNorm)
        let validation = validationSet()
        let validationWorkspace = stack.makeWorkspace(batchSize: min(4_096, validation.count), as: Float.self)
        // One batch, reused every step; a fixed training set is drawn once into it.
        var batch = t.fixedTasks.map {
            recipe.taskSource.sample(count: $0, seed: seed, stream: RandomStream.trainingFixedSet, as: Float.self)
        } ?? recipe.taskSource.sample(count: batchSize, seed: seed, stream: RandomStream.training + 1)
        let workspace = stack.makeWorkspace(batchSize: batchSize, as: Float.self)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dPredictions = [Float](repeating: 0, count: batchSize * recipe.task.outputDim)
        var history = TrainingHistory()
        var snapshots: [Snapshot] = []
        if t.snapshotEvery != nil { snapshots.append(Snapshot(step: 0, parameters: parameters)) }
        var lossSinceRecord = 0.0, stepsSinceRecord = 0

        func record(_ step: Int) {
            let v = Trainer.loss(stack, parameters: parameters, on: validation, workspace: validationWorkspace)
            history.step.append(Int64(step))
            history.trainLoss.append(stepsSinceRecord > 0 ? lossSinceRecord / Double(stepsSinceRecord) : v)
            history.validationLoss.append(v)
            lossSinceRecord = 0
            stepsSinceRecord = 0
            progress(TrainingProgress(step: step, steps: t.steps, trainLoss: history.trainLoss.last!, validationLoss: v,
                                      elapsed: Date().timeIntervalSince(started)))
        }

        record(0)
        for step in 1...max(t.steps, 1) where t.steps > 0 {
            drawTrainingTasks(step: step, into: &batch)
            let predictions = stack.forward(parameters: parameters, tokens: batch.tokens, count: batch.count, workspace: workspace)
            let loss = queryLoss(predictions: predictions, targets: batch.targets, count: batch.count, gradient: &dPredictions)
            for k in gradients.indices { gradients[k] = 0 }
            stack.backward(parameters: parameters, dPredictions: dPredictions, workspace: workspace, gradients: &gradients)
            adam.update(&parameters, gradients: gradients)
            lossSinceRecord += loss
            stepsSinceRecord += 1
            if let k = t.snapshotEvery, step % k == 0 { snapshots.append(Snapshot(step: step, parameters: parameters)) }
            if step % t.evalEvery == 0 || step == t.steps {
                record(step)
            } else {
                progress(TrainingProgress(step: step, steps: t.steps, trainLoss: loss, validationLoss: nil,
                                          elapsed: Date().timeIntervalSince(started)))
            }
        }
        return TrainingResult(recipe: recipe, parameters: parameters, history: history,
                              seconds: Date().timeIntervalSince(started), snapshots: snapshots)
    }
}
