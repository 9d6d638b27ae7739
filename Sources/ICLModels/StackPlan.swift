/// Where each block of each layer application keeps its per-task state on the "tape" — the buffer
/// the forward pass fills and the backward pass reads. Its weights are its layer's `LayerWeights`.
struct StackPlan: Sendable {
    enum Kind: Sendable, Equatable {
        case attention(ModelConfig.AttentionKind)
        case mlp
    }

    /// One block (attention or MLP, with its optional pre-norm) of one parameter layer.
    struct Block: Sendable {
        var kind: Kind
        var layer: Int
        var hasNorm: Bool
    }

    /// A per-task array on the tape: `size` elements per task. The tape is laid out region by
    /// region (`[region][B][size]`), so a region of consecutive tasks is one contiguous block that
    /// per-token operations (norms, MLPs, residuals) can take in one call.
    struct Region: Sendable {
        var offset = 0
        var size = 0
    }

    /// The tape regions of one block within one application.
    struct Slot: Sendable {
        var normStatistics = Region()  // LayerNorm cache (per token)
        var normed = Region()  // the normalised tokens u = LN(s), [T, D]
        var cache = Region()  // the kernel's cache
        var output = Region()  // s_out = s_in + delta(u) before clipping, [T, D]
    }

    let blocks: [[Block]]  // per parameter layer
    /// `slots[a][b]`: application a, block b.
    let slots: [[Slot]]
    /// Application a's input; `inputs[L]` is the stack's (clipped) output.
    let inputs: [Region]
    /// Elements per task over all regions.
    let tapeSize: Int
    let hasEmbedding: Bool

    /// Whether block k of application a reads the raw tokens directly (no embedding, no norm before
    /// it): its token gradient is needed only when the caller asks for ∂L/∂tokens.
    func readsRawTokens(application a: Int, block k: Int) -> Bool {
        a == 0 && k == 0 && !hasEmbedding && !blocks[0][0].hasNorm
    }

    init(config c: ModelConfig, weights: StackWeights<Int>) {
        let D = c.modelDim, T = c.tokenCount, H = c.heads
        hasEmbedding = weights.embedding != nil
        let blocks = weights.layers.enumerated().map { l, layer -> [Block] in
            let attention = Block(kind: .attention(c.attention[l]), layer: l, hasNorm: layer.attentionNorm != nil)
            guard layer.mlp != nil else { return [attention] }
            let mlp = Block(kind: .mlp, layer: l, hasNorm: layer.mlpNorm != nil)
            return c.mlpFirst ? [mlp, attention] : [attention, mlp]
        }
        self.blocks = blocks
        var offset = 0
        func region(_ size: Int) -> Region {
            defer { offset += size }
            return Region(offset: offset, size: size)
        }
        var inputs: [Region] = []
        var slots: [[Slot]] = []
        for a in 0..<c.layers {
            inputs.append(region(T * D))
            var row: [Slot] = []
            for block in blocks[c.recurrent ? 0 : a] {
                var slot = Slot()
                if block.hasNorm {
                    slot.normStatistics = region(LayerNorm.cacheSize(tokenCount: T, tokenDim: D))
                    slot.normed = region(T * D)
                }
                switch block.kind {
                case .attention(.linear): slot.cache = region(LinearSelfAttention.chunkCacheSize(tokenDim: D))
                case .attention(.softmax): slot.cache = region(SoftmaxAttention.chunkCacheSize(tokenCount: T, heads: H))
                case .mlp: slot.cache = region(MultiLayerPerceptron.cacheSize(rows: T, hidden: c.mlpHidden))
                }
                slot.output = region(T * D)
                row.append(slot)
            }
            slots.append(row)
        }
        inputs.append(region(T * D))
        self.inputs = inputs
        self.slots = slots
        tapeSize = offset
    }

    /// Scratch one chunk of at most `tasks` tasks needs: the largest kernel's (per task for
    /// attention, for the whole chunk for the MLP), then three `[tasks, T, D]` gradient buffers.
    static func scratchSize(_ c: ModelConfig, tasks: Int) -> (kernel: Int, total: Int) {
        let D = c.modelDim, T = c.tokenCount
        var kernel = max(
            LinearSelfAttention.chunkScratchSize(tasks: tasks, tokenCount: T, tokenDim: D, heads: c.heads),
            LinearSelfAttention.queriesScratchSize(tasks: tasks, tokenDim: D))
        kernel = max(
            kernel, LinearSelfAttention.laneScratchSize(tasks: tasks, tokenCount: T, tokenDim: D, heads: c.heads))
        kernel = max(kernel, SoftmaxAttention.chunkScratchSize(tasks: tasks, tokenCount: T, keyDim: c.keyDim))
        kernel = max(
            kernel, SoftmaxAttention.laneScratchSize(tokenCount: T, tokenDim: D, keyDim: c.keyDim, heads: c.heads))
        if c.mlpHidden > 0 {
            kernel = max(kernel, MultiLayerPerceptron.scratchSize(rows: tasks * T, hidden: c.mlpHidden))
        }
        return (kernel, kernel + 3 * tasks * T * D)
    }
}

extension LayerWeights {
    /// The pre-norm of a block of this layer, if it has one.
    func norm(_ kind: StackPlan.Kind) -> NormWeights<Location>? { kind == .mlp ? mlpNorm : attentionNorm }
}
