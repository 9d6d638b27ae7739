import ICLTasks

/// What a model is, independent of its weights: the `/model` attributes of a checkpoint.
///
/// Shape letters used in this module: B tasks, T tokens per task (the query last), D model width
/// (token width, or the embedding width when there is one), Dk key width, Dh MLP hidden width,
/// H heads, L layers (applications), N context points, d input width.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// A label for the family, checked against the fields (e.g. `lsa` has linear attention only).
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// Linear self-attention only (paper eq. 6).
        case lsa
        /// Softmax self-attention only (Appendix A.9).
        case softmax
        /// Anything else built from attention, LayerNorm, MLPs and an input embedding.
        case transformer
        /// Gradient descent as a model: each layer one GD step with a learnable η (Proposition 1).
        case gd
        /// GD++ (Appendix A.10): each layer `x ← (I − γ X Xᵀ) x` and a GD step, learnable η and γ.
        case gdpp

        /// A meta-learned embedding and MLP whose output is adapted by one fixed GD step (the sine
        /// baseline, Figure 4): the attention layer is frozen to the Proposition 1 construction.
        case mlpGD = "mlp_gd"

        /// The gradient-descent models: parameters `gd/eta` (and `gd/gamma`), weights derived.
        public var isGradientDescent: Bool { self == .gd || self == .gdpp }
        /// Models whose attention weights are derived, not trained.
        public var hasDerivedWeights: Bool { isGradientDescent || self == .mlpGD }
    }

    public enum AttentionKind: String, Codable, Sendable, CaseIterable {
        case linear, softmax
    }

    /// How a task becomes tokens (declared with the tasks, in ICLTasks).
    public typealias TokenLayout = ICLTasks.TokenLayout

    public var architecture: Architecture
    /// L: applications of a layer (for a recurrent model, of its one layer).
    public var layers: Int
    /// H: attention heads per layer.
    public var heads: Int
    /// One layer applied L times (weight-tied) instead of L separate layers.
    public var recurrent: Bool
    /// d: input width.
    public var inputDim: Int
    public var outputDim: Int
    /// N: context examples per task.
    public var contextSize: Int
    /// Dk: key, query and value width of a head (the authors: equal to D).
    public var keyDim: Int
    /// Token values are clipped to ±this after every layer, when set (the authors: 10 when L > 3).
    public var clipTokens: Double?
    /// Attention of each parameter layer (one entry for a recurrent model).
    public var attention: [AttentionKind]
    /// Pre-LayerNorm on the attention branch (none before layer 0 of separate layers; one shared
    /// norm in a recurrent stack) and on the MLP branch.
    public var layerNorm: Bool
    /// Dh: hidden width of the MLP block of every layer; 0 = no MLP.
    public var mlpHidden: Int
    /// The MLP block comes before attention in each layer (the sine model), not after.
    public var mlpFirst: Bool
    /// Bias-free linear embedding of the tokens to this width before the layers; 0 = none.
    public var embeddingDim: Int
    public var tokenLayout: TokenLayout
    /// Width of the sinusoidal position code concatenated to alternating tokens.
    public var positionalDim: Int
    /// The learning rate of the frozen GD step of `mlp_gd` (the authors: 0.1).
    public var fixedEta: Double

    public init(architecture: Architecture = .lsa, layers: Int = 1, heads: Int = 1, recurrent: Bool = false,
                inputDim: Int = 10, outputDim: Int = 1, contextSize: Int = 10, keyDim: Int? = nil,
                clipTokens: Double? = nil, attention: [AttentionKind]? = nil, layerNorm: Bool = false,
                mlpHidden: Int = 0, mlpFirst: Bool = false, embeddingDim: Int = 0,
                tokenLayout: TokenLayout = .paired, positionalDim: Int = 0, fixedEta: Double = 0.1) {
        self.fixedEta = fixedEta
        self.architecture = architecture
        self.layers = layers
        self.heads = heads
        self.recurrent = recurrent
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.contextSize = contextSize
        self.clipTokens = clipTokens
        self.layerNorm = layerNorm
        self.mlpHidden = mlpHidden
        self.mlpFirst = mlpFirst
        self.embeddingDim = embeddingDim
        self.tokenLayout = tokenLayout
        self.positionalDim = positionalDim
        let parameterLayers = recurrent ? 1 : max(layers, 0)
        self.attention = attention ?? Array(repeating: architecture == .softmax ? .softmax : .linear, count: parameterLayers)
        self.keyDim = 0
        self.keyDim = keyDim ?? modelDim
    }

    /// Width of the tokens a task provides.
    public var tokenDim: Int {
        switch tokenLayout {
        case .paired: return inputDim + outputDim
        case .alternating, .alternatingOneHot: return inputDim + positionalDim
        }
    }

    /// T: tokens per task, the query last.
    public var tokenCount: Int {
        switch tokenLayout {
        case .paired: return contextSize + 1
        case .alternating, .alternatingOneHot: return 2 * contextSize + 1
        }
    }

    /// D: the width the layers work in.
    public var modelDim: Int { embeddingDim > 0 ? embeddingDim : tokenDim }

    /// Where the prediction is read: `ŷ = −h[query, readoutOffset ..< readoutOffset + outputDim]`.
    public var readoutOffset: Int {
        if embeddingDim > 0 { return modelDim - outputDim }
        switch tokenLayout {
        case .paired: return inputDim
        case .alternating, .alternatingOneHot: return inputDim - outputDim
        }
    }

    /// Layers with their own weights: 1 for a recurrent stack.
    public var parameterLayers: Int { recurrent ? 1 : layers }

    /// Whether layer `l`'s attention has a pre-norm, with LayerNorm on: every application of a
    /// recurrent stack (one shared norm); a single layer; of several separate layers, all but the
    /// first (Appendix A.9, Figure 14: "two layers where we skip the first LayerNorm").
    public func hasAttentionNorm(layer l: Int) -> Bool {
        layerNorm && (recurrent || layers == 1 || l > 0)
    }

    /// The problems with this configuration, each naming the field; empty when it is usable.
    public func problems() -> [String] {
        var out: [String] = []
        if layers < 1 { out.append("model.layers must be at least 1 (got \(layers))") }
        if heads < 1 { out.append("model.heads must be at least 1 (got \(heads))") }
        if inputDim < 1 { out.append("task.input_dim must be at least 1 (got \(inputDim))") }
        if outputDim < 1 { out.append("task.output_dim must be at least 1 (got \(outputDim))") }
        if contextSize < 1 { out.append("task.context_size must be at least 1 (got \(contextSize))") }
        if keyDim < 1 { out.append("model.key_dim must be at least 1 (got \(keyDim))") }
        if let clip = clipTokens, !(clip > 0) { out.append("model.clip_tokens must be positive (got \(clip))") }
        if mlpHidden < 0 { out.append("model.mlp_hidden must not be negative (got \(mlpHidden))") }
        if embeddingDim < 0 { out.append("model.embedding_dim must not be negative (got \(embeddingDim))") }
        if embeddingDim > 0, embeddingDim <= outputDim { out.append("model.embedding_dim must exceed task.output_dim (got \(embeddingDim))") }
        if layers >= 1, attention.count != parameterLayers {
            out.append("model.attention lists \(attention.count) layer(s), but the model has \(parameterLayers) parameter layer(s)")
        }
        switch tokenLayout {
        case .paired:
            if positionalDim != 0 { out.append("model.positional_dim needs token_layout 'alternating' (got \(positionalDim))") }
        case .alternating:
            if positionalDim < 0 || positionalDim % 2 != 0 { out.append("model.positional_dim must be even and not negative (got \(positionalDim))") }
            if outputDim > inputDim { out.append("alternating tokens need task.output_dim ≤ task.input_dim") }
        case .alternatingOneHot:
            if positionalDim != 2 * contextSize + 1 { out.append("model.positional_dim must be 2N + 1 = \(2 * contextSize + 1) for one-hot positions (got \(positionalDim))") }
            if outputDim > inputDim { out.append("alternating tokens need task.output_dim ≤ task.input_dim") }
        }
        switch architecture {
        case .lsa:
            if attention.contains(.softmax) { out.append("model.attention: architecture 'lsa' has linear attention only (use 'transformer' to mix)") }
            if layerNorm || mlpHidden > 0 || embeddingDim > 0 { out.append("model: architecture 'lsa' has no layer_norm, mlp_hidden or embedding_dim (use 'transformer')") }
        case .softmax:
            if attention.contains(.linear) { out.append("model.attention: architecture 'softmax' has softmax attention only (use 'transformer' to mix)") }
            if layerNorm || mlpHidden > 0 || embeddingDim > 0 { out.append("model: architecture 'softmax' has no layer_norm, mlp_hidden or embedding_dim (use 'transformer')") }
        case .transformer:
            break
        case .gd, .gdpp:
            if heads != 1 || attention.contains(.softmax) || layerNorm || mlpHidden > 0 || embeddingDim > 0 || tokenLayout != .paired {
                out.append("model: architecture '\(architecture.rawValue)' is gradient descent: one linear head on paired tokens, no softmax, layer_norm, MLP or embedding")
            }
            if keyDim != tokenDim { out.append("model.key_dim: architecture '\(architecture.rawValue)' needs key_dim = token width \(tokenDim) (got \(keyDim))") }
        case .mlpGD:
            if heads != 1 || attention.contains(.softmax) || layers != 1 || tokenLayout != .paired {
                out.append("model: architecture 'mlp_gd' is one frozen GD step: one layer, one linear head, paired tokens")
            }
            if keyDim != modelDim { out.append("model.key_dim: architecture 'mlp_gd' needs key_dim = model width \(modelDim) (got \(keyDim))") }
            if !(fixedEta > 0) { out.append("model.fixed_eta must be positive (got \(fixedEta))") }
        }
        return out
    }
}
