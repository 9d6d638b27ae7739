import ICLLanes

/// The MLP block in Float on SIMD lanes across consecutive tokens (`ICLLanes.MLPLanes`), for tokens
/// no wider than `LaneWidth.widestTokens`; Double, wider tokens and `ICL_LANES=0` keep the
/// OpenBLAS path, which the lane kernels are tested against. The lane path keeps nothing in the
/// cache (its backward forms σ and σ′ again from the tokens).
extension MultiLayerPerceptron {
    /// Floats of scratch the lane kernels need (the widest lanes, whatever the CPU).
    public static func laneScratchSize(tokenDim D: Int, hidden Dh: Int) -> Int {
        MLPLanes.scratchSize(lanes: 16, tokenDim: D, hidden: Dh)
    }

    /// The lane kernels and their call for this shape, or nil for the OpenBLAS path. The backward
    /// passes no `b_2` (its gradient does not read it): the layer then holds `b_1` in its place.
    static func lanes<T>(
        rows: Int, tokenDim D: Int, hidden Dh: Int, activation σ: Activation,
        W_1: UnsafePointer<T>, b_1: UnsafePointer<T>, W_2: UnsafePointer<T>, b_2: UnsafePointer<T>?,
        scratch: UnsafeMutablePointer<T>?
    ) -> (LaneKernels, MLPLaneLayer)? {
        guard let scratch, let kernels = LaneWidth.kernels(for: T.self, tokenDim: D) else { return nil }
        let layer = MLPLaneLayer(
            rows: rows, tokenDim: D, hidden: Dh, relu: σ == .relu, W_1: floats(W_1), b_1: floats(b_1),
            W_2: floats(W_2), b_2: floats(b_2 ?? b_1), scratch: floats(scratch))
        return (kernels, layer)
    }
}
