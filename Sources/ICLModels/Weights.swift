/// Named views of the flat parameter buffer (llm.c's habit): each block's weights under the paper's
/// names, located once when the stack is built. `Location` is an offset into the buffer (`Int`) or,
/// during a pass, a pointer into the parameters or their gradients (`map`). Each type's `named`
/// value is the one place its names are written; they are also the HDF5 dataset names.

/// One attention head: `W_Q, W_K, W_V: [Dk, D]`, `P: [D, Dk]` (paper orientation, `q = W_Q e`).
public struct HeadWeights<Location> {
    public var W_Q, W_K, W_V, P: Location

    public init(W_Q: Location, W_K: Location, W_V: Location, P: Location) {
        (self.W_Q, self.W_K, self.W_V, self.P) = (W_Q, W_K, W_V, P)
    }

    /// The names, in storage order; under `layer_<l>/attention/head_<h>/` in a checkpoint.
    public static var named: HeadWeights<String> { .init(W_Q: "W_Q", W_K: "W_K", W_V: "W_V", P: "P") }

    public func map<U>(_ transform: (Location) throws -> U) rethrows -> HeadWeights<U> {
        .init(W_Q: try transform(W_Q), W_K: try transform(W_K), W_V: try transform(W_V), P: try transform(P))
    }

    /// The weights in storage order.
    public var all: [Location] { [W_Q, W_K, W_V, P] }
}

/// The MLP block: `W_1: [Dh, D]`, `b_1: [Dh]`, `W_2: [D, Dh]`, `b_2: [D]`.
public struct MLPWeights<Location> {
    public var W_1, b_1, W_2, b_2: Location

    public init(W_1: Location, b_1: Location, W_2: Location, b_2: Location) {
        (self.W_1, self.b_1, self.W_2, self.b_2) = (W_1, b_1, W_2, b_2)
    }

    /// The names, in storage order; under `layer_<l>/mlp/` in a checkpoint.
    public static var named: MLPWeights<String> { .init(W_1: "W_1", b_1: "b_1", W_2: "W_2", b_2: "b_2") }

    public func map<U>(_ transform: (Location) throws -> U) rethrows -> MLPWeights<U> {
        .init(W_1: try transform(W_1), b_1: try transform(b_1), W_2: try transform(W_2), b_2: try transform(b_2))
    }

    public var all: [Location] { [W_1, b_1, W_2, b_2] }
}

/// A pre-LayerNorm: `scale, offset: [D]`.
public struct NormWeights<Location> {
    public var scale, offset: Location

    public init(scale: Location, offset: Location) {
        (self.scale, self.offset) = (scale, offset)
    }

    /// The names; under `layer_<l>/attention_norm/` or `layer_<l>/mlp_norm/` in a checkpoint.
    public static var named: NormWeights<String> { .init(scale: "scale", offset: "offset") }

    public func map<U>(_ transform: (Location) throws -> U) rethrows -> NormWeights<U> {
        .init(scale: try transform(scale), offset: try transform(offset))
    }

    public var all: [Location] { [scale, offset] }
}

/// The weights of one parameter layer.
public struct LayerWeights<Location> {
    public var attentionNorm: NormWeights<Location>?
    public var heads: [HeadWeights<Location>]
    public var mlpNorm: NormWeights<Location>?
    public var mlp: MLPWeights<Location>?

    /// Every weight of the layer in storage order.
    public var all: [Location] {
        (attentionNorm?.all ?? []) + heads.flatMap(\.all) + (mlpNorm?.all ?? []) + (mlp?.all ?? [])
    }

    public func map<U>(_ transform: (Location) throws -> U) rethrows -> LayerWeights<U> {
        LayerWeights<U>(
            attentionNorm: try attentionNorm?.map(transform),
            heads: try heads.map { try $0.map(transform) },
            mlpNorm: try mlpNorm?.map(transform), mlp: try mlp?.map(transform))
    }
}

/// Every weight of a stack: the embedding `W_E: [D, tokenDim]` when there is one, then each
/// parameter layer's.
public struct StackWeights<Location> {
    public var embedding: Location?
    public var layers: [LayerWeights<Location>]

