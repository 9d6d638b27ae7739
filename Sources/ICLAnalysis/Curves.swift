import ICLModels
import ICLTasks

/// One training run's recorded losses (a checkpoint's `/training/history`), as plain numbers.
public struct TrainingCurve: Sendable {
    public var name: String
    public var steps: [Int]
    public var trainLoss: [Double]
    public var validationLoss: [Double]

    public init(name: String, steps: [Int], trainLoss: [Double], validationLoss: [Double]) {
        self.name = name
        self.steps = steps
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
    }
}

/// Several runs of one recipe (different seeds) on the steps they all recorded: mean and standard
/// deviation over runs (sample deviation, n − 1; 0 for a single run), as the paper draws its curves
/// ("mean/std … of 5 seeds"), and the smallest and largest run at each step (the band the figures
/// draw: on a log axis mean − std can fall far below every run).
public struct CurveGroup: Codable, Equatable, Sendable {
    public var name: String
    public var members: [String]
    public var steps: [Int]
    public var trainMean: [Double]
    public var trainStd: [Double]
    public var validationMean: [Double]
    public var validationStd: [Double]
    public var trainMin: [Double]
    public var trainMax: [Double]
    public var validationMin: [Double]
    public var validationMax: [Double]

    enum CodingKeys: String, CodingKey {
        case name, members, steps, trainMean = "train_mean", trainStd = "train_std"
        case validationMean = "validation_mean", validationStd = "validation_std"
        case trainMin = "train_min", trainMax = "train_max", validationMin = "validation_min", validationMax =
            "validation_max"
    }
}

/// One quantity of several runs at common steps: mean, sample deviation (n − 1; 0 for one run),
/// smallest and largest run.
public struct Spread: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var std: [Double]
    public var min: [Double]
    public var max: [Double]

    /// `runs` give (step, value) pairs; every step in `steps` must be among each run's.
    public init(_ runs: [(steps: [Int], values: [Double])], at steps: [Int]) {
        let lookup = runs.map { Dictionary(zip($0.steps, $0.values), uniquingKeysWith: { _, last in last }) }
        let columns = steps.map { step in lookup.map { $0[step]! } }
        let each = columns.map(Spread.of)
        mean = each.map(\.mean)
        std = each.map(\.std)
        min = columns.map { $0.min()! }
        max = columns.map { $0.max()! }
    }

    /// Mean and sample deviation (n − 1; 0 for one value) of `values`, which must not be empty.
    public static func of(_ values: [Double]) -> (mean: Double, std: Double) {
        precondition(!values.isEmpty, "Spread.of: no values")
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }
}

public enum Curves {
    /// Mean and deviation of `runs` over the steps every run recorded. Throws when a run's arrays
    /// disagree in length or when the runs share no step.
    public static func group(name: String, _ runs: [TrainingCurve]) throws -> CurveGroup {
        precondition(!runs.isEmpty, "Curves.group: no runs")
        for run in runs where run.trainLoss.count != run.steps.count || run.validationLoss.count != run.steps.count {
            throw AnalysisError(
                "\(run.name): the history has \(run.steps.count) steps, \(run.trainLoss.count) training and "
                    + "\(run.validationLoss.count) validation losses")
        }
        guard let steps = commonSteps(runs.map(\.steps)) else {
            throw AnalysisError(
                "the runs of \(name) (\(runs.map(\.name).joined(separator: ", "))) share no recorded step")
        }
        let train = Spread(runs.map { ($0.steps, $0.trainLoss) }, at: steps)
        let validation = Spread(runs.map { ($0.steps, $0.validationLoss) }, at: steps)
        return CurveGroup(
            name: name, members: runs.map(\.name), steps: steps, trainMean: train.mean, trainStd: train.std,
            validationMean: validation.mean, validationStd: validation.std, trainMin: train.min, trainMax: train.max,
            validationMin: validation.min, validationMax: validation.max)
    }

    /// The steps every run recorded, sorted; nil when they share none.
    static func commonSteps(_ runs: [[Int]]) -> [Int]? {
        var common = Set(runs[0])
        for steps in runs.dropFirst() { common.formIntersection(steps) }
        return common.isEmpty ? nil : common.sorted()
    }

