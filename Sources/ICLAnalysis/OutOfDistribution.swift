import ICLMath
import ICLModels
import ICLTasks

/// What an out-of-distribution sweep changes, as a function of one scale α (Appendix A.2,
/// Figures 2 right and 6). The training distribution is `x ~ U(−r/2, r/2)`, `W ~ N(0, s² I)`.
public enum DistributionShift: String, Codable, CaseIterable, Sendable {
    /// `x ~ U(−α r/2, α r/2)` (Figure 6, first column).
    case inputRange = "input-range"
    /// `W ~ N(0, (α s)² I)` (Figure 6, second column).
    case teacher
    /// Inputs from a normal, exponential or Laplace law (one per task, uniformly), each task's
    /// inputs scaled so that its context input matrix has Frobenius norm α (third column).
    case laws
    /// Inputs from those laws with Frobenius norm 1, teacher scaled by α (fourth column).
    case lawsTeacher = "laws-teacher"

    /// The paper's range of α: 0.5 to 2 for the input range, 0.5 to 5 for the teacher. For the laws
    /// the paper gives none; 0.5 to 5 spans the training inputs' typical norm (about 2.9, see
    /// `trainingScale`).
    public var defaultScales: ClosedRange<Double> {
        switch self {
        case .inputRange: return 0.5...2
        case .teacher, .laws, .lawsTeacher: return 0.5...5
        }
    }

    /// The α at which the shifted tasks look most like the training tasks, for a marker: 1 for the
    /// input range and the teacher; for `laws`, the root-mean-square Frobenius norm of a training
    /// task's context inputs, `r·√(N·d/12)` (each entry of U(−r/2, r/2) has variance r²/12).
    public func trainingScale(_ tasks: LinearRegressionTasks) -> Double {
        switch self {
        case .inputRange, .teacher, .lawsTeacher: return 1
        case .laws: return tasks.inputRange * (Double(tasks.contextSize * tasks.inputDim) / 12).squareRoot()
        }
    }

    /// What α multiplies, for axis labels and tables.
    public var scaleDescription: String {
        switch self {
        case .inputRange: return "input range scale α (x ~ U(−α r/2, α r/2))"
        case .teacher: return "teacher scale α (W ~ N(0, α² s² I))"
        case .laws: return "input norm α (normal/exponential/Laplace inputs, ‖X‖_F = α)"
        case .lawsTeacher: return "teacher scale α (normal/exponential/Laplace inputs, ‖X‖_F = 1)"
        }
    }

    /// `count` tasks of `base` shifted by `scale`, drawn with `seed` from the evaluation stream.
    public func tasks(_ base: LinearRegressionTasks, scale: Double, count: Int, seed: UInt64) -> TaskBatch<Float> {
        let stream = RandomStream.evaluation
        switch self {
        case .inputRange:
            return base.shifted(inputScale: scale).sample(count: count, seed: seed, stream: stream, as: Float.self)
        case .teacher:
            return base.shifted(teacherScale: scale).sample(count: count, seed: seed, stream: stream, as: Float.self)
        case .laws:
            return MixedLawTasks(base: base, inputScale: scale).sample(
                count: count, seed: seed, stream: stream, as: Float.self)
        case .lawsTeacher:
            return MixedLawTasks(base: base, teacherScale: scale).sample(
                count: count, seed: seed, stream: stream, as: Float.self)
        }
    }
}

/// One model's losses along a sweep.
public struct ShiftCurve: Codable, Equatable, Sendable {
    public var name: String
    public var losses: [Double]
}

/// Losses of several models on the same shifted tasks, for every α.
public struct ShiftSweep: Codable, Equatable, Sendable {
    public var shift: DistributionShift
    public var tasks: Int
    public var seed: UInt64
    public var scales: [Double]
    /// See `DistributionShift.trainingScale`.
    public var trainingScale: Double
    public var curves: [ShiftCurve]

    enum CodingKeys: String, CodingKey { case shift, tasks, seed, scales, trainingScale = "training_scale", curves }
}

public enum OutOfDistribution {
    /// `count` evenly spaced values over `range`, with `extra` (the training scale) added when it
    /// lies inside and is not already there, so the sweep passes through the training point.
    public static func scales(_ range: ClosedRange<Double>, count: Int, including extra: Double? = nil) -> [Double] {
        precondition(count >= 2, "scales: need at least 2 points")
        var values = (0..<count).map {
            range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1)
        }
        if let extra, range.contains(extra), !values.contains(where: { abs($0 - extra) < 1e-12 }) {
            values.append(extra)
            values.sort()
        }
        return values
    }

    /// The loss of every model (or algorithm) at every scale, all on the same tasks at each scale.
    /// Each model must read tasks of `base`'s shape.
    public static func sweep(
        _ models: [(name: String, model: any InContextPredictor)], base: LinearRegressionTasks,
        shift: DistributionShift, scales: [Double], count: Int, seed: UInt64
    ) throws -> ShiftSweep {
        for (name, model) in models {
            if let model = model as? TrainedModel, let problem = Evaluation.mismatch(model.config, base) {
                throw AnalysisError("\(name): \(problem)")
            }
        }
        var losses = [[Double]](repeating: [], count: models.count)
        for scale in scales {
            let batch = shift.tasks(base, scale: scale, count: count, seed: seed)
            for (k, entry) in models.enumerated() { losses[k].append(Evaluation.loss(entry.model, on: batch)) }
        }
        return ShiftSweep(
            shift: shift, tasks: count, seed: seed, scales: scales, trainingScale: shift.trainingScale(base),
            curves: zip(models, losses).map { ShiftCurve(name: $0.name, losses: $1) })
    }
}
