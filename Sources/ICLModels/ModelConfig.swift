import ICLDescription
import ICLTasks

/// What a model is, independent of its weights: the recipe's model and task descriptions, with
/// the values derived from them (token width, readout); the `/model` attributes of a checkpoint.
///
/// Shape letters used in this module: B tasks, T tokens per task (the query last), D model width
/// (token width, or the embedding width when there is one), Dk key width, Dh MLP hidden width,
/// H heads, L layers (applications), N context points, d input width.
@dynamicMemberLookup
public struct ModelConfig: Equatable, Sendable {
    /// A label for the family, checked against the fields (e.g. `lsa` has linear attention only).
    public enum Architecture: String, Choice, Sendable {
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

    public enum AttentionKind: String, Choice, Sendable {
        case linear, softmax
    }

    /// How a task becomes tokens (declared with the tasks, in ICLTasks).
    public typealias TokenLayout = ICLTasks.TokenLayout

    /// The recipe's `model` section as written; `null` fields are derived below.
    public var model: ModelDescription
    /// The recipe's `task` section: the sizes d, output width and N the model is built for.
    public var task: TaskDescription

    public init(_ model: ModelDescription = ModelDescription(), task: TaskDescription = TaskDescription()) {
        self.model = model
        self.task = task
    }

    /// A configuration with the fields set by `configure`, the others at their defaults:
    /// `ModelConfig { $0.layers = 2; $0.inputDim = 3 }`.
    public init(_ configure: (inout ModelConfig) -> Void) {
        self.init()
        configure(&self)
    }

    /// Every field of the model and task descriptions reads and writes as a field of the config
    /// (`config.layers`, `config.inputDim`), except the derived ones below.
    public subscript<Value>(dynamicMember field: WritableKeyPath<ModelDescription, Value>) -> Value {
        get { model[keyPath: field] }
        set { model[keyPath: field] = newValue }
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<TaskDescription, Value>) -> Value {
        get { task[keyPath: field] }
        set { task[keyPath: field] = newValue }
    }

    /// The fields stored as `/model` attributes, in the descriptions' order: one list for writing,
    /// reading and comparing a checkpoint against its recipe.
    public static let storedFields: [Field<ModelConfig>] =
        ModelDescription.fields.filter(\.stored).map { $0.lifted(\ModelConfig.resolvedModel) }
        + TaskDescription.fields.filter(\.stored).map { $0.lifted(\ModelConfig.task) }

    /// The model section with its derived fields written out (what a checkpoint stores).
    public var resolvedModel: ModelDescription {
        get {
            var m = model
            m.keyDim = keyDim
            m.attention = attention
            return m
        }
        set { model = newValue }
    }

    /// Dk: key, query and value width of a head; unset: D (the authors' square matrices).
    public var keyDim: Int {
        get { model.keyDim ?? modelDim }
        set { model.keyDim = newValue }
    }

    /// Attention of each parameter layer; unset: all linear (all softmax for architecture `softmax`).
    public var attention: [AttentionKind] {
        get {
            model.attention
                ?? Array(
                    repeating: model.architecture == .softmax ? .softmax : .linear,
                    count: max(parameterLayers, 0))
        }
        set { model.attention = newValue }
    }

    /// Two configurations are the same model when every stored field is equal.
    public static func == (a: ModelConfig, b: ModelConfig) -> Bool {
        storedFields.allSatisfy { $0.attribute(a) == $0.attribute(b) }
    }

    /// Width of the tokens a task provides.
    public var tokenDim: Int {
        switch model.tokenLayout {
        case .paired: return task.inputDim + task.outputDim
        case .alternating, .alternatingOneHot: return task.inputDim + model.positionalDim
        }
    }

    /// T: tokens per task, the query last.
    public var tokenCount: Int {
        switch model.tokenLayout {
        case .paired: return task.contextSize + 1
        case .alternating, .alternatingOneHot: return 2 * task.contextSize + 1
        }
    }

    /// D: the width the layers work in.
    public var modelDim: Int { model.embeddingDim > 0 ? model.embeddingDim : tokenDim }

    /// Where the prediction is read: `ŷ = −h[query, readoutOffset ..< readoutOffset + outputDim]`.
    public var readoutOffset: Int {
        if model.embeddingDim > 0 { return modelDim - task.outputDim }
        switch model.tokenLayout {
        case .paired: return task.inputDim
        case .alternating, .alternatingOneHot: return task.inputDim - task.outputDim
        }
    }

    /// Layers with their own weights: 1 for a recurrent stack.
    public var parameterLayers: Int { model.recurrent ? 1 : model.layers }

