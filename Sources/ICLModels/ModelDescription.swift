import ICLDescription
import ICLTasks

/// A model as a recipe's `model` section spells it. Fields left `null` (`keyDim`, `clipTokens`,
/// `attention`) are derived: by `ModelConfig` (key width, attention) or the recipe (clipping).
/// Adding a field: a property here and one line in `fields` (`.omittedWhenDefault`, so existing
/// recipes and checkpoints stay as they are); the recipe's JSON and the checkpoint's `/model`
/// attributes follow from that line.
public struct ModelDescription: Described, Equatable, Sendable {
    public var architecture: ModelConfig.Architecture = .lsa
    /// L: applications of a layer (for a recurrent model, of its one layer).
    public var layers = 1
    /// H: attention heads per layer.
    public var heads = 1
    /// One layer applied L times (weight-tied) instead of L separate layers.
    public var recurrent = false
    /// Dk: key/query/value width per head; null: the model width D (the authors' square matrices).
    public var keyDim: Int?
    /// Token values are clipped to ±this after every layer; null in a recipe: 10 when layers > 3
    /// (the authors), else none.
    public var clipTokens: Double?
    /// Attention of each parameter layer; null: all linear (all softmax for architecture "softmax").
    public var attention: [ModelConfig.AttentionKind]?
    /// Pre-LayerNorm on the attention branch (none before layer 0 of separate layers; one shared
    /// norm in a recurrent stack) and on the MLP branch.
    public var layerNorm = false
    /// Dh: hidden width of the MLP block of every layer; 0 = no MLP.
    public var mlpHidden = 0
    /// The MLP block comes before attention in each layer (the sine model), not after.
    public var mlpFirst = false
    /// Bias-free linear embedding of the tokens to this width before the layers; 0 = none.
    public var embeddingDim = 0
    public var tokenLayout: ModelConfig.TokenLayout = .paired
    /// Width of the position code concatenated to alternating tokens.
    public var positionalDim = 0
    /// Gradient-descent models: the initial η of every step (γ starts at η/N², the authors' choice).
    public var etaInit = 1.0
    /// mlp_gd: the learning rate of the frozen GD step (the authors: 0.1).
    public var fixedEta = 0.1
    /// The MLP's nonlinearity: the paper's tanh-approximated GELU, or ReLU.
    public var activation = MultiLayerPerceptron.Activation.gelu

    public init() {}

    public static let fields: [Field<ModelDescription>] = [
        Field("architecture", \.architecture, .recipeAndModel),
        Field("layers", \.layers, .recipeAndModel),
        Field("heads", \.heads, .recipeAndModel),
        Field("recurrent", \.recurrent, .recipeAndModel),
        Field("key_dim", \.keyDim, .recipeAndModel),
        Field("clip_tokens", \.clipTokens, .recipeAndModel),
        Field("attention", \.attention, .recipeAndModel),
        Field("layer_norm", \.layerNorm, .recipeAndModel),
        Field("mlp_hidden", \.mlpHidden, .recipeAndModel),
        Field("mlp_first", \.mlpFirst, .recipeAndModel),
        Field("embedding_dim", \.embeddingDim, .recipeAndModel),
        Field("token_layout", \.tokenLayout, .recipeAndModel),
        Field("positional_dim", \.positionalDim, .recipeAndModel),
        Field("eta_init", \.etaInit),
        Field("fixed_eta", \.fixedEta, .recipeAndModel),
        Field("activation", \.activation, .omittedWhenDefault),
    ]
}
