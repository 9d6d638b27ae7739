import ICLMath

/// The spectrum of a task's context inputs: the eigenvalues of `X Xᵀ = Σ_i x_i x_iᵀ` over its N
/// context inputs. GD and GD++ act on each eigen-direction separately (Appendix A.10), so these
/// eigenvalues are all a GD or GD++ model's loss depends on once the teacher is averaged out.
extension LinearRegressionTasks {
    /// Eigenvalues (ascending) of `X Xᵀ = Σ_i x_i x_iᵀ` for the `count` inputs `x_i` of width
    /// `inputDim`, stored one after the other, by LAPACK's `dsyev`.
    public static func gramEigenvalues(inputs: [Double], count: Int, inputDim d: Int) -> [Double] {
        precondition(
            inputs.count == count * d, "gramEigenvalues: \(inputs.count) values for \(count) inputs of width \(d)")
        let gram = inputs.matmul(inputs, d, count, d, transposeSelf: true)
        guard let values = BLAS.symmetricEigenvalues(gram, n: d) else {
            preconditionFailure("LAPACK dsyev failed on a symmetric \(d)×\(d) matrix")
        }
        return values
    }

    /// Each task's eigenvalues of `X Xᵀ` over its N context inputs, for `count` tasks drawn with
    /// `seed` from `stream` (drawn in Double: the same inputs as the Float batch of that stream).
    public func contextEigenvalues(count: Int, seed: UInt64, stream: UInt64) -> [[Double]] {
        let batch = sample(count: count, seed: seed, stream: stream, as: Double.self)
        let d = inputDim, N = contextSize, D = tokenDim, T = tokenCount
        var out = [[Double]](repeating: [], count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            let results = SharedPointer(buffer.baseAddress!)
            let chunks = min(16, count)
            parallelFor(chunks: chunks) { chunk in
                var inputs = [Double](repeating: 0, count: N * d)
                for b in chunkRange(chunk, of: chunks, count: count) {
                    for i in 0..<N { for k in 0..<d { inputs[i * d + k] = batch.tokens[(b * T + i) * D + k] } }
                    results.base[b] = Self.gramEigenvalues(inputs: inputs, count: N, inputDim: d)
                }
            }
        }
        return out
    }
}