    /// Whether layer `l`'s attention has a pre-norm, with LayerNorm on: every application of a
    /// recurrent stack (one shared norm); a single layer; of several separate layers, all but the
    /// first (Appendix A.9, Figure 14: "two layers where we skip the first LayerNorm").
    public func hasAttentionNorm(layer l: Int) -> Bool {
        model.layerNorm && (model.recurrent || model.layers == 1 || l > 0)
    }

    /// The problems with this configuration, each naming the field; empty when it is usable.
    public func problems() -> [String] {
        var out: [String] = []
        if model.layers < 1 { out.append("model.layers must be at least 1 (got \(model.layers))") }
        if model.heads < 1 { out.append("model.heads must be at least 1 (got \(model.heads))") }
        if task.inputDim < 1 { out.append("task.input_dim must be at least 1 (got \(task.inputDim))") }
        if task.outputDim < 1 { out.append("task.output_dim must be at least 1 (got \(task.outputDim))") }
        if task.contextSize < 1 { out.append("task.context_size must be at least 1 (got \(task.contextSize))") }
        if keyDim < 1 { out.append("model.key_dim must be at least 1 (got \(keyDim))") }
        if let clip = model.clipTokens, !(clip > 0) { out.append("model.clip_tokens must be positive (got \(clip))") }
        if model.mlpHidden < 0 { out.append("model.mlp_hidden must not be negative (got \(model.mlpHidden))") }
        if model.embeddingDim < 0 { out.append("model.embedding_dim must not be negative (got \(model.embeddingDim))") }
        if model.embeddingDim > 0, model.embeddingDim <= task.outputDim {
            out.append("model.embedding_dim must exceed task.output_dim (got \(model.embeddingDim))")
        }
        if model.layers >= 1, attention.count != parameterLayers {
            out.append(
                "model.attention lists \(attention.count) layer(s), but the model has \(parameterLayers) parameter layer(s)"
            )
        }
        switch model.tokenLayout {
        case .paired:
            if model.positionalDim != 0 {
                out.append("model.positional_dim needs token_layout 'alternating' (got \(model.positionalDim))")
            }
        case .alternating:
            if model.positionalDim < 0 || model.positionalDim % 2 != 0 {
                out.append("model.positional_dim must be even and not negative (got \(model.positionalDim))")
            }
            if task.outputDim > task.inputDim { out.append("alternating tokens need task.output_dim ≤ task.input_dim") }
        case .alternatingOneHot:
            if model.positionalDim != 2 * task.contextSize + 1 {
                out.append(
                    "model.positional_dim must be 2N + 1 = \(2 * task.contextSize + 1) for one-hot positions (got \(model.positionalDim))"
                )
            }
            if task.outputDim > task.inputDim { out.append("alternating tokens need task.output_dim ≤ task.input_dim") }
        }
        switch model.architecture {
        case .lsa:
            if attention.contains(.softmax) {
                out.append("model.attention: architecture 'lsa' has linear attention only (use 'transformer' to mix)")
            }
            if model.layerNorm || model.mlpHidden > 0 || model.embeddingDim > 0 {
                out.append(
                    "model: architecture 'lsa' has no layer_norm, mlp_hidden or embedding_dim (use 'transformer')")
            }
        case .softmax:
            if attention.contains(.linear) {
                out.append(
                    "model.attention: architecture 'softmax' has softmax attention only (use 'transformer' to mix)")
            }
            if model.layerNorm || model.mlpHidden > 0 || model.embeddingDim > 0 {
                out.append(
                    "model: architecture 'softmax' has no layer_norm, mlp_hidden or embedding_dim (use 'transformer')")
            }
        case .transformer:
            break
        case .gd, .gdpp:
            if model.heads != 1 || attention.contains(.softmax) || model.layerNorm || model.mlpHidden > 0
                || model.embeddingDim > 0 || model.tokenLayout != .paired
            {
                out.append(
                    "model: architecture '\(model.architecture.rawValue)' is gradient descent: one linear head on paired tokens, no softmax, layer_norm, MLP or embedding"
                )
            }
            if keyDim != tokenDim {
                out.append(
                    "model.key_dim: architecture '\(model.architecture.rawValue)' needs key_dim = token width \(tokenDim) (got \(keyDim))"
                )
            }
        case .mlpGD:
            if model.heads != 1 || attention.contains(.softmax) || model.layers != 1 || model.tokenLayout != .paired {
                out.append(
                    "model: architecture 'mlp_gd' is one frozen GD step: one layer, one linear head, paired tokens")
            }
            if keyDim != modelDim {
                out.append(
                    "model.key_dim: architecture 'mlp_gd' needs key_dim = model width \(modelDim) (got \(keyDim))")
            }
            if !(model.fixedEta > 0) { out.append("model.fixed_eta must be positive (got \(model.fixedEta))") }
        }
        return out
    }
}
