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

    /// GD++ (Appendix A.10) computed directly on the tokens: step k maps every token (x_j, y_j) to
    /// `(x_j − γ_k Σ_i x_i x_iᵀ x_j,  y_j − (η_k/N) Σ_i y_i x_iᵀ x_j)`, sums over the context and both
    /// parts reading the tokens before the step; the prediction is `−y_q` (the query starts at y = 0).
    /// With every γ = 0 this is plain GD from `W_0 = 0`.
    public static func predictPlusPlus<T: BinaryFloatingPoint>(
        _ batch: TaskBatch<T>, inputDim d: Int, etas: [T], gammas: [T]
    ) -> [T] {
        precondition(etas.count == gammas.count, "one γ per η")
        let o = batch.outputDim, N = batch.tokenCount - 1, D = batch.tokenDim, T_ = batch.tokenCount
        var predictions = [T](repeating: 0, count: batch.count * o)
        for b in 0..<batch.count {
            var tokens = Array(batch.tokens[(b * T_ * D)..<((b + 1) * T_ * D)])
            for (eta, gamma) in zip(etas, gammas) {
                var next = tokens
                for j in 0..<T_ {
                    for i in 0..<N {
                        var xx: T = 0
                        for k in 0..<d { xx += tokens[i * D + k] * tokens[j * D + k] }
                        for k in 0..<d { next[j * D + k] -= gamma * tokens[i * D + k] * xx }
                        for k in d..<D { next[j * D + k] -= eta / T(N) * tokens[i * D + k] * xx }
                    }
                }
                tokens = next
            }
            for k in 0..<o { predictions[b * o + k] = -tokens[N * D + d + k] }
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
