/// What a model is, independent of its weights: the `/model` attributes of a checkpoint.
/// Shape letters used in this module: B tasks, T tokens (N context + 1 query), D token width,
/// Dk key width, H heads, L layers (applications), N context points, d input width.
public struct ModelConfig: Codable, Equatable, Sendable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// Linear self-attention only (paper eq. 6).
        case lsa
    }

    public var architecture: Architecture
    /// L: applications of attention (for a recurrent model, of its one layer).
    public var layers: Int
    /// H: heads per layer.
    public var heads: Int
    /// One layer applied L times (weight-tied) instead of L separate layers.
    public var recurrent: Bool
    /// d: input width; D = d + outputDim.
    public var inputDim: Int
    public var outputDim: Int
    /// N: context tokens per task; T = N + 1.
    public var contextSize: Int
    /// Dk: key, query and value width of a head (the authors: equal to D).
    public var keyDim: Int
    /// Token values are clipped to ±this after every layer, when set (the authors: 10 when L > 3).
    public var clipTokens: Double?

    public init(architecture: Architecture = .lsa, layers: Int = 1, heads: Int = 1, recurrent: Bool = false,
                inputDim: Int = 10, outputDim: Int = 1, contextSize: Int = 10, keyDim: Int? = nil,
                clipTokens: Double? = nil) {
        self.architecture = architecture
        self.layers = layers
        self.heads = heads
        self.recurrent = recurrent
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.contextSize = contextSize
        self.keyDim = keyDim ?? (inputDim + outputDim)
        self.clipTokens = clipTokens
    }

    public var tokenDim: Int { inputDim + outputDim }
    public var tokenCount: Int { contextSize + 1 }
    /// Layers with their own weights: 1 for a recurrent stack.
    public var parameterLayers: Int { recurrent ? 1 : layers }

    /// The problems with this configuration, each naming the field; empty when it is usable.
    public func problems() -> [String] {
        var out: [String] = []
        if layers < 1 { out.append("model.layers must be at least 1 (got \(layers))") }
        if heads < 1 { out.append("model.heads must be at least 1 (got \(heads))") }
        if inputDim < 1 { out.append("input_dim must be at least 1 (got \(inputDim))") }
        if outputDim < 1 { out.append("output_dim must be at least 1 (got \(outputDim))") }
        if contextSize < 1 { out.append("context_size must be at least 1 (got \(contextSize))") }
        if keyDim < 1 { out.append("model.key_dim must be at least 1 (got \(keyDim))") }
        if let clip = clipTokens, !(clip > 0) { out.append("model.clip_tokens must be positive (got \(clip))") }
        return out
    }
}
