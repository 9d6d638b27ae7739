import ICLModels
import ICLTasks

/// Anything that predicts a query's target from its context on paired tasks `(x_j, y_j)`: a model
/// (`TrainedModel`, from a checkpoint or a construction) or an algorithm (`Algorithm`). The
/// comparisons (`Alignment`, `OutOfDistribution`, `ContextLength`, `Fingerprint`) take either.
public protocol InContextPredictor: Sendable {
    /// Predictions `[B, outputDim]`.
    func predictions(_ paired: TaskBatch<Float>) -> [Float]
    /// Predictions `[B, outputDim]` and the sensitivity `∂ŷ/∂x_q` of the (first) output to the
    /// query's input, `[B, d]`.
    func predictionsAndSensitivities(_ paired: TaskBatch<Float>) -> (predictions: [Float], sensitivities: [Float])
}

extension TrainedModel: InContextPredictor {
    public func predictionsAndSensitivities(_ paired: TaskBatch<Float>) -> (
        predictions: [Float], sensitivities: [Float]
    ) {
        predictionsAndSensitivities(paired, sliceSize: 4_096)
    }

    public func predictions(_ paired: TaskBatch<Float>) -> [Float] { predictions(paired, sliceSize: 4_096) }

    /// The forward pass in slices of at most `sliceSize` tasks.
    public func predictions(_ paired: TaskBatch<Float>, sliceSize: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(paired.count * config.outputDim)
        forwardInSlices(paired, sliceSize: sliceSize) { _, y, _ in out += y }
        return out
    }
}
