/// One call of a lane kernel: the chunk's shape and the operands every task shares.
public struct LaneLayer {
    public var tasks: Int, tokenCount: Int, tokenDim: Int, heads: Int
    /// `[H, D, D]`: `M_h = P_h W_V,h` and `K_h = W_K,hᵀ W_Q,h`.
    public var M: UnsafePointer<Float>, K: UnsafePointer<Float>
    /// At least `LinearAttentionLanes.scratchSize(lanes:…)` Floats.
    public var scratch: UnsafeMutablePointer<Float>
    /// `LinearAttentionLanes.contract(M, K)` (S and Sᵀ) where the full layer contracts its heads, or
    /// nil to build them in the scratch on every call.
    public var S: UnsafePointer<Float>?
    /// `[n, D, D]` kept from the forward pass to the backward, or nil: where the heads are contracted,
    /// every whole group's `A = S c`, so that the backward need not form it again.
    public var kept: UnsafeMutablePointer<Float>?

    public init(
        tasks: Int, tokenCount: Int, tokenDim: Int, heads: Int, M: UnsafePointer<Float>, K: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, S: UnsafePointer<Float>? = nil, kept: UnsafeMutablePointer<Float>? = nil
    ) {
        (self.tasks, self.tokenCount, self.tokenDim, self.heads) = (tasks, tokenCount, tokenDim, heads)
        (self.M, self.K, self.scratch, self.S, self.kept) = (M, K, scratch, S, kept)
    }
}

/// One call of a softmax lane kernel: the chunk's shape, every head's weights and the attention
/// weights kept between the forward and the backward pass.
public struct SoftmaxLaneLayer {
    public var tasks: Int, tokenCount: Int, tokenDim: Int, keyDim: Int
    /// `W_Q`, `W_K`, `W_V` (`[Dk, D]`) and `P` (`[D, Dk]`) of each head, in that order (4·H pointers).
    public var weights: [UnsafePointer<Float>]
    /// `[n, H, T, N]`: the attention weights, written by the forward pass, read by the backward.
    public var cache: UnsafeMutablePointer<Float>
    /// At least `SoftmaxAttentionLanes.scratchSize(lanes:…)` Floats.
    public var scratch: UnsafeMutablePointer<Float>

    public init(
        tasks: Int, tokenCount: Int, tokenDim: Int, keyDim: Int, weights: [UnsafePointer<Float>],
        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        (self.tasks, self.tokenCount, self.tokenDim, self.keyDim) = (tasks, tokenCount, tokenDim, keyDim)
        (self.weights, self.cache, self.scratch) = (weights, cache, scratch)
    }
}

/// The `LinearAttentionLanes`, `SoftmaxAttentionLanes` and `MLPLanes` kernels specialised for one
/// lane width. The initialiser is inlined where it is called, so the kernels are compiled for the
/// caller's module and CPU: `LaneKernels.eight` here (AVX2), `ICLLanesAVX512.sixteen` there.
public struct LaneKernels: @unchecked Sendable {
    public let lanes: Int
    public let forward: (LaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let backward:
        (
            LaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
            _ dE: UnsafeMutablePointer<Float>?, _ dM: UnsafeMutablePointer<Float>, _ dK: UnsafeMutablePointer<Float>
        ) -> Void
    public let forwardQueries: (LaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let backwardQueries:
        (
            LaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
            _ dE: UnsafeMutablePointer<Float>?, _ dM: UnsafeMutablePointer<Float>,
            _ dK: UnsafeMutablePointer<Float>
        ) -> Void
    public let softmaxForward:
        (SoftmaxLaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let softmaxBackward:
        (
            SoftmaxLaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
            _ dE: UnsafeMutablePointer<Float>?, _ gradients: [UnsafeMutablePointer<Float>]
        ) -> Void
    /// The MLP block, W consecutive tokens a vector (`MLPLanes`).
    public let mlpForward: (MLPLaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let mlpBackward:
        (
            MLPLaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
            _ dX: UnsafeMutablePointer<Float>?, _ dW_1: UnsafeMutablePointer<Float>,
            _ db_1: UnsafeMutablePointer<Float>, _ dW_2: UnsafeMutablePointer<Float>,
            _ db_2: UnsafeMutablePointer<Float>
        ) -> Void
    /// `out[k] = e^x[k]` by `SoftmaxAttentionLanes.exponential`, a vector at a time (for `x ≤ 0`).
    public let exponentials: (_ x: UnsafePointer<Float>, _ count: Int, _ out: UnsafeMutablePointer<Float>) -> Void

    @inlinable
    public init<V: SIMD>(_: V.Type) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        lanes = V.scalarCount
        forward = { l, e, delta in
            L.forward(
                V.self, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, heads: l.heads,
                M: l.M, K: l.K, S: l.S, kept: l.kept, scratch: l.scratch, delta: delta)
        }
        backward = { l, G, e, dE, dM, dK in
            L.backward(
                V.self, dOut: G, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim,
                heads: l.heads,
                M: l.M, K: l.K, S: l.S, kept: l.kept.map { UnsafePointer($0) }, scratch: l.scratch, dE: dE, dM: dM,
                dK: dK)
        }
        forwardQueries = { l, e, delta in
            L.forwardQueries(
                V.self, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, heads: l.heads,
                M: l.M, K: l.K, scratch: l.scratch, delta: delta)
        }
        backwardQueries = { l, G, e, dE, dM, dK in
            L.backwardQueries(
                V.self, dOut: G, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim,
                heads: l.heads, M: l.M, K: l.K, scratch: l.scratch, dE: dE, dM: dM, dK: dK)
        }
        typealias S = SoftmaxAttentionLanes
        softmaxForward = { l, e, delta in
            S.forward(
                V.self, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, keyDim: l.keyDim,
                weights: l.weights, cache: l.cache, scratch: l.scratch, delta: delta)
        }
        softmaxBackward = { l, G, e, dE, gradients in
            S.backward(
                V.self, dOut: G, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim,
                keyDim: l.keyDim, weights: l.weights, cache: l.cache, scratch: l.scratch, dE: dE, gradients: gradients)
        }
        mlpForward = { l, e, delta in MLPLanes.forward(V.self, l, tokens: e, delta: delta) }
        mlpBackward = { l, G, e, dX, dW_1, db_1, dW_2, db_2 in
            MLPLanes.backward(V.self, l, dOut: G, tokens: e, dX: dX, dW_1: dW_1, db_1: db_1, dW_2: dW_2, db_2: db_2)
        }
        exponentials = { x, count, out in
            let W = V.scalarCount
            var k = 0
            while k < count {
                var v = V(repeating: 0)
                for lane in 0..<min(W, count - k) { v[lane] = x[k + lane] }
                let y = S.exponential(v)
                for lane in 0..<min(W, count - k) { out[k + lane] = y[lane] }
                k += W
            }
        }
    }

    /// Eight lanes: one AVX2 register (this module is compiled for Haswell).
    public static let eight = LaneKernels(SIMD8<Float>.self)
}
