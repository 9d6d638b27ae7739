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
/// ("mean/std … of 5 seeds").
public struct CurveGroup: Codable, Equatable, Sendable {
    public var name: String
    public var members: [String]
    public var steps: [Int]
    public var trainMean: [Double]
    public var trainStd: [Double]
    public var validationMean: [Double]
    public var validationStd: [Double]

    enum CodingKeys: String, CodingKey {
        case name, members, steps, trainMean = "train_mean", trainStd = "train_std"
        case validationMean = "validation_mean", validationStd = "validation_std"
    }
}

public enum Curves {
    /// Mean and deviation of `runs` over the steps every run recorded. Throws when a run's arrays
    /// disagree in length or when the runs share no step.
    public static func group(name: String, _ runs: [TrainingCurve]) throws -> CurveGroup {
        precondition(!runs.isEmpty, "Curves.group: no runs")
        for run in runs where run.trainLoss.count != run.steps.count || run.validationLoss.count != run.steps.count {
            throw AnalysisError("\(run.name): the history has \(run.steps.count) steps, \(run.trainLoss.count) training and "
                + "\(run.validationLoss.count) validation losses")
        }
        var common = Set(runs[0].steps)
        for run in runs.dropFirst() { common.formIntersection(run.steps) }
        guard !common.isEmpty else {
            throw AnalysisError("the runs of \(name) (\(runs.map(\.name).joined(separator: ", "))) share no recorded step")
        }
        let steps = common.sorted()
        func statistics(_ values: (TrainingCurve) -> [Double]) -> (mean: [Double], std: [Double]) {
            let lookup = runs.map { run in Dictionary(zip(run.steps, values(run)), uniquingKeysWith: { _, last in last }) }
            var means: [Double] = [], deviations: [Double] = []
            for step in steps {
                let xs = lookup.map { $0[step]! }
                let mean = xs.reduce(0, +) / Double(xs.count)
                let variance = xs.count > 1 ? xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1) : 0
                means.append(mean)
                deviations.append(variance.squareRoot())
            }
            return (means, deviations)
        }
        let train = statistics(\.trainLoss), validation = statistics(\.validationLoss)
        return CurveGroup(name: name, members: runs.map(\.name), steps: steps, trainMean: train.mean, trainStd: train.std,
                          validationMean: validation.mean, validationStd: validation.std)
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
    public static func alignmentOverTraining(_ config: ModelConfig, snapshots: [(step: Int, parameters: [Float])],
                                             against baseline: TrainedModel, on batch: TaskBatch<Float>) -> [AlignmentPoint] {
        snapshots.map { snapshot in
            AlignmentPoint(step: snapshot.step,
                           report: Alignment.compare(TrainedModel(config: config, parameters: snapshot.parameters), baseline, on: batch))
        }
    }
}
