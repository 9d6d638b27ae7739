import ICLMath
import ICLModels
import ICLTasks

/// Why an analysis does not apply to a model, or what is wrong with its input: one sentence that
/// says why and, where it can, what to do. The command-line tool prefixes the file it was reading.
public struct AnalysisError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The loss every analysis reports, in one place.
public enum Evaluation {
    /// The paper's loss `0.5 · Σ_b ‖ŷ_b − y_b‖² / B` (the authors' code has the 0.5) of `predictor` on
    /// `batch`, summed in Double. A model whose predictions overflow gives `+∞` or NaN, which callers
    /// report as such (a diverging rollout).
    public static func loss(_ predictor: some InContextPredictor, on batch: TaskBatch<Float>) -> Double {
        loss(predictions: predictor.predictions(batch), on: batch)
    }

    /// The same loss of predictions already computed on `batch`.
    public static func loss(predictions: [Float], on batch: TaskBatch<Float>) -> Double {
        0.5 * squaredError(predictions, batch.targets) / Double(batch.count)
    }

    /// `Σ_k (a_k − b_k)²` in Double.
    static func squaredError(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        for k in a.indices {
            let e = Double(a[k]) - Double(b[k])
            sum += e * e
        }
        return sum
    }

    /// The problem that stops `model` from being evaluated on tasks of `tasks`, if any: the models
    /// read tokens `[x, y]` of a fixed width and count.
    public static func mismatch(_ config: ModelConfig, _ tasks: LinearRegressionTasks) -> String? {
        if config.inputDim != tasks.inputDim || config.outputDim != tasks.outputDim
            || config.contextSize != tasks.contextSize
        {
            return
                "the model reads tasks with d = \(config.inputDim), \(config.outputDim) output(s), N = \(config.contextSize), "
                + "but the tasks have d = \(tasks.inputDim), \(tasks.outputDim) output(s), N = \(tasks.contextSize)"
        }
        return nil
    }
}
