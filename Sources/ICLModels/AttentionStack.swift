import ICLMath

/// The paper's Transformer family over a batch of tasks: an optional bias-free embedding, then L
/// applications of a layer (separate weights per layer, or one recurrent layer), each layer an
/// attention block (linear or softmax, H heads) and optionally an MLP block, each block with an
/// optional pre-LayerNorm and a residual: `s ← s + block(LN(s))`. Token values are clipped after
/// every layer when `clipTokens` is set. The read-out is `ŷ = −h[query, readoutOffset …]`.
///
/// Tasks are independent, so a chunk of tasks runs through every layer, forward and backward, on
/// one thread; only parameter gradients are reduced, in chunk order, so results do not depend on
/// the number of threads.
public struct AttentionStack: Sendable {
    public let config: ModelConfig
    /// The trainable parameters (what the optimiser and the checkpoint see).
    public let layout: ParameterLayout
    /// The weights the layers use: the same as `layout`, except for the gradient-descent models,
    /// whose weights are derived from η and γ (`GradientDescentWeights`).
    public let weightLayout: ParameterLayout
    let plan: StackPlan

    public init(_ config: ModelConfig) {
        self.config = config
        var layout = ParameterLayout()
        let D = config.modelDim, Dk = config.keyDim, H = config.heads
        if config.embeddingDim > 0 {
            layout.add("embedding/W_E", shape: [D, config.tokenDim], fanIn: config.tokenDim)
        }
        for l in 0..<config.parameterLayers {
            let p = AttentionStack.layerPath(l)
            if config.hasAttentionNorm(layer: l) {
                layout.add(p + "attention_norm/scale", shape: [D], initialisation: .ones)
                layout.add(p + "attention_norm/offset", shape: [D], initialisation: .zeros)
            }
            for h in 0..<H {
                let prefix = AttentionStack.headPath(layer: l, head: h)
                layout.add(prefix + "W_Q", shape: [Dk, D], fanIn: D)
                layout.add(prefix + "W_K", shape: [Dk, D], fanIn: D)
                layout.add(prefix + "W_V", shape: [Dk, D], fanIn: D)
                // Haiku's output projection reads the concatenated heads: fan-in H·Dk.
                layout.add(prefix + "P", shape: [D, Dk], fanIn: H * Dk)
            }
            if config.mlpHidden > 0 {
                let Dh = config.mlpHidden
                if config.layerNorm {
                    layout.add(p + "mlp_norm/scale", shape: [D], initialisation: .ones)
                    layout.add(p + "mlp_norm/offset", shape: [D], initialisation: .zeros)
                }
                layout.add(p + "mlp/W_1", shape: [Dh, D], fanIn: D)
                layout.add(p + "mlp/b_1", shape: [Dh], initialisation: .zeros)
                layout.add(p + "mlp/W_2", shape: [D, Dh], fanIn: Dh)
                layout.add(p + "mlp/b_2", shape: [D], initialisation: .zeros)
            }
        }
        weightLayout = layout
        self.layout = config.architecture.hasDerivedWeights ? GradientDescentWeights.layout(config, weightLayout: layout) : layout
        plan = StackPlan(config: config, layout: layout)
    }

    /// `layer_<l>/`: the prefix of every parameter of parameter layer l (its HDF5 group under `/model`).
    public static func layerPath(_ layer: Int) -> String { "layer_\(layer)/" }

    /// `layer_<l>/attention/head_<h>/`: the parameter names' prefix, also the HDF5 path under `/model`.
    public static func headPath(layer: Int, head: Int) -> String {
        layerPath(layer) + "attention/head_\(head)/"
    }

    /// Fixed number of chunks for a batch: enough to keep two cores busy with unequal luck, and
    /// independent of the machine so results are too.
    static func chunkCount(_ batch: Int) -> Int { min(batch, 16) }

    public func makeWorkspace<T: BinaryFloatingPoint>(batchSize: Int, as _: T.Type = T.self) -> Workspace<T> {
        Workspace<T>(stack: self, batchSize: batchSize, chunks: AttentionStack.chunkCount(batchSize))
    }

