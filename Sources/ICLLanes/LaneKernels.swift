/// One call of a lane kernel: the chunk's shape and the operands every task shares.
public struct LaneLayer {
    public var tasks: Int, tokenCount: Int, tokenDim: Int, heads: Int
    /// `[H, D, D]`: `M_h = P_h W_V,h` and `K_h = W_K,hᵀ W_Q,h`.
    public var M: UnsafePointer<Float>, K: UnsafePointer<Float>
    /// At least `LinearAttentionLanes.scratchSize(lanes:…)` Floats.
    public var scratch: UnsafeMutablePointer<Float>

    public init(tasks: Int, tokenCount: Int, tokenDim: Int, heads: Int, M: UnsafePointer<Float>, K: UnsafePointer<Float>,
                scratch: UnsafeMutablePointer<Float>) {
        (self.tasks, self.tokenCount, self.tokenDim, self.heads) = (tasks, tokenCount, tokenDim, heads)
        (self.M, self.K, self.scratch) = (M, K, scratch)
    }
}

/// The `LinearAttentionLanes` kernels specialised for one lane width. The initialiser is
/// inlined where it is called, so the kernels are compiled for the caller's module and CPU:
/// `LaneKernels.eight` here (AVX2), `ICLLanesAVX512.sixteen` there.
public struct LaneKernels: @unchecked Sendable {
    public let lanes: Int
    public let forward: (LaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let backward: (LaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
                          _ dE: UnsafeMutablePointer<Float>?, _ dM: UnsafeMutablePointer<Float>, _ dK: UnsafeMutablePointer<Float>) -> Void
    public let forwardQueries: (LaneLayer, _ tokens: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>) -> Void
    public let backwardQueries: (LaneLayer, _ dOut: UnsafePointer<Float>, _ tokens: UnsafePointer<Float>,
                                 _ dE: UnsafeMutablePointer<Float>?, _ dM: UnsafeMutablePointer<Float>,
                                 _ dK: UnsafeMutablePointer<Float>) -> Void

    /// `LinearAttentionLanes.softmaxForward` / `softmaxBackward` for one head.
    public let softmaxForward: (_ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>, _ V: UnsafePointer<Float>, _ tasks: Int,
                                _ tokenCount: Int, _ keyDim: Int, _ A: UnsafeMutablePointer<Float>, _ stride: Int,
                                _ scratch: UnsafeMutablePointer<Float>, _ O: UnsafeMutablePointer<Float>) -> Void
    public let softmaxBackward: (_ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>, _ V: UnsafePointer<Float>,
                                 _ dO: UnsafePointer<Float>, _ tasks: Int, _ tokenCount: Int, _ keyDim: Int,
                                 _ A: UnsafePointer<Float>, _ stride: Int, _ scratch: UnsafeMutablePointer<Float>,
                                 _ O: UnsafeMutablePointer<Float>, _ dQ: UnsafeMutablePointer<Float>,
                                 _ dK: UnsafeMutablePointer<Float>, _ dV: UnsafeMutablePointer<Float>) -> Void

    @inlinable
    public init<V: SIMD>(_: V.Type) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        lanes = V.scalarCount
        forward = { l, e, delta in
            L.forward(V.self, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, heads: l.heads,
                      M: l.M, K: l.K, scratch: l.scratch, delta: delta)
        }
        backward = { l, G, e, dE, dM, dK in
            L.backward(V.self, dOut: G, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, heads: l.heads,
                       M: l.M, K: l.K, scratch: l.scratch, dE: dE, dM: dM, dK: dK)
        }
        forwardQueries = { l, e, delta in
            L.forwardQueries(V.self, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim, heads: l.heads,
                             M: l.M, K: l.K, scratch: l.scratch, delta: delta)
        }
        backwardQueries = { l, G, e, dE, dM, dK in
            L.backwardQueries(V.self, dOut: G, tokens: e, tasks: l.tasks, tokenCount: l.tokenCount, tokenDim: l.tokenDim,
                              heads: l.heads, M: l.M, K: l.K, scratch: l.scratch, dE: dE, dM: dM, dK: dK)
        }
        softmaxForward = { Q, K, values, n, T, Dk, A, stride, scratch, O in
            L.softmaxForward(V.self, Q: Q, K: K, V: values, tasks: n, tokenCount: T, keyDim: Dk, A: A, stride: stride,
                             scratch: scratch, O: O)
        }
        softmaxBackward = { Q, K, values, dO, n, T, Dk, A, stride, scratch, O, dQ, dK, dV in
            L.softmaxBackward(V.self, Q: Q, K: K, V: values, dO: dO, tasks: n, tokenCount: T, keyDim: Dk, A: A, stride: stride,
                              scratch: scratch, O: O, dQ: dQ, dK: dK, dV: dV)
        }
    }

    /// Eight lanes: one AVX2 register (this module is compiled for Haswell).
    public static let eight = LaneKernels(SIMD8<Float>.self)
}
