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
        var common = Set(runs[0].steps)
        for run in runs.dropFirst() { common.formIntersection(run.steps) }
        guard !common.isEmpty else {
            throw AnalysisError(
                "the runs of \(name) (\(runs.map(\.name).joined(separator: ", "))) share no recorded step")
        }
        let steps = common.sorted()
        func statistics(_ values: (TrainingCurve) -> [Double]) -> (
            mean: [Double], std: [Double], min: [Double], max: [Double]
        ) {
            let lookup = runs.map { run in
                Dictionary(zip(run.steps, values(run)), uniquingKeysWith: { _, last in last })
            }
            var means: [Double] = [], deviations: [Double] = [], lows: [Double] = [], highs: [Double] = []
            for step in steps {
                let xs = lookup.map { $0[step]! }
                let mean = xs.reduce(0, +) / Double(xs.count)
                let variance =
                    xs.count > 1 ? xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1) : 0
                means.append(mean)
                deviations.append(variance.squareRoot())
                lows.append(xs.min()!)
                highs.append(xs.max()!)
            }
            return (means, deviations, lows, highs)
        }
        let train = statistics(\.trainLoss), validation = statistics(\.validationLoss)
        return CurveGroup(
            name: name, members: runs.map(\.name), steps: steps, trainMean: train.mean, trainStd: train.std,
            validationMean: validation.mean, validationStd: validation.std, trainMin: train.min, trainMax: train.max,
            validationMin: validation.min, validationMax: validation.max)
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
