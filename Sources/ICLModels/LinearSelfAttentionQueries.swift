import ICLLanes
import ICLMath

/// The query-only last layer for a whole chunk of tasks at once: the fast path of
/// `LinearSelfAttention.forwardQuery` / `backwardQuery`, which stay as the readable per-task
/// reference (a test holds the two equal). The products with the shared `M_h`, `K_h` — and the
/// reductions into `dM_h`, `dK_h` — become matrix products over the chunk's n queries (OpenBLAS in
/// Float); only `C v = Σ_i e_i (e_iᵀ v)` and the context tokens' gradients stay per task. In Float
/// these hand over to the lane kernels (`LaneWidth`), SIMD across tasks, unless `ICL_LANES=0`.
extension LinearSelfAttention {
    /// Scratch for `n` tasks: eight `[n, D]` buffers.
    public static func queriesScratchSize(tasks n: Int, tokenDim D: Int) -> Int { 8 * n * D }

    /// `delta_q = Σ_h M_h C K_h e_q` for the n tasks of `tokens` (`[n, T, D]`), written to the query
    /// rows of `delta` (same shape); other rows are left alone.
    @inlinable
    public static func forwardQueries<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>, delta: UnsafeMutablePointer<T>
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: D) {
            let layer = LaneLayer(
                tasks: n, tokenCount: tokenCount, tokenDim: D, heads: heads, M: floats(M), K: floats(K),
                scratch: floats(scratch))
            return lanes.forwardQueries(layer, floats(e), floats(delta))
        }
        let task = tokenCount * D, q = (tokenCount - 1) * D, N = tokenCount - 1
        let EQ = scratch, V = EQ + n * D, CV = V + n * D, OUT = CV + n * D
        for i in 0..<n { (EQ + i * D).update(from: e + i * task + q, count: D) }
        OUT.update(repeating: 0, count: n * D)
        for h in 0..<heads {
            gemm(n, D, D, EQ, K + h * D * D, transposeB: true, into: V)  // v_i = K_h e_q,i
            for i in 0..<n { contextProduct(e + i * task, N, D, V + i * D, into: CV + i * D) }
            gemm(n, D, D, CV, M + h * D * D, transposeB: true, into: OUT, accumulate: true)  // += M_h C v
        }
        for i in 0..<n { (delta + i * task + q).update(from: OUT + i * D, count: D) }
    }

    /// The backward of `forwardQueries`: from the query rows of `G` (`[n, T, D]`), adds into `dE`
    /// (same shape) and into `dM`, `dK` (`[H, D, D]`). Per head, with `V = E_q K_hᵀ`, `U = G_q M_h`:
    /// `dM_h += G_qᵀ (C V)`, `dK_h += (C U)ᵀ E_q`, `dE_q += (C U) K_h`, and per task the context
    /// tokens' `u (v·e_i) + v (u·e_i)`. Without `dE` (the first layer on raw tokens) only `dM`, `dK`.
    @inlinable
    public static func backwardQueries<T: BinaryFloatingPoint>(
        dOut G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tasks n: Int, tokenCount: Int, tokenDim D: Int,
        heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dE: UnsafeMutablePointer<T>?, dM: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: D) {
            let layer = LaneLayer(
                tasks: n, tokenCount: tokenCount, tokenDim: D, heads: heads, M: floats(M), K: floats(K),
                scratch: floats(scratch))
            return lanes.backwardQueries(layer, floats(G), floats(e), dE.map { floats($0) }, floats(dM), floats(dK))
        }
        let task = tokenCount * D, q = (tokenCount - 1) * D, N = tokenCount - 1, DD = D * D
        let EQ = scratch, GQ = EQ + n * D, V = GQ + n * D, U = V + n * D, CV = U + n * D, CU = CV + n * D,
            DQ = CU + n * D
        for i in 0..<n {
            (EQ + i * D).update(from: e + i * task + q, count: D)
            (GQ + i * D).update(from: G + i * task + q, count: D)
        }
        DQ.update(repeating: 0, count: n * D)
        for h in 0..<heads {
            gemm(n, D, D, EQ, K + h * DD, transposeB: true, into: V)  // v_i = K_h e_q,i
            gemm(n, D, D, GQ, M + h * DD, into: U)  // u_i = M_hᵀ g_i
            for i in 0..<n {
                let ei = e + i * task, v = V + i * D, u = U + i * D
                contextProduct(ei, N, D, v, into: CV + i * D)
                contextProduct(ei, N, D, u, into: CU + i * D)
                guard let dE else { continue }
                for j in 0..<N {
                    let ej = ei + j * D, dEj = dE + i * task + j * D
                    let ve = dot(D, v, ej), ue = dot(D, u, ej)
                    for k in 0..<D { dEj[k] += u[k] * ve + v[k] * ue }
                }
            }
            gemm(D, D, n, GQ, transposeA: true, CV, into: dM + h * DD, accumulate: true)
            gemm(D, D, n, CU, transposeA: true, EQ, into: dK + h * DD, accumulate: true)
            if dE != nil { gemm(n, D, D, CU, K + h * DD, into: DQ, accumulate: true) }  // Σ_h K_hᵀ C u_h, as rows
        }
        guard let dE else { return }
        for i in 0..<n {
            let dq = dE + i * task + q, row = DQ + i * D
            for k in 0..<D { dq[k] += row[k] }
        }
    }
}
