import ICLLanes
import ICLMath

/// Softmax attention for a whole chunk of tasks: the fast path of `SoftmaxAttention.forward` /
/// `backward`, which stay as the readable per-task reference (a test holds the two equal). The
/// projections with the shared `W_Q`, `W_K`, `W_V`, `P` and their gradients run over all the chunk's
/// tokens at once (keys and values are projected for the query rows too, then left unused); the
/// scores, the softmax and `A V` stay per task. In Float the whole layer hands over to the lane
/// kernels (`ICLLanes.SoftmaxAttentionLanes`: SIMD across tasks, no OpenBLAS call) unless
/// `ICL_LANES=0`; both paths keep the same cache.
extension SoftmaxAttention {
    /// Per task: the attention weights A of every head (H·T·N); the rest is recomputed.
    public static func chunkCacheSize(tokenCount T: Int, heads H: Int) -> Int { H * T * (T - 1) }

    /// Scratch for `n` tasks: eight `[n, T, Dk]` buffers and one `[T, N]`.
    public static func chunkScratchSize(tasks n: Int, tokenCount T: Int, keyDim Dk: Int) -> Int {
        8 * n * T * Dk + T * (T - 1)
    }

    /// Scratch the lane kernels need for a chunk (the widest lanes, whatever the CPU).
    public static func laneScratchSize(tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int, heads H: Int) -> Int {
        SoftmaxAttentionLanes.scratchSize(lanes: 16, tokenCount: T, tokenDim: D, keyDim: Dk, heads: H)
    }

    /// The lane kernels' view of a chunk (Float only: callers checked `LaneWidth.kernels(for:…)`).
    @inlinable
    static func laneLayer<T: BinaryFloatingPoint>(
        tasks n: Int, tokenCount: Int, tokenDim D: Int, keyDim Dk: Int, heads: [HeadWeights<UnsafePointer<T>>],
        cache: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>
    ) -> SoftmaxLaneLayer {
        SoftmaxLaneLayer(
            tasks: n, tokenCount: tokenCount, tokenDim: D, keyDim: Dk,
            weights: heads.flatMap { $0.all.map { floats($0) } },
            cache: floats(UnsafeMutablePointer(mutating: cache)), scratch: floats(scratch))
    }

    /// Q, K, V of head h for every token of the chunk, `[n·T, Dk]` each.
    @inlinable
    static func project<T: BinaryFloatingPoint>(
        _ e: UnsafePointer<T>, rows: Int, tokenDim D: Int, keyDim Dk: Int,
        head: HeadWeights<UnsafePointer<T>>,
        Q: UnsafeMutablePointer<T>, K: UnsafeMutablePointer<T>, V: UnsafeMutablePointer<T>
    ) {
        gemm(rows, Dk, D, e, head.W_Q, transposeB: true, into: Q)
        gemm(rows, Dk, D, e, head.W_K, transposeB: true, into: K)
        gemm(rows, Dk, D, e, head.W_V, transposeB: true, into: V)
    }

