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
        precondition(config.architecture == .lsa && config.tokenLayout == .paired,
                     "the GD construction is a linear self-attention model on paired tokens")
        precondition(config.keyDim == config.tokenDim, "the GD construction needs key_dim == token_dim")
        precondition(etas.count == config.parameterLayers, "one eta per parameter layer")
        let stack = AttentionStack(config)
        let D = config.tokenDim, d = config.inputDim
        var values = [Double](repeating: 0, count: stack.layout.count)
        for l in 0..<config.parameterLayers {
            let prefix = AttentionStack.headPath(layer: l, head: 0)
            let (q, k, v, p) = (stack.layout.offset(prefix + "W_Q"), stack.layout.offset(prefix + "W_K"),
                                stack.layout.offset(prefix + "W_V"), stack.layout.offset(prefix + "P"))
            for i in 0..<d {
                values[q + i * D + i] = 1
                values[k + i * D + i] = 1
            }
            for i in d..<D { values[v + i * D + i] = -1 }
            for i in 0..<D { values[p + i * D + i] = etas[l] / Double(config.contextSize) }
        }
        return values
    }
}
