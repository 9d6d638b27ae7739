import ICLMath

/// The full linear-attention layer for a whole chunk of tasks: the fast path of
/// `LinearSelfAttention.forward` / `backward`, which stay as the readable per-task reference (a
/// test holds the two equal). In row form `delta = Σ_h E K_hᵀ C M_hᵀ` (C is symmetric), so the
/// products with the shared `K_h`, `M_h` and the reductions into `dM_h`, `dK_h` run over all the
/// chunk's tokens at once; only `C = E_cᵀ E_c` and the products with it stay per task.
extension LinearSelfAttention {
    /// Per task: C (D·D).
    public static func chunkCacheSize(tokenDim D: Int) -> Int { D * D }

    /// Scratch for `n` tasks: four `[n, T, D]` buffers and `n + 1` D×D ones.
    public static func chunkScratchSize(tasks n: Int, tokenCount T: Int, tokenDim D: Int) -> Int {
        4 * n * T * D + (n + 1) * D * D
    }

    /// `delta` (`[n, T, D]`) for the n tasks of `tokens`; task i's C goes to `cache + i·D·D`.
    @inlinable
    public static func forwardChunk<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, cache: UnsafeMutablePointer<T>,
        scratch: UnsafeMutablePointer<T>, delta: UnsafeMutablePointer<T>
    ) {
        let task = tokenCount * D, rows = n * tokenCount, DD = D * D, N = tokenCount - 1
        let U = scratch, W = U + n * task
        for i in 0..<n { gemm(D, D, N, e + i * task, transposeA: true, e + i * task, into: cache + i * DD) }   // C_i
        delta.update(repeating: 0, count: n * task)
        for h in 0..<heads {
            gemm(rows, D, D, e, K + h * DD, transposeB: true, into: U)                       // u_j = K_h e_j
            for i in 0..<n { gemm(tokenCount, D, D, U + i * task, cache + i * DD, into: W + i * task) }  // C K_h e_j
            gemm(rows, D, D, W, M + h * DD, transposeB: true, into: delta, accumulate: true)  // M_h C K_h e_j
        }
    }

    /// The backward of `forwardChunk` from `G = ∂L/∂delta` (`[n, T, D]`): adds into `dE` and into
    /// `dM`, `dK` (`[H, D, D]`). Per head, with `U = E K_hᵀ`, `X = G M_h` (rows of every token):
    /// `dM_h += Gᵀ (U C)`, `dK_h += (X C)ᵀ E`, `dE += (X C) K_h`, and per task `dC += Xᵀ U`, then
    /// `dE_c += E_c (dC + dCᵀ)` for the context tokens (C is quadratic in them). Without `dE` (the
    /// first layer on raw tokens) only the weights' gradients are computed.
    @inlinable
    public static func backwardChunk<T: BinaryFloatingPoint>(
        dOut G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, cache: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dE: UnsafeMutablePointer<T>?, dM: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>
    ) {
        let task = tokenCount * D, rows = n * tokenCount, DD = D * D, N = tokenCount - 1
        let U = scratch, W = U + n * task, X = W + n * task, Y = X + n * task, dC = Y + n * task, S = dC + n * DD
        dC.update(repeating: 0, count: n * DD)
        for h in 0..<heads {
            gemm(rows, D, D, e, K + h * DD, transposeB: true, into: U)          // u_j = K_h e_j
            gemm(rows, D, D, G, M + h * DD, into: X)                             // x_j = M_hᵀ g_j
            for i in 0..<n {
                let C = cache + i * DD
                gemm(tokenCount, D, D, U + i * task, C, into: W + i * task)      // C K_h e_j
                gemm(tokenCount, D, D, X + i * task, C, into: Y + i * task)      // C M_hᵀ g_j
                if dE != nil {
                    gemm(D, D, tokenCount, X + i * task, transposeA: true, U + i * task, into: dC + i * DD, accumulate: true)
                }
            }
            gemm(D, D, rows, G, transposeA: true, W, into: dM + h * DD, accumulate: true)
            gemm(D, D, rows, Y, transposeA: true, e, into: dK + h * DD, accumulate: true)
            if let dE { gemm(rows, D, D, Y, K + h * DD, into: dE, accumulate: true) }
        }
        guard let dE else { return }
        for i in 0..<n {
            let dCi = dC + i * DD
            for r in 0..<D { for c in 0..<D { S[r * D + c] = dCi[r * D + c] + dCi[c * D + r] } }
            gemm(N, D, D, e + i * task, S, into: dE + i * task, accumulate: true)
        }
    }
}