    @inlinable
    public static func forwardChunk<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tasks n: Int, tokenCount T_: Int, tokenDim D: Int, keyDim Dk: Int,
        heads: [HeadWeights<UnsafePointer<T>>], cache: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>,
        delta: UnsafeMutablePointer<T>, lanes width: Int = LaneWidth.current
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: max(D, Dk), lanes: width) {
            let layer = laneLayer(
                tasks: n, tokenCount: T_, tokenDim: D, keyDim: Dk, heads: heads, cache: cache, scratch: scratch)
            return lanes.softmaxForward(layer, floats(e), floats(delta))
        }
        let N = T_ - 1, rows = n * T_, block = T_ * Dk, perTask = heads.count * T_ * N
        let scale = 1 / T(Double(Dk).squareRoot())
        let Q = scratch, K = Q + n * block, V = K + n * block, O = V + n * block
        delta.update(repeating: 0, count: rows * D)
        for (h, head) in heads.enumerated() {
            project(e, rows: rows, tokenDim: D, keyDim: Dk, head: head, Q: Q, K: K, V: V)
            for i in 0..<n {
                let A = cache + i * perTask + h * T_ * N
                gemm(T_, N, Dk, Q + i * block, K + i * block, transposeB: true, into: A)
                softmaxRows(A, rows: T_, columns: N, scale: scale)
                gemm(T_, Dk, N, A, V + i * block, into: O + i * block)
            }
            gemm(rows, D, Dk, O, head.P, transposeB: true, into: delta, accumulate: true)
        }
    }

    @inlinable
    public static func backwardChunk<T: BinaryFloatingPoint>(
        dDelta G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tasks n: Int, tokenCount T_: Int, tokenDim D: Int,
        keyDim Dk: Int, heads: [HeadWeights<UnsafePointer<T>>], cache: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>, dTokens dE: UnsafeMutablePointer<T>?,
        gradients: [HeadWeights<UnsafeMutablePointer<T>>], lanes width: Int = LaneWidth.current
    ) {
        if let lanes = LaneWidth.kernels(for: T.self, tokenDim: max(D, Dk), lanes: width) {
            let layer = laneLayer(
                tasks: n, tokenCount: T_, tokenDim: D, keyDim: Dk, heads: heads, cache: cache, scratch: scratch)
            return lanes.softmaxBackward(
                layer, floats(G), floats(e), dE.map { floats($0) }, gradients.flatMap { $0.all.map { floats($0) } })
        }
        let N = T_ - 1, rows = n * T_, block = T_ * Dk, perTask = heads.count * T_ * N
        let scale = 1 / T(Double(Dk).squareRoot())
        let Q = scratch, K = Q + n * block, V = K + n * block, O = V + n * block
        let dO = O + n * block, dQ = dO + n * block, dK = dQ + n * block, dV = dK + n * block, dA = dV + n * block
        for (h, head) in heads.enumerated() {
            let g = gradients[h]
            project(e, rows: rows, tokenDim: D, keyDim: Dk, head: head, Q: Q, K: K, V: V)
            gemm(rows, Dk, D, G, head.P, into: dO)  // dO = G P
            dK.update(repeating: 0, count: n * block)
            dV.update(repeating: 0, count: n * block)
            for i in 0..<n {
                let A = cache + i * perTask + h * T_ * N
                gemm(T_, Dk, N, A, V + i * block, into: O + i * block)  // O = A V
                gemm(T_, N, Dk, dO + i * block, V + i * block, transposeB: true, into: dA)  // dA = dO Vᵀ
                gemm(N, Dk, T_, A, transposeA: true, dO + i * block, into: dV + i * block)  // dV = Aᵀ dO
                softmaxBackwardRows(A, gradient: dA, rows: T_, columns: N, scale: scale)
                gemm(T_, Dk, N, dA, K + i * block, into: dQ + i * block)  // dQ = dS K
                gemm(N, Dk, T_, dA, transposeA: true, Q + i * block, into: dK + i * block)  // dK = dSᵀ Q
            }
            gemm(D, Dk, rows, G, transposeA: true, O, into: g.P, accumulate: true)  // dP
            gemm(Dk, D, rows, dQ, transposeA: true, e, into: g.W_Q, accumulate: true)  // dW_Q
            gemm(Dk, D, rows, dK, transposeA: true, e, into: g.W_K, accumulate: true)  // dW_K
            gemm(Dk, D, rows, dV, transposeA: true, e, into: g.W_V, accumulate: true)  // dW_V
            guard let dE else { continue }  // tokens' gradient, when wanted
            gemm(rows, D, Dk, dQ, head.W_Q, into: dE, accumulate: true)
            gemm(rows, D, Dk, dK, head.W_K, into: dE, accumulate: true)
            gemm(rows, D, Dk, dV, head.W_V, into: dE, accumulate: true)
        }
    }
}
