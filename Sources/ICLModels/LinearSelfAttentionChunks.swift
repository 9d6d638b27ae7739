import ICLLanes
import ICLMath

/// The full linear-attention layer for a whole chunk of tasks: the fast path of
/// `LinearSelfAttention.forward` / `backward`, which stay as the readable per-task reference (a
/// test holds the two equal). In row form `delta = Σ_h E K_hᵀ C M_hᵀ` (C is symmetric). The heads
/// sit side by side — `U = E [K_1; …; K_H]ᵀ` is `[rows, H·D]` — so every product with the shared
/// weights, and every reduction into their gradients, is one product over all the chunk's tokens
/// and all heads (wider shapes run several times faster than H narrow ones); per task, `C = E_cᵀ E_c`
/// multiplies all heads' rows at once (`U_i` read as `(T·H) × D`). In Float these hand over to the
/// lane kernels (`LaneWidth`), SIMD across tasks, unless `ICL_LANES=0`.
extension LinearSelfAttention {
    /// Per task: C (D·D); on the lane path, A where the heads are contracted (`LaneLayer.kept`).
    public static func chunkCacheSize(tokenDim D: Int) -> Int { D * D }

    /// Scratch for `n` tasks: four `[n, T, H·D]` buffers, `n + 1` D×D ones and two `[D, H·D]`.
    public static func chunkScratchSize(tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int) -> Int {
        4 * n * T * H * D + (n + 1) * D * D + 2 * H * D * D
    }

    /// `[M_1 | … | M_H]` (`[D, H·D]`) from `M` (`[H, D, D]`): the heads side by side, or `M` itself for one head.
    @inlinable
    static func sideBySide<T: BinaryFloatingPoint>(
        _ M: UnsafePointer<T>, heads H: Int, tokenDim D: Int,
        into out: UnsafeMutablePointer<T>
    ) -> UnsafePointer<T> {
        if H == 1 { return M }
        for h in 0..<H { for d in 0..<D { for e in 0..<D { out[d * H * D + h * D + e] = M[h * D * D + d * D + e] } } }
        return UnsafePointer(out)
    }

    /// `delta` (`[n, T, D]`) for the n tasks of `tokens`; task i's C goes to `cache + i·D·D`.
    /// `S`: the step's `contractedWeights`, if any (the lane kernels build them otherwise).
    @inlinable
    public static func forwardChunk<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, S: UnsafePointer<T>? = nil, cache: UnsafeMutablePointer<T>,
        scratch: UnsafeMutablePointer<T>, delta: UnsafeMutablePointer<T>
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: D) {
            let layer = LaneLayer(
                tasks: n, tokenCount: tokenCount, tokenDim: D, heads: heads, M: floats(M), K: floats(K),
                scratch: floats(scratch), S: S.map { floats($0) }, kept: floats(cache))
            return lanes.forward(layer, floats(e), floats(delta))
        }
        let task = tokenCount * D, rows = n * tokenCount, DD = D * D, N = tokenCount - 1, HD = heads * D
        let U = scratch, W = U + rows * HD, stacked = W + rows * HD
        for i in 0..<n { gemm(D, D, N, e + i * task, transposeA: true, e + i * task, into: cache + i * DD) }  // C_i
        gemm(rows, HD, D, e, K, transposeB: true, into: U)  // u_hj = K_h e_j
        for i in 0..<n {  // C K_h e_j
            gemm(tokenCount * heads, D, D, U + i * tokenCount * HD, cache + i * DD, into: W + i * tokenCount * HD)
        }
        let Mrow = sideBySide(M, heads: heads, tokenDim: D, into: stacked)
        gemm(rows, D, HD, W, Mrow, transposeB: true, into: delta)  // Σ_h M_h C K_h e_j
    }

    /// The backward of `forwardChunk` from `G = ∂L/∂delta` (`[n, T, D]`): adds into `dE` and into
    /// `dM`, `dK` (`[H, D, D]`). With `U = E K_hᵀ`, `X = G M_h` (all heads side by side):
    /// `dM_h += Gᵀ (U C)`, `dK_h += (X C)ᵀ E`, `dE += Σ_h (X C) K_h`, and per task `dC += Xᵀ U`,
    /// then `dE_c += E_c (dC + dCᵀ)` for the context tokens (C is quadratic in them). Without `dE`
    /// (the first layer on raw tokens) only the weights' gradients are computed.
    @inlinable
    public static func backwardChunk<T: BinaryFloatingPoint>(
        dOut G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int,
        heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, S: UnsafePointer<T>? = nil, cache: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>,
        dE: UnsafeMutablePointer<T>?, dM: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: D) {
            let layer = LaneLayer(
                tasks: n, tokenCount: tokenCount, tokenDim: D, heads: heads, M: floats(M), K: floats(K),
                scratch: floats(scratch), S: S.map { floats($0) }, kept: floats(UnsafeMutablePointer(mutating: cache)))
            return lanes.backward(layer, floats(G), floats(e), dE.map { floats($0) }, floats(dM), floats(dK))
        }
        let task = tokenCount * D, rows = n * tokenCount, DD = D * D, N = tokenCount - 1, HD = heads * D
        let taskRows = tokenCount * heads, taskSize = tokenCount * HD
        let U = scratch, W = U + rows * HD, X = W + rows * HD, Y = X + rows * HD, dC = Y + rows * HD
        let S = dC + n * DD, stacked = S + DD, dMrow = stacked + HD * D
        let Mrow = sideBySide(M, heads: heads, tokenDim: D, into: stacked)
        gemm(rows, HD, D, e, K, transposeB: true, into: U)  // u_hj = K_h e_j
        gemm(rows, HD, D, G, Mrow, into: X)  // x_hj = M_hᵀ g_j
        for i in 0..<n {
            let C = cache + i * DD, Ui = U + i * taskSize, Xi = X + i * taskSize
            gemm(taskRows, D, D, Ui, C, into: W + i * taskSize)  // C K_h e_j
            gemm(taskRows, D, D, Xi, C, into: Y + i * taskSize)  // C M_hᵀ g_j
            if dE != nil { gemm(D, D, taskRows, Xi, transposeA: true, Ui, into: dC + i * DD) }
        }
        if heads == 1 {
            gemm(D, D, rows, G, transposeA: true, W, into: dM, accumulate: true)
        } else {
            gemm(D, HD, rows, G, transposeA: true, W, into: dMrow)  // [dM_1 | … | dM_H]
            for h in 0..<heads {
                for d in 0..<D { for c in 0..<D { dM[h * DD + d * D + c] += dMrow[d * HD + h * D + c] } }
            }
        }
        gemm(HD, D, rows, Y, transposeA: true, e, into: dK, accumulate: true)  // [dK_1; …; dK_H]
        guard let dE else { return }
        gemm(rows, D, HD, Y, K, into: dE, accumulate: true)  // Σ_h (X C) K_h
        for i in 0..<n {
            let dCi = dC + i * DD
            for r in 0..<D { for c in 0..<D { S[r * D + c] = dCi[r * D + c] + dCi[c * D + r] } }
            gemm(N, D, D, e + i * task, S, into: dE + i * task, accumulate: true)
        }
    }
}
