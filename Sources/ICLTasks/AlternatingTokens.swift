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
    public static func make<T: BinaryFloatingPoint>(
        from paired: TaskBatch<T>, inputDim d: Int, positionalDim P: Int,
        oneHot: Bool = false
    ) -> TaskBatch<T> {
        let o = paired.outputDim, N = paired.tokenCount - 1, width = d + P, T_ = 2 * N + 1
        precondition(o <= d, "alternating tokens need output_dim ≤ input_dim")
        var out = TaskBatch<T>(count: paired.count, tokenCount: T_, tokenDim: width, outputDim: o)
        out.targets = paired.targets
        precondition(!oneHot || P == T_, "one-hot positions need width 2N + 1")
        let pe = (oneHot ? oneHotEncoding(positions: T_) : positionalEncoding(positions: T_, width: P)).map { T($0) }
        for b in 0..<paired.count {
            let source = b * paired.tokenCount * paired.tokenDim, target = b * T_ * width
            for j in 0...N {
                let pairedToken = source + j * paired.tokenDim
                let xToken = target + 2 * j * width
                for k in 0..<d { out.tokens[xToken + k] = paired.tokens[pairedToken + k] }
                if j < N {
                    let yToken = xToken + width
                    for k in 0..<o { out.tokens[yToken + d - o + k] = paired.tokens[pairedToken + d + k] }
                }
            }
            for pos in 0..<T_ {
                for k in 0..<P { out.tokens[target + pos * width + d + k] = pe[pos * P + k] }
            }
        }
        return out
    }
}
