import ICLMath
import ICLModels

/// The two matrices a linear self-attention head computes with (Appendix A.3, eqs. 9–10):
///
///     e_j ← e_j + W_PV C W_KQ e_j,   W_KQ = W_Kᵀ W_Q,   W_PV = P W_V,   C = Σ_{i≤N} e_i e_iᵀ
///
/// Both are `D × D`, row-major, in Double. The factors themselves are not identifiable (any
/// invertible `R` gives the same head with `W_Q → R W_Q`, `W_K → R⁻ᵀ W_K`), so the paper compares
/// and draws the products (Figures 9 and 11).
public struct HeadProducts: Codable, Equatable, Sendable {
    public var layer: Int
    public var head: Int
    /// D: the products are `tokenDim × tokenDim`.
    public var tokenDim: Int
    public var W_KQ: [Double]
    public var W_PV: [Double]
    /// β of the Appendix A.3 correction when it has been applied (`W_KQ/β`, `W_PV·β`), else nil.
    public var scaleCorrection: Double?

    public init(layer: Int, head: Int, tokenDim: Int, W_KQ: [Double], W_PV: [Double], scaleCorrection: Double? = nil) {
        self.layer = layer
        self.head = head
        self.tokenDim = tokenDim
        self.W_KQ = W_KQ
        self.W_PV = W_PV
        self.scaleCorrection = scaleCorrection
    }

    enum CodingKeys: String, CodingKey {
        case layer, head, tokenDim = "token_dim", W_KQ, W_PV, scaleCorrection = "scale_correction"
    }

    /// The Appendix A.3 correction: β = mean of the first `inputDim` diagonal entries of `W_KQ` (the
    /// x-block, which the GD construction sets to I), then `W_KQ/β` and `W_PV·β` — the head computes
    /// the same function (`W_PV C W_KQ` is unchanged) and its `W_KQ` x-block now has mean diagonal 1.
    /// Throws when β is zero or not finite (nothing to divide by: e.g. an untrained or zeroed head).
    public func scaleCorrected(inputDim d: Int) throws -> HeadProducts {
        precondition(d >= 1 && d <= tokenDim, "scaleCorrected: inputDim \(d) for tokens of width \(tokenDim)")
        let beta = HeadProducts.meanDiagonal(W_KQ, tokenDim: tokenDim, first: d)
        guard beta.isFinite, beta != 0 else {
            throw AnalysisError(
                "layer \(layer) head \(head): W_KQ's first \(d) diagonal entries average to \(beta); "
                    + "the scale correction divides by that mean, so it cannot be applied")
        }
        return HeadProducts(
            layer: layer, head: head, tokenDim: tokenDim,
            W_KQ: W_KQ.map { $0 / beta }, W_PV: W_PV.map { $0 * beta },
            scaleCorrection: (scaleCorrection ?? 1) * beta)
    }

    /// Mean of the first `first` diagonal entries of a row-major `tokenDim × tokenDim` matrix.
    public static func meanDiagonal(_ matrix: [Double], tokenDim D: Int, first: Int) -> Double {
        var sum = 0.0
        for i in 0..<first { sum += matrix[i * D + i] }
        return sum / Double(first)
    }
}

/// One layer's heads combined as in Figure 11: `Σ_h W_PV,h[D−1, D−1] · W_KQ,h`. A head's
/// contribution to the query's target entry is `W_PV,h[−1, :] C W_KQ,h e_q`; when `W_PV,h` is
/// (nearly) zero except its last entry, as after training, that entry scales the head's `W_KQ`, and
/// the sum shows what the heads compute together — for two softmax heads, their cancellation.
public struct SummedHeads: Codable, Equatable, Sendable {
    public var layer: Int
    public var tokenDim: Int
    public var heads: Int
    public var matrix: [Double]
    /// `W_PV,h[D−1, D−1]` for each head, the weights of the sum.
    public var weights: [Double]

    enum CodingKeys: String, CodingKey { case layer, tokenDim = "token_dim", heads, matrix, weights }
}

public enum WeightProducts {
    /// `W_KQ` and `W_PV` of every head of every parameter layer (layer-major), read through the
    /// stack's head views (`W_Q`, `W_K`, `W_V` of shape `[Dk, D]`, `P` of shape `[D, Dk]`, paper
    /// orientation `q = W_Q e`). D is the width attention works in: the embedding's for a model with
    /// one (the sine models), else the token's. Throws for a model whose parameters are not attention
    /// weights (gd, gdpp: see `GradientDescentWeights.attentionForm`).
    public static func of(_ model: TrainedModel) throws -> [HeadProducts] {
        let config = model.config, stack = model.stack
        // The gradient-descent models' parameters are η and γ, not attention weights.
        guard stack.layout == stack.weightLayout else {
            throw AnalysisError(
                "the model's parameters are not attention weights (architecture '\(config.architecture.rawValue)'): "
                    + "weight products are defined for attention heads with W_Q, W_K, W_V and P")
        }
        let D = config.modelDim, Dk = config.keyDim
        var out: [HeadProducts] = []
        for (l, layer) in stack.weights.layers.enumerated() {
            for (h, head) in layer.heads.enumerated() {
                let w = head.map { offset in model.parameters[offset..<(offset + Dk * D)].map(Double.init) }
                out.append(
                    HeadProducts(
                        layer: l, head: h, tokenDim: D,
                        W_KQ: w.W_K.matmul(w.W_Q, D, Dk, D, transposeSelf: true),
                        W_PV: w.P.matmul(w.W_V, D, Dk, D)))
            }
        }
        return out
    }

    /// Figure 11's combination of each layer's heads (see `SummedHeads`). Needs at least two heads
    /// per layer: with one, the "sum" is that head's `W_KQ` times a number, which says nothing new.
    public static func sumHeads(_ products: [HeadProducts]) throws -> [SummedHeads] {
        let layers = Dictionary(grouping: products, by: \.layer)
        var out: [SummedHeads] = []
        for layer in layers.keys.sorted() {
            let heads = layers[layer]!.sorted { $0.head < $1.head }
            guard heads.count >= 2 else {
                throw AnalysisError(
                    "summing heads (Figure 11) needs at least two heads per layer; layer \(layer) has \(heads.count)")
            }
            let D = heads[0].tokenDim
            var sum = [Double](repeating: 0, count: D * D)
            var weights: [Double] = []
            for head in heads {
                let w = head.W_PV[D * D - 1]
                weights.append(w)
                for k in sum.indices { sum[k] += w * head.W_KQ[k] }
            }
            out.append(SummedHeads(layer: layer, tokenDim: D, heads: heads.count, matrix: sum, weights: weights))
        }
        return out
    }

    /// Each head's term of the sum, `W_PV,h[D−1, D−1]·W_KQ,h` (`heads` of `sum`'s layer, by head):
    /// what Figure 11 draws beside the sum, and what the table prints under it.
    public static func weightedHeads(_ heads: [HeadProducts], _ sum: SummedHeads) -> [[Double]] {
        zip(heads, sum.weights).map { head, w in head.W_KQ.map { $0 * w } }
    }
}
