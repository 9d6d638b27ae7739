/// What a run leaves behind besides its weights, as checkpoints and saved states store it.

/// The training curve: losses recorded every `eval_every` steps and at the last step.
public struct TrainingHistory: Equatable, Sendable {
    public var step: [Int64] = []
    /// Mean training loss over the steps since the previous record.
    public var trainLoss: [Double] = []
    /// Loss on the fixed validation set at that step.
    public var validationLoss: [Double] = []
    public init() {}
}

public struct Snapshot: Sendable, Equatable {
    public var step: Int
    public var parameters: [Float]
    public init(step: Int, parameters: [Float]) {
        self.step = step
        self.parameters = parameters
    }
}

/// Everything a run needs to continue exactly where it stopped (`Trainer.run(from:)`): what the
/// training loop holds between two steps. The random streams need no position: step k's tasks are
/// stream `training + k` of the seed, the validation and fixed training sets are drawn whole.
public struct TrainingState: Sendable, Equatable {
    /// Steps completed.
    public var step: Int
    public var parameters: [Float]
    /// Adam's update count and moment estimates.
    public var adamStep: Int
    public var adamM: [Float]
    public var adamV: [Float]
    /// The curve so far.
    public var history: TrainingHistory
    /// Sum and count of the training losses since the last record (the next record's mean).
    public var lossSinceRecord: Double
    public var stepsSinceRecord: Int
    public var snapshots: [Snapshot]
    /// Wall-clock seconds of training so far, summed over every session of the run.
    public var seconds: Double

    public init(
        step: Int, parameters: [Float], adamStep: Int, adamM: [Float], adamV: [Float], history: TrainingHistory,
        lossSinceRecord: Double, stepsSinceRecord: Int, snapshots: [Snapshot], seconds: Double
    ) {
        self.step = step
        self.parameters = parameters
        self.adamStep = adamStep
        self.adamM = adamM
        self.adamV = adamV
        self.history = history
        self.lossSinceRecord = lossSinceRecord
        self.stepsSinceRecord = stepsSinceRecord
        self.snapshots = snapshots
        self.seconds = seconds
    }
}
