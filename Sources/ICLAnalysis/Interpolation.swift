import ICLMath
import ICLModels
import ICLTasks

/// The loss along a straight line between two models' weight products (Appendix A.3, Figure 2),
/// after the scale correction. `losses[k]` is the loss at `alphas[k]`, where α = 0 is model A and
/// α = 1 model B; the midpoint α = ½ is the paper's "interpolated" model.
public struct InterpolationCurve: Codable, Equatable, Sendable {
    public var tasks: Int
    public var alphas: [Double]
    public var losses: [Double]
    /// Loss at α = ½, whether or not the grid contains it.
    public var midpointLoss: Double
    /// Losses of A and B themselves (their own weights, not the products): the ends of the curve,
    /// up to Float rounding.
    public var lossA: Double
    public var lossB: Double
    /// β of each parameter layer's correction (`W_KQ/β`, `W_PV·β`), for A and for B.
    public var betasA: [Double]
    public var betasB: [Double]
    /// The midpoint model against B, with the paper's alignment measures.
    public var midpointAlignment: AlignmentReport

    enum CodingKeys: String, CodingKey {
        case tasks, alphas, losses, midpointLoss = "midpoint_loss", lossA = "loss_a", lossB = "loss_b"
        case betasA = "betas_a", betasB = "betas_b", midpointAlignment = "midpoint_alignment"
    }
}

/// Linear mode connectivity between a trained stack and a construction (Appendix A.3).
///
/// A single-head linear self-attention layer computes with `W_KQ = W_Kᵀ W_Q` and `W_PV = P W_V`
/// only, and those are determined up to one scale: `(W_KQ/β, W_PV·β)` is the same layer. The
/// correction picks β as the mean of the first d diagonal entries of `W_KQ` (the x-block, which is
/// I in the GD construction), then the products are interpolated entry by entry:
/// `W(α) = (1 − α)·W_A + α·W_B` for both products of every parameter layer. Separate layers are
/// corrected one by one; a recurrent stack has one layer, corrected once. (The paper notes that
/// for separate layers this simple correction often does not give a flat curve: scales can move
/// between layers, which a per-layer β cannot undo.)
public enum Interpolation {
    /// Why interpolation (or another analysis of the products, named by `purpose`) does not apply
    /// to models of `config`, or nil when it does.
    public static func inapplicability(_ config: ModelConfig, for purpose: String = "interpolation") -> String? {
        if config.architecture != .lsa {
            return "\(purpose) needs single-head linear attention; this model is '\(config.architecture.rawValue)', "
                + "whose weights have no products to match with the GD construction's"
        }
        if config.heads != 1 {
            return "\(purpose) needs single-head linear attention; this model has \(config.heads) heads, "
                + "and the GD construction's one head has no one-to-one match among them"
        }
        let stack = AttentionStack(config)
        let heads = Set(stack.weights.layers.flatMap { $0.heads.flatMap(\.all) })
        if let other = stack.layout.entries.first(where: { !heads.contains($0.offset) }) {
            return "\(purpose) needs single-head linear attention only; this model also has \(other.name), "
                + "which the product correction cannot carry over"
        }
        return nil
    }

    /// Each parameter layer's products, scale-corrected (one `HeadProducts` per layer).
    public static func correctedProducts(_ model: TrainedModel) throws -> [HeadProducts] {
        if let reason = inapplicability(model.config) { throw AnalysisError(reason) }
        return try WeightProducts.of(model).map { try $0.scaleCorrected(inputDim: model.config.inputDim) }
    }

