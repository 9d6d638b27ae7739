import ICLLanes
import ICLLanesAVX512
import ICLMath

#if canImport(Glibc)
    import Glibc
#endif

/// The linear- and softmax-attention chunk kernels in Float run with SIMD lanes across tasks
/// (`ICLLanes.LinearAttentionLanes`, `SoftmaxAttentionLanes`): 16 tasks a vector where the CPU has
/// AVX-512, 8 otherwise.
/// Double always takes the reference path, which the lane kernels are tested against.
public enum LaneWidth {
    /// Lanes the CPU supports: 16 with AVX-512 (F, CD, BW, DQ, VL: what `-target-cpu skylake-avx512`
    /// may emit), else 8 (AVX2, which the whole package is compiled for).
    public static let supported: Int =
        BLAS.cpuFlags().isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) ? 16 : 8

    /// Lanes used: `supported`, or fewer when the environment variable `ICL_LANES` says so (8, or
    /// 0 for the per-task OpenBLAS path) — for comparing paths in one build. Never more than supported.
    public static let current: Int = {
        guard let text = getenv("ICL_LANES"), let requested = Int(String(cString: text)) else { return supported }
        return requested <= 0 ? 0 : min(requested >= 16 ? 16 : 8, supported)
    }()

    /// The kernels for `lanes` (8 or 16; 16 only when `supported` is 16).
    public static func kernels(_ lanes: Int) -> LaneKernels {
        precondition(
            lanes == 8 || (lanes == 16 && supported == 16), "LaneWidth: \(lanes) lanes not available on this CPU")
        return lanes == 16 ? sixteen : .eight
    }

    /// The widest tokens the lane kernels take. Alternating tokens with positions (21 wide in
    /// alternating-2) gain from them as the 11-wide ones do (3× faster than OpenBLAS, measured); the
    /// sine model's 40-wide tokens keep OpenBLAS: its query-only layer through the lanes took the same
    /// time (sine-mlp-lsa, 300 steps under `perf`: 34.9k samples against 34.8k).
    public static let widestTokens = 32

    /// The kernels the chunk paths use for Float tokens of width D at `lanes` (0: none), or nil for
    /// the reference path.
    @usableFromInline
    static func kernels<T>(for _: T.Type, tokenDim D: Int, lanes: Int = current) -> LaneKernels? {
        guard T.self == Float.self, lanes > 0, D <= widestTokens else { return nil }
        return kernels(lanes)
    }
}

extension LinearSelfAttention {
    /// Scratch the lane kernels need for a chunk of n tasks (the widest lanes, whatever the CPU).
    public static func laneScratchSize(tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int) -> Int {
        LinearAttentionLanes.scratchSize(lanes: 16, tasks: n, tokenCount: T, tokenDim: D, heads: H)
    }
}

extension LinearSelfAttention {
    /// Floats per layer of the contracted weights (S and Sᵀ) the lane kernels use for a full layer
    /// of this shape in `T`, or 0 where they are not used: the reference path (Double, tokens too
    /// wide, `ICL_LANES=0`) or heads taken one by one (`LinearAttentionLanes.contractsHeads`).
    public static func contractedWeightsSize<T>(
        _: T.Type, tokenCount: Int, tokenDim D: Int, heads H: Int
    ) -> Int {
        guard LaneWidth.kernels(for: T.self, tokenDim: D) != nil,
            LinearAttentionLanes.contractsHeads(tokenCount: tokenCount, tokenDim: D, heads: H)
        else { return 0 }
        return LinearAttentionLanes.contractedWeightsSize(tokenDim: D)
    }

    /// S and Sᵀ from the step's `M`, `K` into `S` (for a shape whose `contractedWeightsSize` is not
    /// 0); `table`: D⁴ free values.
    static func contractedWeights<T>(
        M: UnsafePointer<T>, K: UnsafePointer<T>, tokenDim D: Int, heads H: Int,
        table: UnsafeMutablePointer<T>, into S: UnsafeMutablePointer<T>
    ) {
        LinearAttentionLanes.contract(
            M: floats(M), K: floats(K), tokenDim: D, heads: H, table: floats(table), into: floats(S))
    }
}

/// A generic pointer seen as Float (for callers that checked `T == Float`).
@inlinable
func floats<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}
@inlinable
func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
