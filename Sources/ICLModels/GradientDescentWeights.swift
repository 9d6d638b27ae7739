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
    /// The trainable parameters of gd and gdpp, one value per parameter layer (also the HDF5 paths).
    public static let etaName = "gd/eta", gammaName = "gd/gamma"

    public static func layout(_ config: ModelConfig, weightLayout: ParameterLayout) -> ParameterLayout {
        var layout = ParameterLayout()
        if config.architecture == .mlpGD {
            for entry in weightLayout.entries where !entry.name.contains("/attention/") {
                layout.add(entry.name, shape: entry.shape, initialisation: entry.initialisation)
            }
            return layout
        }
        layout.add(etaName, shape: [config.parameterLayers], initialisation: .ones)
        if config.architecture == .gdpp {
            layout.add(gammaName, shape: [config.parameterLayers], initialisation: .zeros)
        }
        return layout
    }

    /// The η and γ (empty for plain GD) of a gd or gdpp model's parameters, looked up by their
    /// names in `layout` (which for these two kinds does not read the weight layout).
    public static func etasAndGammas<T: BinaryFloatingPoint>(_ config: ModelConfig, _ parameters: [T]) -> (
        etas: [Double], gammas: [Double]
    ) {
        precondition(config.architecture.isGradientDescent, "etasAndGammas: a gd or gdpp model")
        let names = layout(config, weightLayout: ParameterLayout())
        let values = { (name: String) in names.entry(named: name).map { $0.range.map { Double(parameters[$0]) } } ?? []
        }
        return (values(etaName), values(gammaName))
    }

    /// The attention weights of `parameters` (η, γ) in `stack.weightLayout`'s order.
    public static func expand<T: BinaryFloatingPoint>(
        _ stack: AttentionStack, _ parameters: [T],
        into weights: UnsafeMutablePointer<T>
    ) {
        let config = stack.config
        weights.update(repeating: 0, count: stack.weightLayout.count)
        if config.architecture == .mlpGD {
            for entry in stack.layout.entries {
                let target = stack.weightLayout.offset(entry.name)
                for k in 0..<entry.count { weights[target + k] = parameters[entry.offset + k] }
            }
            let head = stack.weights.layers[0].heads[0], D = config.modelDim, features = D - config.outputDim
            for i in 0..<features { weights[head.W_Q + i * D + i] = 1; weights[head.W_K + i * D + i] = 1 }
            for i in features..<D { weights[head.W_V + i * D + i] = -1 }
            for i in 0..<D { weights[head.P + i * D + i] = T(config.fixedEta) / T(config.contextSize) }
            return
        }
        let D = config.tokenDim, d = config.inputDim, N = T(config.contextSize)
        let etas = stack.layout.offset(etaName), gammas = stack.layout.entry(named: gammaName)?.offset
        for (l, layer) in stack.weights.layers.enumerated() {
            let head = layer.heads[0]
            let eta = parameters[etas + l], gamma: T = gammas.map { parameters[$0 + l] } ?? 0
            for i in 0..<d {
                weights[head.W_Q + i * D + i] = 1
                weights[head.W_K + i * D + i] = 1
                weights[head.P + i * D + i] = gamma
            }
            for i in 0..<D { weights[head.W_V + i * D + i] = -1 }
            for i in d..<D { weights[head.P + i * D + i] = eta / N }
        }
    }

    /// The attention model that computes the same as GD or GD++ model `config` with `parameters`
    /// (η, γ): its derived weights in an `lsa` model of the same stack, so analyses of attention
    /// weights (heatmaps, products, interpolation, γ read from `W_PV`) apply to it. An `mlp_gd` model
    /// becomes a `transformer` with its frozen GD step written out as attention weights.
    public static func attentionForm(_ config: ModelConfig, _ parameters: [Float]) -> (
        config: ModelConfig, weights: [Float]
    ) {
        precondition(config.architecture.hasDerivedWeights, "attentionForm: a gd, gdpp or mlp_gd model")
        let stack = AttentionStack(config)
        var weights = [Float](repeating: 0, count: stack.weightLayout.count)
        weights.withUnsafeMutableBufferPointer { expand(stack, parameters, into: $0.baseAddress!) }
        var form = config
        form.architecture = config.architecture == .mlpGD ? .transformer : .lsa
        return (form, weights)
    }

    /// Adds the gradients of η and γ, from the gradients of the derived weights (only `P` depends on
    /// them): `∂L/∂γ = Σ_{i<d} ∂L/∂P_ii`, `∂L/∂η = Σ_{i≥d} ∂L/∂P_ii / N`.
    public static func contract<T: BinaryFloatingPoint>(
        _ stack: AttentionStack, weightGradients g: UnsafePointer<T>,
        into gradients: UnsafeMutablePointer<T>
    ) {
        let config = stack.config
        if config.architecture == .mlpGD {
            for entry in stack.layout.entries {
                let source = stack.weightLayout.offset(entry.name)
                for k in 0..<entry.count { gradients[entry.offset + k] += g[source + k] }
            }
            return
        }
        let D = config.tokenDim, d = config.inputDim, N = T(config.contextSize)
        let etas = stack.layout.offset(etaName), gammas = stack.layout.entry(named: gammaName)?.offset
        for (l, layer) in stack.weights.layers.enumerated() {
            let P = layer.heads[0].P
            for i in d..<D { gradients[etas + l] += g[P + i * D + i] / N }
            if let gammas {
                for i in 0..<d { gradients[gammas + l] += g[P + i * D + i] }
            }
        }
    }
}