    /// Runs grouped by recipe (`runs` in any order; groups in the order their recipe first appears).
    public static func groups(_ runs: [(recipe: String, curve: TrainingCurve)]) throws -> [CurveGroup] {
        var order: [String] = [], members: [String: [TrainingCurve]] = [:]
        for run in runs {
            if members[run.recipe] == nil { order.append(run.recipe) }
            members[run.recipe, default: []].append(run.curve)
        }
        return try order.map { try group(name: $0, members[$0]!) }
    }

    /// A baseline's loss on each run's own validation set (the tasks its validation curve was
    /// measured on), so that the baseline's line and the curves compare the same tasks. `sets`
    /// holds one validation batch per distinct set; `predictor` resolves the baseline on a set
    /// (GD's η line-searched on it). Returns the loss per set and their mean.
    public static func baselineOnValidationSets(
        _ sets: [TaskBatch<Float>],
        predictor: (TaskBatch<Float>) throws -> any InContextPredictor
    ) rethrows
        -> (perSet: [Double], mean: Double)
    {
        let losses = try sets.map { set in Evaluation.loss(try predictor(set), on: set) }
        return (losses, losses.reduce(0, +) / Double(max(losses.count, 1)))
    }
}

/// The alignment measures of one training snapshot against a baseline (Figures 2, 3: how the
/// trained model comes to agree with GD or GD++ during training).
public struct AlignmentPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var report: AlignmentReport
}

extension Curves {
    /// `compare` for every snapshot of a training run against `baseline`, on the same tasks.
    public static func alignmentOverTraining(
        _ config: ModelConfig, snapshots: [(step: Int, parameters: [Float])],
        against baseline: any InContextPredictor, on batch: TaskBatch<Float>
    ) -> [AlignmentPoint] {
        snapshots.map { snapshot in
            AlignmentPoint(
                step: snapshot.step,
                report: Alignment.compare(
                    TrainedModel(config: config, parameters: snapshot.parameters), baseline, on: batch))
        }
    }
}

/// The alignment over training of the runs of one recipe against one baseline (Figure 2 centre
/// left, Figure 3 centre columns: "mean/std … of 5 seeds"), at the snapshot steps all runs have.
public struct AlignmentGroup: Codable, Equatable, Sendable {
    public var name: String
    /// The baseline's name (e.g. "GD 1 step η=6.161", "GD++ (gdpp-recurrent-2 seed 0)").
    public var against: String
    public var members: [String]
    public var steps: [Int]
    public var sensitivityCosine: Spread
    public var sensitivityDiff: Spread
    public var predictionDiff: Spread

    enum CodingKeys: String, CodingKey {
        case name, against, members, steps, sensitivityCosine = "sensitivity_cosine"
        case sensitivityDiff = "sensitivity_diff", predictionDiff = "prediction_diff"
    }
}

extension Curves {
    /// The runs' alignment points (one list per run, e.g. each seed's snapshots against GD) as their
    /// mean and spread at the steps every run has.
    public static func alignmentGroup(
        name: String, against: String, _ runs: [(member: String, points: [AlignmentPoint])]
    ) throws -> AlignmentGroup {
        precondition(!runs.isEmpty, "Curves.alignmentGroup: no runs")
        guard let steps = commonSteps(runs.map { $0.points.map(\.step) }) else {
            throw AnalysisError(
                "the snapshots of \(name) (\(runs.map(\.member).joined(separator: ", "))) share no step")
        }
        func spread(_ measure: (AlignmentReport) -> Double) -> Spread {
            Spread(runs.map { ($0.points.map(\.step), $0.points.map { measure($0.report) }) }, at: steps)
        }
        return AlignmentGroup(
            name: name, against: against, members: runs.map(\.member), steps: steps,
            sensitivityCosine: spread(\.sensitivityCosine), sensitivityDiff: spread(\.sensitivityDiff),
            predictionDiff: spread(\.predictionDiff))
    }
}
