/// Hand-made weights that make an attention stack compute a known algorithm exactly.
public enum Construction {
    /// Proposition 1 (Appendix A.1): one LSA layer whose update of every token is one step of
    /// gradient descent on the in-context least-squares loss, from `W_0 = 0`:
    ///
    ///     W_K = W_Q = [[I_d, 0], [0, 0]],   W_V = [[0, 0], [W_0, −I]],   P = (η/N) I
    ///
    /// so `y_j ← y_j − (η/N) Σ_i y_i x_iᵀ x_j` and `ŷ = −y_q = (η/N) Σ_i y_i x_iᵀ x_q`. Stacking L such
    /// layers (or applying one recurrently) gives L GD steps: the context targets become the residuals.
    /// `etas` has one learning rate per parameter layer (one for a recurrent stack). Heads past the
    /// first are zero.
    public static func gradientDescent(_ config: ModelConfig, etas: [Double]) -> [Double] {
        precondition(
            config.architecture == .lsa && config.tokenLayout == .paired,
            "the GD construction is a linear self-attention model on paired tokens")
        precondition(config.keyDim == config.tokenDim, "the GD construction needs key_dim == token_dim")
        precondition(etas.count == config.parameterLayers, "one eta per parameter layer")
        let stack = AttentionStack(config)
        let D = config.tokenDim, d = config.inputDim
        var values = [Double](repeating: 0, count: stack.layout.count)
        for l in 0..<config.parameterLayers {
            let head = stack.weights.layers[l].heads[0]
            let (q, k, v, p) = (head.W_Q, head.W_K, head.W_V, head.P)
            for i in 0..<d {
                values[q + i * D + i] = 1
                values[k + i * D + i] = 1
            }
            for i in d..<D { values[v + i * D + i] = -1 }
            for i in 0..<D { values[p + i * D + i] = etas[l] / Double(config.contextSize) }
        }
        return values
    }

    /// Proposition 3 (Appendix A.5): one linear attention layer on alternating tokens with one-hot
    /// positions `e_j = (data_j, p_j)` that replaces every token's position code by the data of the
    /// token after it: `e_j ← (data_j, E data_{j+1})`. Keys are the positions, the query of token j
    /// is the position of j + 1 (`W_Q` shifts), values are `(0, E data_i − p_{i−1})`:
    ///
    ///     W_K = [[0, 0], [0, I_T]],   W_Q = [[0, 0], [0, S]],   W_V = [[0, 0], [E, −Sᵀ]],   P = I
    ///
    /// with `S p_j = p_{j+1}` and `E` placing the d data entries at the start of the position slot.
    /// An x token thus becomes `(x_m, (0,…,0, y_m))` — Proposition 1's token `(x_m, y_m)`, zero-padded.
    /// The query token (no token after it) is left unchanged.
    public static func copy(_ config: ModelConfig) -> [Double] {
        precondition(
            config.tokenLayout == .alternatingOneHot && config.layers == 1 && config.heads == 1,
            "the copy construction is one head on alternating tokens with one-hot positions")
        let d = config.inputDim, T = config.tokenCount, D = config.tokenDim
        precondition(config.keyDim == D && T >= d, "the copy construction needs key_dim = token width and 2N + 1 ≥ d")
        let stack = AttentionStack(config)
        var values = [Double](repeating: 0, count: stack.layout.count)
        let head = stack.weights.layers[0].heads[0]
        let (q, k, v, p) = (head.W_Q, head.W_K, head.W_V, head.P)
        for j in 0..<T {
            values[k + (d + j) * D + (d + j)] = 1  // keys: the positions
            if j + 1 < T { values[q + (d + j + 1) * D + (d + j)] = 1 }  // query of j: p_{j+1}
            if j >= 1 { values[v + (d + j - 1) * D + (d + j)] = -1 }  // value: −p_{i−1}
        }
        for i in 0..<d { values[v + (d + i) * D + i] = 1 }  // value: E data_i
        for i in 0..<D { values[p + i * D + i] = 1 }
        return values
    }
}