    /// Whether the last block of the last application computes the query alone (all the read-out needs).
    func queryOnly<T>(_ workspace: Workspace<T>) -> Bool {
        !workspace.computeAllTokens && plan.blocks[config.recurrent ? 0 : config.layers - 1].last!.kind == .attention(.linear)
    }

    // MARK: Forward

    /// Predictions `[B, outputDim]` for `count` tasks of `tokens` (`[B, T, tokenDim]`). Keeps what
    /// the backward pass needs in `workspace`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: BinaryFloatingPoint>(
        parameters: [T], tokens: [T], count: Int, workspace: Workspace<T>
    ) -> [T] {
        let c = config
        precondition(parameters.count == layout.count, "parameters: \(parameters.count) values, layout needs \(layout.count)")
        precondition(tokens.count == count * c.tokenCount * c.tokenDim, "tokens: wrong count for \(count) tasks")
        precondition(count <= workspace.batchSize, "workspace too small")
        let D = c.modelDim, T_ = c.tokenCount, H = c.heads, L = c.layers, DD = D * D
        workspace.count = count
        if c.architecture.hasDerivedWeights {
            GradientDescentWeights.expand(config, parameters, weightLayout: weightLayout, into: workspace.parameters)
        } else {
            workspace.parameters.update(from: parameters, count: parameters.count)
        }
        let w = UnsafePointer(workspace.parameters)
        // Per-step products of the linear-attention weights, shared by all tasks.
        for (l, layer) in plan.blocks.enumerated() {
            for block in layer where block.kind == .attention(.linear) {
                LinearSelfAttention.products(heads: H, tokenDim: D, keyDim: c.keyDim, weights: block.weights.map { w + $0 },
                                             M: workspace.M + l * H * DD, K: workspace.K + l * H * DD)
            }
        }
        let weights = plan.blocks.map { layer in layer.map { block in block.weights.map { w + $0 } } }
        let queryOnly = self.queryOnly(workspace)
        let clip = c.clipTokens.map { T($0) }
        let chunks = min(workspace.chunks, count)
        let ws = workspace, plan = self.plan, task = T_ * D
        tokens.withUnsafeBufferPointer { tokenBuffer in
            let source = SharedPointer(UnsafeMutablePointer(mutating: tokenBuffer.baseAddress!))
            parallelFor(chunks: chunks) { chunk in
                // A chunk of tasks goes through the stack block by block: attention task by task, and
                // per-token work (embedding, norms, MLPs, residuals, clipping) on the whole chunk at once.
                let scratch = ws.scratch + chunk * ws.scratchSize
                let tasks = chunkRange(chunk, of: chunks, count: count)
                let first = tasks.lowerBound, n = tasks.count
                let chunkTokens = source.base + first * T_ * c.tokenDim
                if let e = plan.embedding {
                    // h = W_E x for every token (rows: H = X W_Eᵀ); the raw tokens are kept for W_E's gradient.
                    let raw = ws.rawTokens + first * T_ * c.tokenDim
                    raw.update(from: chunkTokens, count: n * T_ * c.tokenDim)
                    gemm(n * T_, D, c.tokenDim, raw, w + e, transposeB: true, into: ws.at(plan.inputs[0], first))
                } else {
                    ws.at(plan.inputs[0], first).update(from: chunkTokens, count: n * task)
                }
                for a in 0..<L {
                    let l = c.recurrent ? 0 : a
                    var state = ws.at(plan.inputs[a], first)
                    for (k, block) in plan.blocks[l].enumerated() {
                        let slot = plan.slots[a][k]
                        let last = a == L - 1 && k == plan.blocks[l].count - 1
                        var u = state
                        if let norm = block.norm {
                            u = ws.at(slot.normed, first)
                            LayerNorm.forward(tokens: state, tokenCount: n * T_, tokenDim: D, scale: w + norm.scale, offset: w + norm.offset,
                                              cache: ws.at(slot.normStatistics, first), out: u)
                        }
                        let out = ws.at(slot.output, first)
                        let blockWeights = weights[l][k]
                        switch block.kind {
                        case .attention(.linear) where last && queryOnly:
                            // Only the query rows are computed: all the read-out needs.
                            LinearSelfAttention.forwardQueries(tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                                                               M: ws.M + l * H * DD, K: ws.K + l * H * DD, scratch: scratch, delta: out)
                            for i in 0..<n {
                                let q = i * task + (T_ - 1) * D
                                for j in q..<(q + D) { out[j] += state[j] }
                            }
                        case .attention(.linear):
                            LinearSelfAttention.forwardChunk(tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                                                             M: ws.M + l * H * DD, K: ws.K + l * H * DD, cache: ws.at(slot.cache, first),
                                                             scratch: scratch, delta: out)
                        case .attention(.softmax):
                            SoftmaxAttention.forwardChunk(tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H, keyDim: c.keyDim,
                                                          weights: blockWeights, cache: ws.at(slot.cache, first), scratch: scratch,
                                                          delta: out)
                        case .mlp:
                            MultiLayerPerceptron.forward(tokens: u, rows: n * T_, tokenDim: D, hidden: c.mlpHidden, activation: c.activation,
                                                         W_1: blockWeights[0], b_1: blockWeights[1], W_2: blockWeights[2], b_2: blockWeights[3],
                                                         cache: ws.at(slot.cache, first), delta: out)
                        }
                        if !(last && queryOnly && block.kind == .attention(.linear)) {
                            for j in 0..<(n * task) { out[j] += state[j] }
                        }
                        state = out
                    }
                    // The next application's input: this layer's output, clipped (only the queries
                    // when nothing else was computed).
                    let next = ws.at(plan.inputs[a + 1], first)
                    let queriesOnly = a == L - 1 && queryOnly
                    for r in 0..<(queriesOnly ? n : 1) {
                        let from = queriesOnly ? (r * T_ + T_ - 1) * D : 0, count = queriesOnly ? D : n * task
                        (next + from).update(from: state + from, count: count)
                        if let clip { for j in from..<(from + count) { next[j] = min(max(next[j], -clip), clip) } }
                    }
                }
            }
        }
        var predictions = [T](repeating: 0, count: count * c.outputDim)
        for b in 0..<count {
            let query = workspace.at(plan.inputs[L], b) + (T_ - 1) * D
            for o in 0..<c.outputDim { predictions[b * c.outputDim + o] = -query[c.readoutOffset + o] }
        }
        return predictions
    }

    // MARK: Backward

    /// Back-propagates `dPredictions` (`[B, outputDim]`, ∂loss/∂ŷ) through the last forward pass.
    /// Adds parameter gradients into `gradients` (callers zero them once per step) and, when given,
    /// writes ∂loss/∂tokens (`[B, T, tokenDim]`) into `inputGradients`.
    ///
    /// With `outputGradients` (`[B, T, D]`, for a forward pass with `computeAllTokens`), the pass
    /// starts from that gradient of the final tokens instead of the read-out's — for sensitivities of
    /// any token to any other (the copying analysis); `dPredictions` is then ignored.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward<T: BinaryFloatingPoint>(
        parameters: [T], dPredictions: [T], workspace: Workspace<T>,
        gradients: inout [T], inputGradients: UnsafeMutablePointer<T>? = nil,
        outputGradients: UnsafePointer<T>? = nil
    ) {
        let c = config, count = workspace.count
        precondition(dPredictions.count == count * c.outputDim, "dPredictions: wrong count")
        precondition(gradients.count == layout.count, "gradients: wrong count")
        let D = c.modelDim, T_ = c.tokenCount, H = c.heads, L = c.layers, DD = D * D, task = T_ * D
        let productsSize = c.parameterLayers * H * DD
        let clip = c.clipTokens.map { T($0) }
        let chunks = min(workspace.chunks, count)
        let ws = workspace, plan = self.plan
        let w = UnsafePointer(workspace.parameters)
        let weights = plan.blocks.map { layer in layer.map { block in block.weights.map { w + $0 } } }
        let queryOnly = self.queryOnly(workspace)
        let inputGradientsBox = inputGradients.map { SharedPointer($0) }
        precondition(outputGradients == nil || workspace.computeAllTokens, "outputGradients needs a forward pass with computeAllTokens")
        let outputGradientsBox = outputGradients.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
        let parameterCount = weightLayout.count
        dPredictions.withUnsafeBufferPointer { dPredBuffer in
            let dPred = dPredBuffer.baseAddress!
            parallelFor(chunks: chunks) { chunk in
                let scratch = ws.scratch + chunk * ws.scratchSize
                let tasks = chunkRange(chunk, of: chunks, count: count)
                let first = tasks.lowerBound, n = tasks.count
                // Gradient buffers for the chunk's tokens: G = ∂L/∂(block output), dU, dS.
                let G = scratch + ws.kernelScratchSize, dS = G + ws.chunkTasks * task, dU = dS + ws.chunkTasks * task
                let grads = ws.chunkGradients + chunk * ws.chunkGradientSize
                let dM = grads + parameterCount, dK = dM + productsSize
                grads.update(repeating: 0, count: ws.chunkGradientSize)
                let blockGradients = plan.blocks.map { layer in layer.map { block in block.weights.map { grads + $0 } } }
                if let box = outputGradientsBox {
                    G.update(from: box.base + first * task, count: n * task)
                } else {
                    G.update(repeating: 0, count: n * task)
                    for i in 0..<n {
                        for o in 0..<c.outputDim { G[i * task + (T_ - 1) * D + c.readoutOffset + o] = -dPred[(first + i) * c.outputDim + o] }
                    }
                }
                for a in (0..<L).reversed() {
                    let l = c.recurrent ? 0 : a
                    let blocks = plan.blocks[l]
                    if let clip {
                        // Clipped entries pass no gradient: test the layer's unclipped output.
                        let pre = ws.at(plan.slots[a][blocks.count - 1].output, first)
                        for j in 0..<(n * task) where pre[j] > clip || pre[j] < -clip { G[j] = 0 }
                    }
                    for k in (0..<blocks.count).reversed() {
                        let block = blocks[k], slot = plan.slots[a][k]
                        let state = UnsafePointer(k == 0 ? ws.at(plan.inputs[a], first) : ws.at(plan.slots[a][k - 1].output, first))
                        let u = block.norm == nil ? state : UnsafePointer(ws.at(slot.normed, first))
                        let last = a == L - 1 && k == blocks.count - 1
                        // s_out = s_in + delta(u): the residual passes G through, the block adds into dU.
                        let tokensGradient = inputGradientsBox != nil || !plan.readsRawTokens(application: a, block: k)
                        let dTokens = tokensGradient ? dU : nil
                        if tokensGradient { dU.update(repeating: 0, count: n * task) }
                        switch block.kind {
                        case .attention(.linear) where last && queryOnly:
                            LinearSelfAttention.backwardQueries(dOut: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                                                                M: ws.M + l * H * DD, K: ws.K + l * H * DD, scratch: scratch,
                                                                dE: dTokens, dM: dM + l * H * DD, dK: dK + l * H * DD)
                        case .attention(.linear):
                            LinearSelfAttention.backwardChunk(dOut: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                                                              M: ws.M + l * H * DD, K: ws.K + l * H * DD, cache: ws.at(slot.cache, first),
                                                              scratch: scratch, dE: dTokens, dM: dM + l * H * DD, dK: dK + l * H * DD)
                        case .attention(.softmax):
                            SoftmaxAttention.backwardChunk(dDelta: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                                                           keyDim: c.keyDim, weights: weights[l][k], cache: ws.at(slot.cache, first),
                                                           scratch: scratch, dTokens: dTokens, gradients: blockGradients[l][k])
                        case .mlp:
                            let g = blockGradients[l][k], bw = weights[l][k]
                            MultiLayerPerceptron.backward(dDelta: G, tokens: u, rows: n * T_, tokenDim: D, hidden: c.mlpHidden,
                                                          W_1: bw[0], b_1: bw[1], W_2: bw[2], cache: ws.at(slot.cache, first), scratch: scratch,
                                                          dTokens: dTokens, dW_1: g[0], dB_1: g[1], dW_2: g[2], dB_2: g[3])
                        }
                        if let norm = block.norm {
                            dS.update(from: G, count: n * task)
                            LayerNorm.backward(dOut: dU, tokens: state, tokenCount: n * T_, tokenDim: D, scale: w + norm.scale,
                                               cache: ws.at(slot.normStatistics, first), dTokens: dS,
                                               dScale: grads + norm.scale, dOffset: grads + norm.offset)
                            G.update(from: dS, count: n * task)
                        } else if tokensGradient {
                            for j in 0..<(n * task) { G[j] += dU[j] }
                        }
                    }
                }
                let raw = UnsafePointer(ws.rawTokens + first * T_ * c.tokenDim)
                if let e = plan.embedding {
                    // h = W_E x: dW_E += Σ_j g_j x_jᵀ (= Gᵀ X), dx_j = W_Eᵀ g_j (= G W_E)
                    gemm(D, c.tokenDim, n * T_, G, transposeA: true, raw, into: grads + e, accumulate: true)
                    if let box = inputGradientsBox {
                        gemm(n * T_, c.tokenDim, D, G, w + e, into: box.base + first * T_ * c.tokenDim)
                    }
                } else if let box = inputGradientsBox {
                    (box.base + first * task).update(from: G, count: n * task)
                }
            }
        }
        // Reduce the chunks in order, then map the products' gradients ∂M, ∂K onto the weights.
        let reduced = workspace.reduced
        reduced.update(repeating: 0, count: workspace.chunkGradientSize)
        for chunk in 0..<chunks {
            let part = workspace.chunkGradients + chunk * workspace.chunkGradientSize
            for k in 0..<workspace.chunkGradientSize { reduced[k] += part[k] }
        }
        let dM = reduced + parameterCount, dK = dM + productsSize
        // The weights' gradients, in place in `reduced`, then onto the trainable parameters.
        do {
            let g = reduced
            for (l, layer) in plan.blocks.enumerated() {
                for block in layer where block.kind == .attention(.linear) {
                    for h in 0..<H {
                        let offsets = Array(block.weights[(4 * h)..<(4 * h + 4)])
                        LinearSelfAttention.parameterGradients(
                            tokenDim: D, keyDim: c.keyDim, weights: offsets.map { w + $0 },
                            dM: dM + (l * H + h) * DD, dK: dK + (l * H + h) * DD, gradients: offsets.map { g + $0 })
                    }
                }
            }
        }
        gradients.withUnsafeMutableBufferPointer { g in
            if c.architecture.hasDerivedWeights {
                GradientDescentWeights.contract(c, weightGradients: UnsafePointer(reduced), weightLayout: weightLayout, into: g.baseAddress!)
            } else {
                for k in 0..<parameterCount { g[k] += reduced[k] }
            }
        }
    }

    /// Floating-point operations of a forward and a backward pass over `count` tasks, counted from
    /// the shapes of the per-task kernels; `tokenGradients` when the backward pass returns them.
    public func flops(count: Int, allTokens: Bool = false, tokenGradients: Bool = false) -> (forward: Double, backward: Double) {
        let c = config, T = c.tokenCount, D = c.modelDim
        var forward = 0.0, backward = 0.0
        if c.embeddingDim > 0 {
            forward += 2 * Double(T * D * c.tokenDim)
            backward += 4 * Double(T * D * c.tokenDim)
        }
        for a in 0..<c.layers {
            let blocks = plan.blocks[c.recurrent ? 0 : a]
            for (k, block) in blocks.enumerated() {
                let last = a == c.layers - 1 && k == blocks.count - 1
                let tokenGradient = tokenGradients || !plan.readsRawTokens(application: a, block: k)
                if block.norm != nil {
                    let f = LayerNorm.flops(tokenCount: T, tokenDim: D)
                    forward += f.forward; backward += f.backward
                }
                let f: (forward: Double, backward: Double)
                switch block.kind {
                case .attention(.linear):
                    f = LinearSelfAttention.flops(tokenCount: T, tokenDim: D, heads: c.heads, queryOnly: last && !allTokens,
                                                  tokenGradient: tokenGradient)
                case .attention(.softmax):
                    f = SoftmaxAttention.flops(tokenCount: T, tokenDim: D, heads: c.heads, keyDim: c.keyDim,
                                               tokenGradient: tokenGradient)
                case .mlp:
                    f = MultiLayerPerceptron.flops(rows: T, tokenDim: D, hidden: c.mlpHidden, tokenGradient: tokenGradient)
                }
                forward += f.forward; backward += f.backward
            }
        }
        return (Double(count) * forward, Double(count) * backward)
    }
}
