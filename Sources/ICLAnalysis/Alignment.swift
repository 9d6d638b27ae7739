import ICLModels
import ICLTasks

/// The paper's comparison of two models on the same tasks (Section 3, Figure 2): each one's loss and
/// the three alignment measures, averaged over tasks.
public struct AlignmentReport: Codable, Equatable, Sendable {
    public var tasks: Int
    public var lossA: Double
    public var lossB: Double
    /// Mean `|ŷ_A − ŷ_B|` ("preds diff").
    public var predictionDiff: Double
    /// Mean cosine between the sensitivities `∂ŷ/∂x_q` ("model cos").
    public var sensitivityCosine: Double
    /// Mean `‖∂ŷ_A/∂x_q − ∂ŷ_B/∂x_q‖` ("model diff").
    public var sensitivityDiff: Double

    enum CodingKeys: String, CodingKey {
        case tasks, lossA = "loss_a", lossB = "loss_b", predictionDiff = "prediction_diff"
        case sensitivityCosine = "sensitivity_cosine", sensitivityDiff = "sensitivity_diff"
    }
}

public enum Alignment {
    /// Added to each norm in the cosine, as the authors did, so a zero sensitivity gives 0, not NaN.
    public static let epsilon = 1e-8

    /// `batch` holds paired tasks `(x_j, y_j)`.
    public static func compare(_ a: some InContextPredictor, _ b: some InContextPredictor, on batch: TaskBatch<Float>)
        -> AlignmentReport
    {
        compare(a.predictionsAndSensitivities(batch), b.predictionsAndSensitivities(batch), on: batch)
    }

    /// The report from predictions and sensitivities already computed on `batch` (an analysis that
    /// sets one model beside many baselines computes each once).
    public static func compare(
        _ a: (predictions: [Float], sensitivities: [Float]), _ b: (predictions: [Float], sensitivities: [Float]),
        on batch: TaskBatch<Float>
    ) -> AlignmentReport {
        let (yA, sA) = a, (yB, sB) = b
        let o = batch.outputDim, d = batch.tokenDim - o
        var predictionDiff = 0.0, cosine = 0.0, diff = 0.0
        for t in 0..<batch.count {
            for i in (t * o)..<(t * o + o) { predictionDiff += abs(Double(yA[i]) - Double(yB[i])) }
            var ab = 0.0, aa = 0.0, bb = 0.0, dd = 0.0
            for k in 0..<d {
                let x = Double(sA[t * d + k]), z = Double(sB[t * d + k])
                ab += x * z; aa += x * x; bb += z * z; dd += (x - z) * (x - z)
            }
            cosine += ab / ((aa.squareRoot() + epsilon) * (bb.squareRoot() + epsilon))
            diff += dd.squareRoot()
        }
        let n = Double(batch.count)
        return AlignmentReport(
            tasks: batch.count, lossA: Evaluation.loss(predictions: yA, on: batch),
            lossB: Evaluation.loss(predictions: yB, on: batch),
            predictionDiff: predictionDiff / (n * Double(o)),
            sensitivityCosine: cosine / n, sensitivityDiff: diff / n)
    }
}
