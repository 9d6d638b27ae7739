/// Gradient descent and GD++ as attention models (Proposition 1, Appendix A.10). Their trainable
/// parameters are one η (and one γ) per parameter layer; the linear-attention weights are derived:
///
///     W_Q = W_K = [[I_d, 0], [0, 0]],   W_V = −I,   P = diag(γ·1_d, (η/N)·1_o)
///
/// so `M = P W_V = −diag(γ·1_d, (η/N)·1_o)` and a layer maps every token (x_j, y_j) to
/// `x_j − γ Σ_i x_i x_iᵀ x_j` (GD++'s `x ← (I − γ X Xᵀ) x`) and `y_j − (η/N) Σ_i y_i x_iᵀ x_j` (a GD
/// step on the residuals), both reading the tokens before the layer. Plain GD has γ = 0 fixed.
///
/// `mlp_gd` (the sine baseline) trains everything but its attention, which is the Proposition 1
/// construction with a fixed η over the model width: the last `outputDim` entries of each token
/// are its (transformed) targets, the rest its features.
public enum GradientDescentWeights {
    public static func layout(_ config: ModelConfig, weightLayout: ParameterLayout) -> ParameterLayout {
        var layout = ParameterLayout()
        if config.architecture == .mlpGD {
            for entry in weightLayout.entries where !entry.name.contains("/attention/") {
                layout.add(entry.name, shape: entry.shape, initialisation: entry.initialisation)
            }
            return layout
        }
        layout.add("gd/eta", shape: [config.parameterLayers], initialisation: .ones)
        if config.architecture == .gdpp {
            layout.add("gd/gamma", shape: [config.parameterLayers], initialisation: .zeros)
        }
        return layout
    }

    /// The η and γ (empty for plain GD) of a gd or gdpp model's parameters, looked up by their
    /// names in `layout` (which for these two kinds does not read the weight layout).
    public static func etasAndGammas<T: BinaryFloatingPoint>(_ config: ModelConfig, _ parameters: [T]) -> (etas: [Double], gammas: [Double]) {
        precondition(config.architecture.isGradientDescent, "etasAndGammas: a gd or gdpp model")
        let names = layout(config, weightLayout: ParameterLayout())
        let values = { (name: String) in names.entry(named: name).map { $0.range.map { Double(parameters[$0]) } } ?? [] }
        return (values("gd/eta"), values("gd/gamma"))
    }

    /// The attention weights of `parameters` (η, γ) in `weightLayout`'s order.
    public static func expand<T: BinaryFloatingPoint>(_ config: ModelConfig, _ parameters: [T], weightLayout: ParameterLayout,
                                                       into weights: UnsafeMutablePointer<T>) {
        weights.update(repeating: 0, count: weightLayout.count)
        if config.architecture == .mlpGD {
            let layout = self.layout(config, weightLayout: weightLayout)
            for entry in layout.entries {
                let target = weightLayout.offset(entry.name)
                for k in 0..<entry.count { weights[target + k] = parameters[entry.offset + k] }
            }
            let prefix = AttentionStack.headPath(layer: 0, head: 0), D = config.modelDim, features = D - config.outputDim
            let (q, k, v, p) = (weightLayout.offset(prefix + "W_Q"), weightLayout.offset(prefix + "W_K"),
                                weightLayout.offset(prefix + "W_V"), weightLayout.offset(prefix + "P"))
            for i in 0..<features { weights[q + i * D + i] = 1; weights[k + i * D + i] = 1 }
            for i in features..<D { weights[v + i * D + i] = -1 }
            for i in 0..<D { weights[p + i * D + i] = T(config.fixedEta) / T(config.contextSize) }
            return
        }
        let D = config.tokenDim, d = config.inputDim, N = T(config.contextSize)
        let Lp = config.parameterLayers
        for l in 0..<Lp {
            let prefix = AttentionStack.headPath(layer: l, head: 0)
            let (q, k, v, p) = (weightLayout.offset(prefix + "W_Q"), weightLayout.offset(prefix + "W_K"),
                                weightLayout.offset(prefix + "W_V"), weightLayout.offset(prefix + "P"))
            let eta = parameters[l], gamma: T = config.architecture == .gdpp ? parameters[Lp + l] : 0
            for i in 0..<d {
                weights[q + i * D + i] = 1
                weights[k + i * D + i] = 1
                weights[p + i * D + i] = gamma
            }
            for i in 0..<D { weights[v + i * D + i] = -1 }
            for i in d..<D { weights[p + i * D + i] = eta / N }
        }
    }

    /// The linear self-attention model that computes the same as GD or GD++ model `config` with
    /// `parameters` (η, γ): its derived weights in an `lsa` model of the same stack, so analyses of
    /// attention weights (heatmaps, products, interpolation, γ read from `W_PV`) apply to it.
    public static func attentionForm(_ config: ModelConfig, _ parameters: [Float]) -> (config: ModelConfig, weights: [Float]) {
        precondition(config.architecture.isGradientDescent, "attentionForm: a gd or gdpp model")
        let stack = AttentionStack(config)
        var weights = [Float](repeating: 0, count: stack.weightLayout.count)
        weights.withUnsafeMutableBufferPointer { expand(config, parameters, weightLayout: stack.weightLayout, into: $0.baseAddress!) }
        var lsa = config
        lsa.architecture = .lsa
        return (lsa, weights)
    }

    /// Adds the gradients of η and γ, from the gradients of the derived weights (only `P` depends on
    /// them): `∂L/∂γ = Σ_{i<d} ∂L/∂P_ii`, `∂L/∂η = Σ_{i≥d} ∂L/∂P_ii / N`.
    public static func contract<T: BinaryFloatingPoint>(_ config: ModelConfig, weightGradients g: UnsafePointer<T>,
                                                         weightLayout: ParameterLayout, into gradients: UnsafeMutablePointer<T>) {
        if config.architecture == .mlpGD {
            for entry in layout(config, weightLayout: weightLayout).entries {
                let source = weightLayout.offset(entry.name)
                for k in 0..<entry.count { gradients[entry.offset + k] += g[source + k] }
            }
            return
        }
        let D = config.tokenDim, d = config.inputDim, N = T(config.contextSize)
        let Lp = config.parameterLayers
        for l in 0..<Lp {
            let p = weightLayout.offset(AttentionStack.headPath(layer: l, head: 0) + "P")
            for i in d..<D { gradients[l] += g[p + i * D + i] / N }
            if config.architecture == .gdpp {
                for i in 0..<d { gradients[Lp + l] += g[p + i * D + i] }
            }
        }
    }
}
