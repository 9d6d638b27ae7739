/// Exact gradient descent on a task's in-context data — the computation the paper's constructions
/// claim to equal. A linear model `W` (`outputDim × inputDim`) starts at `W_0 = 0` and takes steps on
/// `L(W) = 1/(2N) Σ_i ‖W x_i − y_i‖²`, i.e. `W ← W − η/N Σ_i (W x_i − y_i) x_iᵀ`; the prediction is
/// `W x_q`.
public enum GradientDescent {
    /// Predictions `[count, outputDim]` after `etas.count` steps with learning rate `etas[k]` at step k.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func predict<T: BinaryFloatingPoint>(_ batch: TaskBatch<T>, inputDim: Int, etas: [T]) -> [T] {
        let outputDim = batch.outputDim
        let contextSize = batch.tokenCount - 1
        let tokenDim = batch.tokenDim
        var predictions = [T](repeating: 0, count: batch.count * outputDim)
        var weights = [T](repeating: 0, count: outputDim * inputDim)
        var gradient = [T](repeating: 0, count: outputDim * inputDim)
        for b in 0..<batch.count {
            let task = b * batch.tokenCount * tokenDim
            for k in weights.indices { weights[k] = 0 }
            for eta in etas {
                for k in gradient.indices { gradient[k] = 0 }
                for i in 0..<contextSize {
                    let token = task + i * tokenDim
                    for o in 0..<outputDim {
                        var residual: T = -batch.tokens[token + inputDim + o]
                        for k in 0..<inputDim { residual += weights[o * inputDim + k] * batch.tokens[token + k] }
                        for k in 0..<inputDim { gradient[o * inputDim + k] += residual * batch.tokens[token + k] }
                    }
                }
                let scale = eta / T(contextSize)
                for k in weights.indices { weights[k] -= scale * gradient[k] }
            }
            let query = task + contextSize * tokenDim
            for o in 0..<outputDim {
                var y: T = 0
                for k in 0..<inputDim { y += weights[o * inputDim + k] * batch.tokens[query + k] }
                predictions[b * outputDim + o] = y
            }
        }
        return predictions
    }

    /// `0.5 · Σ_b ‖ŷ_b − y_b‖² / count`: the paper's loss (the authors' code has the 0.5).
    public static func loss<T: BinaryFloatingPoint>(predictions: [T], targets: [T], count: Int) -> Double {
        var sum = 0.0
        for k in predictions.indices {
            let e = Double(predictions[k] - targets[k])
            sum += e * e
        }
        return 0.5 * sum / Double(count)
    }
}
