/// Where each block of each layer application keeps its per-task state on the "tape" — the buffer
/// the forward pass fills and the backward pass reads — and where its parameters live.
struct StackPlan: Sendable {
    enum Kind: Sendable, Equatable {
        case attention(ModelConfig.AttentionKind)
        case mlp
    }

    /// One block (attention or MLP, with its optional pre-norm) of one parameter layer.
    struct Block: Sendable {
        var kind: Kind
        var layer: Int
        /// Offsets of the norm's `scale` and `offset` in the parameters, when the block has a norm.
        var norm: (scale: Int, offset: Int)?
        /// Offsets of the block's weights: `[W_Q, W_K, W_V, P]` per head, or `[W_1, b_1, W_2, b_2]`.
        var weights: [Int]
    }

    /// Per-task tape offsets of one block within one application.
    struct Slot: Sendable {
        var normStatistics = 0   // LayerNorm cache (per token)
        var normed = 0           // the normalised tokens u = LN(s), [T, D]
        var cache = 0            // the kernel's cache
        var output = 0           // s_out = s_in + delta(u) before clipping, [T, D]
    }

    let blocks: [[Block]]        // per parameter layer
    /// `slots[a][b]`: application a, block b.
    let slots: [[Slot]]
    /// Per-task tape offset of application a's input; `inputs[L]` is the stack's (clipped) output.
    let inputs: [Int]
    let tapeSize: Int
    let embedding: Int?

    init(config c: ModelConfig, layout: ParameterLayout) {
        let D = c.modelDim, T = c.tokenCount, H = c.heads, Dk = c.keyDim
        embedding = layout.entry(named: "embedding/W_E")?.offset
        var blocks: [[Block]] = []
        for l in 0..<c.parameterLayers {
            let p = "layer_\(l)/"
            var attention = Block(kind: .attention(c.attention[l]), layer: l, norm: nil, weights: [])
            if c.hasAttentionNorm(layer: l) {
                attention.norm = (layout.offset(p + "attention_norm/scale"), layout.offset(p + "attention_norm/offset"))
            }
            for h in 0..<H {
                for name in LinearSelfAttention.parameterNames {
                    attention.weights.append(layout.offset(AttentionStack.headPath(layer: l, head: h) + name))
                }
            }
            var layer = [attention]
            if c.mlpHidden > 0 {
                var mlp = Block(kind: .mlp, layer: l, norm: nil, weights: ["W_1", "b_1", "W_2", "b_2"].map { layout.offset(p + "mlp/" + $0) })
                if c.layerNorm { mlp.norm = (layout.offset(p + "mlp_norm/scale"), layout.offset(p + "mlp_norm/offset")) }
                layer = c.mlpFirst ? [mlp, attention] : [attention, mlp]
            }
            blocks.append(layer)
        }
        self.blocks = blocks
        var offset = 0
        var inputs: [Int] = []
        var slots: [[Slot]] = []
        for a in 0..<c.layers {
            inputs.append(offset)
            offset += T * D
            var row: [Slot] = []
            for block in blocks[c.recurrent ? 0 : a] {
                var slot = Slot()
                if block.norm != nil {
                    slot.normStatistics = offset; offset += LayerNorm.cacheSize(tokenCount: T, tokenDim: D)
                    slot.normed = offset; offset += T * D
                }
                slot.cache = offset
                switch block.kind {
                case .attention(.linear): offset += 2 * D * D
                case .attention(.softmax): offset += SoftmaxAttention.cacheSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk)
                case .mlp: offset += MultiLayerPerceptron.cacheSize(rows: T, hidden: c.mlpHidden)
                }
                slot.output = offset; offset += T * D
                row.append(slot)
            }
            slots.append(row)
        }
        inputs.append(offset)
        offset += T * D
        self.inputs = inputs
        self.slots = slots
        tapeSize = offset
    }

    /// Scratch one chunk needs: the largest kernel's, plus three `[T, D]` gradient buffers.
    static func scratchSize(_ c: ModelConfig) -> Int {
        let D = c.modelDim, T = c.tokenCount
        var kernel = 4 * D * D + 5 * D
        kernel = max(kernel, SoftmaxAttention.scratchSize(tokenCount: T, tokenDim: D, heads: c.heads, keyDim: c.keyDim))
        if c.mlpHidden > 0 { kernel = max(kernel, MultiLayerPerceptron.scratchSize(rows: T, hidden: c.mlpHidden)) }
        return kernel + 3 * T * D
    }
}