    public func map<U>(_ transform: (Location) throws -> U) rethrows -> StackWeights<U> {
        StackWeights<U>(embedding: try embedding.map(transform), layers: try layers.map { try $0.map(transform) })
    }
}

/// The checkpoint paths of the weights (under `/model`), written here only.
public enum ParameterPath {
    public static let embedding = "embedding/W_E"
    /// `layer_<l>/`: the group of parameter layer l.
    public static func layer(_ l: Int) -> String { "layer_\(l)/" }
    /// `layer_<l>/attention/head_<h>/`.
    public static func head(layer l: Int, head h: Int) -> String { layer(l) + "attention/head_\(h)/" }
    public static func mlp(layer l: Int) -> String { layer(l) + "mlp/" }
    public static func attentionNorm(layer l: Int) -> String { layer(l) + "attention_norm/" }
    public static func mlpNorm(layer l: Int) -> String { layer(l) + "mlp_norm/" }
}

extension StackWeights where Location == Int {
    /// Lays out the weights of a stack of `config` in `layout`, in storage order (the embedding;
    /// then per layer the attention norm, the heads, the MLP norm, the MLP), and locates them.
    static func add(_ config: ModelConfig, to layout: inout ParameterLayout) -> StackWeights<Int> {
        let D = config.modelDim, Dk = config.keyDim, H = config.heads, Dh = config.mlpHidden
        func norm(_ prefix: String) -> NormWeights<Int> {
            NormWeights<String>.named.map { name in
                let isScale = name == NormWeights<String>.named.scale
                return layout.add(prefix + name, shape: [D], initialisation: isScale ? .ones : .zeros)
            }
        }
        // Shapes and fan-ins (the input width of each linear map): Haiku's output projection reads
        // the concatenated heads, so P's fan-in is H·Dk; biases start at 0.
        let headShapes = HeadWeights(W_Q: ([Dk, D], D), W_K: ([Dk, D], D), W_V: ([Dk, D], D), P: ([D, Dk], H * Dk))
        let mlpShapes = MLPWeights(W_1: ([Dh, D], D), b_1: ([Dh], 0), W_2: ([D, Dh], Dh), b_2: ([D], 0))
        func add(_ path: String, _ shape: (dims: [Int], fanIn: Int)) -> Int {
            shape.fanIn > 0
                ? layout.add(path, shape: shape.dims, fanIn: shape.fanIn)
                : layout.add(path, shape: shape.dims, initialisation: .zeros)
        }
        var stack = StackWeights(embedding: nil, layers: [])
        if config.embeddingDim > 0 {
            stack.embedding = layout.add(ParameterPath.embedding, shape: [D, config.tokenDim], fanIn: config.tokenDim)
        }
        for l in 0..<config.parameterLayers {
            var layer = LayerWeights<Int>(attentionNorm: nil, heads: [], mlpNorm: nil, mlp: nil)
            if config.hasAttentionNorm(layer: l) { layer.attentionNorm = norm(ParameterPath.attentionNorm(layer: l)) }
            for h in 0..<H {
                let prefix = ParameterPath.head(layer: l, head: h)
                var names = HeadWeights<String>.named.all.makeIterator()
                layer.heads.append(headShapes.map { add(prefix + names.next()!, $0) })
            }
            if Dh > 0 {
                if config.layerNorm { layer.mlpNorm = norm(ParameterPath.mlpNorm(layer: l)) }
                var names = MLPWeights<String>.named.all.makeIterator()
                layer.mlp = mlpShapes.map { add(ParameterPath.mlp(layer: l) + names.next()!, $0) }
            }
            stack.layers.append(layer)
        }
        return stack
    }
}

extension HeadWeights: Sendable where Location: Sendable {}

extension MLPWeights: Sendable where Location: Sendable {}

extension NormWeights: Sendable where Location: Sendable {}

extension LayerWeights: Sendable where Location: Sendable {}

extension StackWeights: Sendable where Location: Sendable {}
