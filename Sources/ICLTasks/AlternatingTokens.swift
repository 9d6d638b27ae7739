import ICLMath

/// The token layout of Section 4 (Proposition 3): inputs and targets in separate tokens,
/// `x_1, (0,…,0,y_1), x_2, (0,…,0,y_2), …, x_N, (0,…,0,y_N), x_q`, each d wide with the targets in
/// the last coordinates, and a sinusoidal position code of width P concatenated to every token
/// (`pe[2i] = sin(pos·10000^(−2i/P))`, `pe[2i+1] = cos(…)`). The model must first copy each y next
/// to its x before it can do gradient descent.
public enum AlternatingTokens {
    /// The position code of `positions` tokens, `[positions, width]`.
    public static func positionalEncoding(positions: Int, width: Int) -> [Double] {
        var pe = [Double](repeating: 0, count: positions * width)
        for pos in 0..<positions {
            for i in 0..<(width / 2) {
                let angle = Double(pos) * _exp(-Double(2 * i) / Double(width) * _log(10_000))
                pe[pos * width + 2 * i] = _sin(angle)
                pe[pos * width + 2 * i + 1] = _cos(angle)
            }
        }
        return pe
    }

    /// One-hot position codes: `[positions, positions]`, the identity.
    public static func oneHotEncoding(positions: Int) -> [Double] {
        var code = [Double](repeating: 0, count: positions * positions)
        for pos in 0..<positions { code[pos * positions + pos] = 1 }
        return code
    }

    /// Rearranges paired tokens (`[B, N + 1, d + o]`, query last) into the alternating layout
    /// (`[B, 2N + 1, d + P]`), with sinusoidal positions, or one-hot ones (P = 2N + 1). Targets are unchanged.
    @inlinable
    public static func make<T: BinaryFloatingPoint>(
        from paired: TaskBatch<T>, inputDim d: Int, positionalDim P: Int,
        oneHot: Bool = false
    ) -> TaskBatch<T> {
        var out = TaskBatch<T>(
            count: paired.count, tokenCount: 2 * paired.tokenCount - 1, tokenDim: d + P, outputDim: paired.outputDim)
        make(from: paired, into: &out, inputDim: d, positionalDim: P, oneHot: oneHot)
        return out
    }

    /// The same into an existing batch of the alternating shape, every entry overwritten (the training
    /// loop reuses one). Inlinable and through buffers: it runs on every training step, and
    /// unspecialised (each entry through `T`'s value witnesses) it cost alternating-2 a tenth of its step.
    @inlinable
    public static func make<T: BinaryFloatingPoint>(
        from paired: TaskBatch<T>, into out: inout TaskBatch<T>, inputDim d: Int, positionalDim P: Int,
        oneHot: Bool = false
    ) {
        let o = paired.outputDim, N = paired.tokenCount - 1, width = d + P, T_ = 2 * N + 1
        precondition(o <= d, "alternating tokens need output_dim ≤ input_dim")
        precondition(
            out.count == paired.count && out.tokenCount == T_ && out.tokenDim == width && out.outputDim == o,
            "AlternatingTokens.make(into:): the batch has another shape")
        precondition(!oneHot || P == T_, "one-hot positions need width 2N + 1")
        out.targets = paired.targets
        let pe = (oneHot ? oneHotEncoding(positions: T_) : positionalEncoding(positions: T_, width: P)).map { T($0) }
        let (perPaired, perTask) = (paired.tokenCount * paired.tokenDim, T_ * width)
        guard paired.count > 0 else { return }
        paired.tokens.withUnsafeBufferPointer { source in
            pe.withUnsafeBufferPointer { pe in
                out.tokens.withUnsafeMutableBufferPointer { target in
                    let (source, pe, target) = (source.baseAddress!, pe.baseAddress, target.baseAddress!)
                    for b in 0..<paired.count {
                        let task = source + b * perPaired, tokens = target + b * perTask
                        for j in 0...N {
                            let pairedToken = task + j * paired.tokenDim, xToken = tokens + 2 * j * width
                            xToken.update(from: pairedToken, count: d)
                            guard j < N else { continue }
                            let yToken = xToken + width  // (0, …, 0, y_j)
                            yToken.update(repeating: 0, count: d - o)
                            (yToken + d - o).update(from: pairedToken + d, count: o)
                        }
                        guard let pe else { continue }  // P = 0: no positions
                        for pos in 0..<T_ { (tokens + pos * width + d).update(from: pe + pos * P, count: P) }
                    }
                }
            }
        }
    }
}