    /// A model of `config`'s depth and recurrence that computes with the given products: key width
    /// D and `W_Q = W_KQ`, `W_K = I`, `W_V = W_PV`, `P = I`, so `W_Kᵀ W_Q = W_KQ`, `P W_V = W_PV`.
    public static func productModel(config: ModelConfig, layers: [HeadProducts]) -> TrainedModel {
        var c = config
        c.keyDim = c.tokenDim
        precondition(layers.count == c.parameterLayers, "productModel: \(layers.count) layers for \(c.parameterLayers)")
        let stack = AttentionStack(c)
        let D = c.tokenDim
        var parameters = [Float](repeating: 0, count: stack.layout.count)
        let identity = [Double].identity(D)
        for (l, products) in layers.enumerated() {
            precondition(
                products.tokenDim == D, "productModel: products of width \(products.tokenDim), tokens of width \(D)")
            let weights = HeadWeights(W_Q: products.W_KQ, W_K: identity, W_V: products.W_PV, P: identity)
            for (offset, values) in zip(stack.weights.layers[l].heads[0].all, weights.all) {
                for k in values.indices { parameters[offset + k] = Float(values[k]) }
            }
        }
        return TrainedModel(config: c, parameters: parameters)
    }

    /// `(1 − α)·a + α·b`, product by product and layer by layer.
    public static func mix(_ a: [HeadProducts], _ b: [HeadProducts], alpha: Double) -> [HeadProducts] {
        precondition(a.count == b.count, "mix: \(a.count) layers and \(b.count) layers")
        return zip(a, b).map { pa, pb in
            var out = pa
            out.W_KQ = zip(pa.W_KQ, pb.W_KQ).map { (1 - alpha) * $0 + alpha * $1 }
            out.W_PV = zip(pa.W_PV, pb.W_PV).map { (1 - alpha) * $0 + alpha * $1 }
            out.scaleCorrection = nil
            return out
        }
    }

    /// The problem that stops `a` and `b` from being interpolated layer by layer, if any.
    public static func incompatibility(_ a: ModelConfig, _ b: ModelConfig) -> String? {
        if a.inputDim != b.inputDim || a.outputDim != b.outputDim || a.contextSize != b.contextSize {
            return
                "the models read different tasks (d = \(a.inputDim) vs \(b.inputDim), outputs \(a.outputDim) vs \(b.outputDim), "
                + "N = \(a.contextSize) vs \(b.contextSize))"
        }
        if a.layers != b.layers || a.recurrent != b.recurrent {
            func describe(_ c: ModelConfig) -> String {
                "\(c.layers) \(c.recurrent ? "recurrent application(s)" : "separate layer(s)")"
            }
            return
                "the models have different stacks (\(describe(a)) vs \(describe(b))); interpolation pairs their layers one to one "
                + "(construct the baseline with the same --layers and --recurrent)"
        }
        return nil
    }

    /// The midpoint model `(A + B)/2` of the corrected products: the paper's "interpolated" model.
    public static func midpoint(_ a: TrainedModel, _ b: TrainedModel) throws -> TrainedModel {
        if let problem = incompatibility(a.config, b.config) { throw AnalysisError(problem) }
        let pa = try correctedProducts(a), pb = try correctedProducts(b)
        return productModel(config: a.config, layers: mix(pa, pb, alpha: 0.5))
    }

    /// The loss along `alphas` between A (α = 0) and B (α = 1) on `batch`.
    public static func curve(
        _ a: TrainedModel, _ b: TrainedModel, alphas: [Double],
        on batch: TaskBatch<Float>
    ) throws -> InterpolationCurve {
        if let problem = incompatibility(a.config, b.config) { throw AnalysisError(problem) }
        let pa = try correctedProducts(a), pb = try correctedProducts(b)
        func model(_ alpha: Double) -> TrainedModel {
            productModel(config: a.config, layers: mix(pa, pb, alpha: alpha))
        }
        let midpoint = model(0.5)
        return InterpolationCurve(
            tasks: batch.count, alphas: alphas, losses: alphas.map { Evaluation.loss(model($0), on: batch) },
            midpointLoss: Evaluation.loss(midpoint, on: batch),
            lossA: Evaluation.loss(a, on: batch), lossB: Evaluation.loss(b, on: batch),
            betasA: pa.map { $0.scaleCorrection ?? 1 }, betasB: pb.map { $0.scaleCorrection ?? 1 },
            midpointAlignment: Alignment.compare(midpoint, b, on: batch))
    }

    /// `count` evenly spaced values from 0 to 1.
    public static func alphas(count: Int) -> [Double] {
        precondition(count >= 2, "alphas: need at least 2 points")
        return (0..<count).map { Double($0) / Double(count - 1) }
    }
}
