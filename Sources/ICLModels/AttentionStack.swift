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

    /// Where every weight lives in `weightLayout`, under the paper's names.
    public let weights: StackWeights<Int>

    public init(_ config: ModelConfig) {
        self.config = config
        var layout = ParameterLayout()
        weights = StackWeights.add(config, to: &layout)
        weightLayout = layout
        self.layout =
            config.architecture.hasDerivedWeights ? GradientDescentWeights.layout(config, weightLayout: layout) : layout
        plan = StackPlan(config: config, weights: weights)
    }

    /// Fixed number of chunks for a batch: enough to keep two cores busy with unequal luck, and
    /// independent of the machine so results are too.
    static func chunkCount(_ batch: Int) -> Int { min(batch, 16) }

    public func makeWorkspace<T: BinaryFloatingPoint>(batchSize: Int, as _: T.Type = T.self) -> Workspace<T> {
        Workspace<T>(stack: self, batchSize: batchSize, chunks: AttentionStack.chunkCount(batchSize))
    }

    /// The first block of the last application that computes the query rows alone (all the read-out
    /// needs), or nil: the last linear-attention block, when nothing but MLPs without a LayerNorm
    /// follow it (mlp-12-4head's last block: a twelfth of its step, 10/11 of it skipped). Those MLPs
    /// take the query rows gathered into the rest of their cache, which needs room for `2·n·D`.
    func queryBlock(allTokens: Bool) -> Int? {
        guard !allTokens else { return nil }
        let blocks = plan.blocks[config.recurrent ? 0 : config.layers - 1]
        var k = blocks.count - 1
        while k >= 0, blocks[k].kind == .mlp, !blocks[k].hasNorm { k -= 1 }
        guard k >= 0, blocks[k].kind == .attention(.linear) else { return nil }
        if k < blocks.count - 1, config.modelDim > (config.tokenCount - 1) * config.mlpHidden { return nil }
        return k
    }

    /// Whether block k of application a computes the query rows alone, given `queryBlock`.
    @inline(__always)
    func computesQueries(application a: Int, block k: Int, from queryBlock: Int?) -> Bool {
        a == config.layers - 1 && queryBlock.map { k >= $0 } ?? false
    }

    /// Where the query rows of an MLP block computing only them sit in its cache: X (kept from the
    /// forward pass to the backward), then Y (the forward's output, the backward's ∂L/∂Y).
    @inline(__always)
    func queryRows<T>(cache: UnsafeMutablePointer<T>, tasks n: Int) -> (
        X: UnsafeMutablePointer<T>, Y: UnsafeMutablePointer<T>
    ) {
        let X = cache + MultiLayerPerceptron.cacheSize(rows: n, hidden: config.mlpHidden)
        return (X, X + n * config.modelDim)
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
        precondition(
            parameters.count == layout.count, "parameters: \(parameters.count) values, layout needs \(layout.count)")
        precondition(tokens.count == count * c.tokenCount * c.tokenDim, "tokens: wrong count for \(count) tasks")
        precondition(count <= workspace.batchSize, "workspace too small")
        let D = c.modelDim, T_ = c.tokenCount, H = c.heads, DD = D * D
        workspace.count = count
        if c.architecture.hasDerivedWeights {
            GradientDescentWeights.expand(self, parameters, into: workspace.parameters)
        } else {
            workspace.parameters.update(from: parameters, count: parameters.count)
        }
        let w = UnsafePointer(workspace.parameters)
        let layers = weights.layers.map { $0.map { w + $0 } }
        // Per-step products of the linear-attention weights, shared by all tasks, and where the lane
        // kernels contract the heads, S and Sᵀ from them (the first chunk's scratch is free here).
        for (l, blocks) in plan.blocks.enumerated() where blocks.contains(where: { $0.kind == .attention(.linear) }) {
            let M = workspace.M + l * H * DD, K = workspace.K + l * H * DD
            LinearSelfAttention.products(heads: layers[l].heads, tokenDim: D, keyDim: c.keyDim, M: M, K: K)
            if workspace.contractedSize > 0 {
                LinearSelfAttention.contractedWeights(
                    M: M, K: K, tokenDim: D, heads: H, table: workspace.scratch,
                    into: workspace.S + l * workspace.contractedSize)
            }
        }
        let queryBlock = self.queryBlock(allTokens: workspace.computeAllTokens), chunks = min(workspace.chunks, count)
        tokens.withUnsafeBufferPointer { tokenBuffer in
            let source = SharedPointer(UnsafeMutablePointer(mutating: tokenBuffer.baseAddress!))
            parallelFor(chunks: chunks) { index in
                // A chunk of tasks goes through the stack block by block: attention task by task, and
                // per-token work (embedding, norms, MLPs, residuals, clipping) on the whole chunk at once.
                let chunk = Chunk(workspace, index, of: chunks)
                embed(source.base + chunk.first * T_ * c.tokenDim, chunk: chunk, weights: w)
                for a in 0..<c.layers {
                    var state = chunk.at(plan.inputs[a])
                    for k in plan.blocks[c.recurrent ? 0 : a].indices {
                        state = forwardBlock(
                            k, application: a, state: state, chunk: chunk, layers: layers,
                            queryBlock: queryBlock)
                    }
                    let queriesOnly = a == c.layers - 1 && queryBlock != nil
                    clip(state, into: chunk.at(plan.inputs[a + 1]), chunk: chunk, queriesOnly: queriesOnly)
                }
            }
        }
        var predictions = [T](repeating: 0, count: count * c.outputDim)
        for b in 0..<count {
            let query = workspace.at(plan.inputs[c.layers], b) + (T_ - 1) * D
            for o in 0..<c.outputDim { predictions[b * c.outputDim + o] = -query[c.readoutOffset + o] }
        }
        return predictions
    }

    /// The stack's input for a chunk: `h = W_E x` for every token (rows: `H = X W_Eᵀ`; the raw tokens
    /// are kept for `W_E`'s gradient), or the tokens themselves.
    @inline(__always)
    func embed<T: BinaryFloatingPoint>(_ tokens: UnsafePointer<T>, chunk: Chunk<T>, weights w: UnsafePointer<T>) {
        let c = config, rows = chunk.n * c.tokenCount
        if let e = weights.embedding {
            let raw = chunk.workspace.rawTokens + chunk.first * c.tokenCount * c.tokenDim
            raw.update(from: tokens, count: rows * c.tokenDim)
            gemm(rows, c.modelDim, c.tokenDim, raw, w + e, transposeB: true, into: chunk.at(plan.inputs[0]))
        } else {
            chunk.at(plan.inputs[0]).update(from: tokens, count: rows * c.modelDim)
        }
    }

    /// Block k of application a on a chunk: `out = state + block(LN(state))`; for the last block in
    /// query-only mode, the query rows only (all the read-out needs). Returns `out`.
    @inline(__always)
    func forwardBlock<T: BinaryFloatingPoint>(
        _ k: Int, application a: Int, state: UnsafeMutablePointer<T>, chunk: Chunk<T>,
        layers: [LayerWeights<UnsafePointer<T>>], queryBlock: Int?
    ) -> UnsafeMutablePointer<T> {
        let c = config, D = c.modelDim, T_ = c.tokenCount, H = c.heads, n = chunk.n, task = T_ * D
        let l = c.recurrent ? 0 : a, block = plan.blocks[l][k], slot = plan.slots[a][k], weights = layers[l]
        let queries = computesQueries(application: a, block: k, from: queryBlock)
        let M = chunk.workspace.M + l * H * D * D, K = chunk.workspace.K + l * H * D * D
        let S = chunk.workspace.contracted(layer: l)
        var u = state
        if let norm = weights.norm(block.kind) {
            u = chunk.at(slot.normed)
            LayerNorm.forward(
                tokens: state, tokenCount: n * T_, tokenDim: D, scale: norm.scale, offset: norm.offset,
                cache: chunk.at(slot.normStatistics), out: u)
        }
        let out = chunk.at(slot.output)
        switch block.kind {
        case .attention(.linear) where queries:
            LinearSelfAttention.forwardQueries(
                tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H, M: M, K: K,
                scratch: chunk.scratch, delta: out)
            for i in 0..<n {
                let q = i * task + (T_ - 1) * D
                for j in q..<(q + D) { out[j] += state[j] }
            }
            return out
        case .attention(.linear):
            LinearSelfAttention.forwardChunk(
                tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H, M: M, K: K, S: S,
                cache: chunk.at(slot.cache), scratch: chunk.scratch, delta: out)
        case .attention(.softmax):
            SoftmaxAttention.forwardChunk(
                tokens: u, tasks: n, tokenCount: T_, tokenDim: D, keyDim: c.keyDim,
                heads: weights.heads, cache: chunk.at(slot.cache), scratch: chunk.scratch,
                delta: out)
        case .mlp where queries:  // no LayerNorm: u is state
            let mlp = weights.mlp!, cache = chunk.at(slot.cache), (X, Y) = queryRows(cache: cache, tasks: n)
            for i in 0..<n { (X + i * D).update(from: state + i * task + (T_ - 1) * D, count: D) }
            MultiLayerPerceptron.forward(
                tokens: X, rows: n, tokenDim: D, hidden: c.mlpHidden,
                activation: c.activation, W_1: mlp.W_1, b_1: mlp.b_1, W_2: mlp.W_2, b_2: mlp.b_2,
                cache: cache, delta: Y, laneScratch: chunk.scratch)
            for i in 0..<n {
                let q = i * task + (T_ - 1) * D
                for j in 0..<D { out[q + j] = Y[i * D + j] + state[q + j] }
            }
            return out
        case .mlp:
            let mlp = weights.mlp!
            MultiLayerPerceptron.forward(
                tokens: u, rows: n * T_, tokenDim: D, hidden: c.mlpHidden,
                activation: c.activation, W_1: mlp.W_1, b_1: mlp.b_1, W_2: mlp.W_2, b_2: mlp.b_2,
                cache: chunk.at(slot.cache), delta: out, laneScratch: chunk.scratch)
        }
        for j in 0..<(n * task) { out[j] += state[j] }
        return out
    }

    /// The next application's input: a layer's output, clipped when `clipTokens` is set (only the
    /// queries when nothing else was computed).
    @inline(__always)
    func clip<T: BinaryFloatingPoint>(
        _ state: UnsafeMutablePointer<T>, into next: UnsafeMutablePointer<T>,
        chunk: Chunk<T>, queriesOnly: Bool
    ) {
        let D = config.modelDim, T_ = config.tokenCount, n = chunk.n
        let clip = config.clipTokens.map { T($0) }
        for r in 0..<(queriesOnly ? n : 1) {
            let from = queriesOnly ? (r * T_ + T_ - 1) * D : 0, count = queriesOnly ? D : n * T_ * D
            (next + from).update(from: state + from, count: count)
            if let clip { for j in from..<(from + count) { next[j] = min(max(next[j], -clip), clip) } }
        }
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
        precondition(
            outputGradients == nil || workspace.computeAllTokens,
            "outputGradients needs a forward pass with computeAllTokens")
        let D = c.modelDim, T_ = c.tokenCount, task = T_ * D
        let w = UnsafePointer(workspace.parameters)
        let layers = weights.layers.map { $0.map { w + $0 } }
        let queryBlock = self.queryBlock(allTokens: workspace.computeAllTokens), chunks = min(workspace.chunks, count)
        let inputGradientsBox = inputGradients.map { SharedPointer($0) }
        let outputGradientsBox = outputGradients.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
        dPredictions.withUnsafeBufferPointer { dPredBuffer in
            let dPred = dPredBuffer.baseAddress!
            parallelFor(chunks: chunks) { index in
                let chunk = Chunk(workspace, index, of: chunks)
                let G = chunk.G, grads = chunk.gradients
                grads.update(repeating: 0, count: workspace.chunkGradientSize)
                let gradientLayers = weights.layers.map { $0.map { grads + $0 } }
                if let box = outputGradientsBox {
                    G.update(from: box.base + chunk.first * task, count: chunk.n * task)
                } else {
                    G.update(repeating: 0, count: chunk.n * task)
                    for i in 0..<chunk.n {
                        let query = G + i * task + (T_ - 1) * D + c.readoutOffset
                        for o in 0..<c.outputDim { query[o] = -dPred[(chunk.first + i) * c.outputDim + o] }
                    }
                }
                for a in (0..<c.layers).reversed() {
                    let blocks = plan.blocks[c.recurrent ? 0 : a]
                    if let clip = c.clipTokens.map({ T($0) }) {
                        // Clipped entries pass no gradient: test the layer's unclipped output.
                        let pre = chunk.at(plan.slots[a][blocks.count - 1].output)
                        for j in 0..<(chunk.n * task) where pre[j] > clip || pre[j] < -clip { G[j] = 0 }
                    }
                    for k in blocks.indices.reversed() {
                        backwardBlock(
                            k, application: a, chunk: chunk, layers: layers, gradients: gradientLayers,
                            queryBlock: queryBlock, inputGradients: inputGradientsBox != nil)
                    }
                }
                unembed(chunk: chunk, weights: w, inputGradients: inputGradientsBox?.base)
            }
        }
        reduceGradients(workspace, chunks: chunks, layers: layers, into: &gradients)
    }

    /// Block k of application a backward on a chunk: `G = ∂L/∂out` becomes `∂L/∂state` (the residual
    /// passes it through, the block adds its part); the block's parameter gradients go into the
    /// chunk's (linear attention: into `∂M`, `∂K`, mapped onto the weights after the reduction).
    @inline(__always)
    func backwardBlock<T: BinaryFloatingPoint>(
        _ k: Int, application a: Int, chunk: Chunk<T>, layers: [LayerWeights<UnsafePointer<T>>],
        gradients: [LayerWeights<UnsafeMutablePointer<T>>], queryBlock: Int?, inputGradients: Bool
    ) {
        let c = config, D = c.modelDim, T_ = c.tokenCount, H = c.heads, n = chunk.n, task = T_ * D, DD = D * D
        let l = c.recurrent ? 0 : a, block = plan.blocks[l][k], slot = plan.slots[a][k]
        let weights = layers[l], grads = gradients[l]
        let G = chunk.G, dS = chunk.dS, dU = chunk.dU
        let state = UnsafePointer(k == 0 ? chunk.at(plan.inputs[a]) : chunk.at(plan.slots[a][k - 1].output))
        let norm = weights.norm(block.kind)
        let u = norm == nil ? state : UnsafePointer(chunk.at(slot.normed))
        let queries = computesQueries(application: a, block: k, from: queryBlock)
        let tokensGradient = inputGradients || !plan.readsRawTokens(application: a, block: k)
        // Without a LayerNorm, the MLP adds its tokens' gradient straight onto G (no dU to clear and add).
        let direct = norm == nil && block.kind == .mlp
        let dTokens = tokensGradient ? (direct ? G : dU) : nil
        if tokensGradient && !direct { dU.update(repeating: 0, count: n * task) }
        let M = chunk.workspace.M + l * H * DD, K = chunk.workspace.K + l * H * DD
        let dM = chunk.dM + l * H * DD, dK = chunk.dK + l * H * DD
        switch block.kind {
        case .attention(.linear) where queries:
            LinearSelfAttention.backwardQueries(
                dOut: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                M: M, K: K, scratch: chunk.scratch, dE: dTokens, dM: dM, dK: dK)
        case .attention(.linear):
            LinearSelfAttention.backwardChunk(
                dOut: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D, heads: H,
                M: M, K: K, S: chunk.workspace.contracted(layer: l), cache: chunk.at(slot.cache),
                scratch: chunk.scratch, dE: dTokens, dM: dM, dK: dK)
        case .attention(.softmax):
            SoftmaxAttention.backwardChunk(
                dDelta: G, tokens: u, tasks: n, tokenCount: T_, tokenDim: D,
                keyDim: c.keyDim, heads: weights.heads, cache: chunk.at(slot.cache), scratch: chunk.scratch,
                dTokens: dTokens, gradients: grads.heads)
        case .mlp where queries:  // ∂L/∂out is 0 off the query rows: G_q += the MLP's part there
            let mlp = weights.mlp!, dMLP = grads.mlp!, cache = chunk.at(slot.cache)
            let (X, dY) = queryRows(cache: cache, tasks: n)
            for i in 0..<n { (dY + i * D).update(from: G + i * task + (T_ - 1) * D, count: D) }
            MultiLayerPerceptron.backward(
                dDelta: dY, tokens: X, rows: n, tokenDim: D, hidden: c.mlpHidden, activation: c.activation,
                W_1: mlp.W_1, b_1: mlp.b_1, W_2: mlp.W_2, cache: cache, scratch: chunk.scratch,
                dTokens: tokensGradient ? dY : nil,
                dW_1: dMLP.W_1, dB_1: dMLP.b_1, dW_2: dMLP.W_2, dB_2: dMLP.b_2, laneScratch: chunk.scratch)
            if tokensGradient {
                for i in 0..<n { (G + i * task + (T_ - 1) * D).update(from: dY + i * D, count: D) }
            }
        case .mlp:
            let mlp = weights.mlp!, dMLP = grads.mlp!
            MultiLayerPerceptron.backward(
                dDelta: G, tokens: u, rows: n * T_, tokenDim: D, hidden: c.mlpHidden, activation: c.activation,
                W_1: mlp.W_1, b_1: mlp.b_1, W_2: mlp.W_2, cache: chunk.at(slot.cache),
                scratch: chunk.scratch, dTokens: dTokens,
                dW_1: dMLP.W_1, dB_1: dMLP.b_1, dW_2: dMLP.W_2, dB_2: dMLP.b_2, laneScratch: chunk.scratch)
        }
        if let norm, let dNorm = grads.norm(block.kind) {
            dS.update(from: G, count: n * task)
            LayerNorm.backward(
                dOut: dU, tokens: state, tokenCount: n * T_, tokenDim: D, scale: norm.scale,
                cache: chunk.at(slot.normStatistics), dTokens: dS,
                dScale: dNorm.scale, dOffset: dNorm.offset)
            G.update(from: dS, count: n * task)
        } else if tokensGradient && !direct {
            for j in 0..<(n * task) { G[j] += dU[j] }
        }
    }

    /// The embedding's gradient (`h = W_E x`: `dW_E += Σ_j g_j x_jᵀ = Gᵀ X`, `dx_j = W_Eᵀ g_j`) and,
    /// when asked for, the tokens' gradient of a chunk.
    @inline(__always)
    func unembed<T: BinaryFloatingPoint>(
        chunk: Chunk<T>, weights w: UnsafePointer<T>,
        inputGradients: UnsafeMutablePointer<T>?
    ) {
        let c = config, rows = chunk.n * c.tokenCount, G = chunk.G, tokens = chunk.first * c.tokenCount * c.tokenDim
        let raw = UnsafePointer(chunk.workspace.rawTokens + chunk.first * c.tokenCount * c.tokenDim)
        if let e = weights.embedding {
            gemm(c.modelDim, c.tokenDim, rows, G, transposeA: true, raw, into: chunk.gradients + e, accumulate: true)
            if let inputGradients {
                gemm(rows, c.tokenDim, c.modelDim, G, w + e, into: inputGradients + tokens)
            }
        } else if let inputGradients {
            (inputGradients + chunk.first * c.tokenCount * c.modelDim).update(from: G, count: rows * c.modelDim)
        }
    }

    /// Sums the chunks' gradients in chunk order (results independent of the thread count), maps the
    /// products' gradients ∂M, ∂K onto the linear-attention weights, then adds onto the trainable
    /// parameters (for the gradient-descent models, through η and γ).
    func reduceGradients<T: BinaryFloatingPoint>(
        _ workspace: Workspace<T>, chunks: Int,
        layers: [LayerWeights<UnsafePointer<T>>], into gradients: inout [T]
    ) {
        let c = config, D = c.modelDim, H = c.heads, DD = D * D
        let reduced = workspace.reduced, size = workspace.chunkGradientSize
        reduced.update(repeating: 0, count: size)
        for chunk in 0..<chunks {
            let part = workspace.chunkGradients + chunk * size
            for k in 0..<size { reduced[k] += part[k] }
        }
        let parameterCount = weightLayout.count
        let dM = reduced + parameterCount, dK = dM + c.parameterLayers * H * DD
        let reducedLayers = weights.layers.map { $0.map { reduced + $0 } }
        for (l, blocks) in plan.blocks.enumerated() where blocks.contains(where: { $0.kind == .attention(.linear) }) {
            for h in 0..<H {
                LinearSelfAttention.parameterGradients(
                    tokenDim: D, keyDim: c.keyDim, weights: layers[l].heads[h],
                    dM: dM + (l * H + h) * DD, dK: dK + (l * H + h) * DD,
                    gradients: reducedLayers[l].heads[h])
            }
        }
        gradients.withUnsafeMutableBufferPointer { g in
            if c.architecture.hasDerivedWeights {
                GradientDescentWeights.contract(self, weightGradients: UnsafePointer(reduced), into: g.baseAddress!)
            } else {
                for k in 0..<parameterCount { g[k] += reduced[k] }
            }
        }
    }

    /// Floating-point operations of a forward and a backward pass over `count` tasks, counted from
    /// the shapes of the per-task kernels; `tokenGradients` when the backward pass returns them.
    public func flops(count: Int, allTokens: Bool = false, tokenGradients: Bool = false) -> (
        forward: Double, backward: Double
    ) {
        let c = config, T = c.tokenCount, D = c.modelDim, queryBlock = self.queryBlock(allTokens: allTokens)
        var forward = 0.0, backward = 0.0
        if c.embeddingDim > 0 {
            forward += 2 * Double(T * D * c.tokenDim)
            backward += 4 * Double(T * D * c.tokenDim)
        }
        for a in 0..<c.layers {
            let blocks = plan.blocks[c.recurrent ? 0 : a]
            for (k, block) in blocks.enumerated() {
                let queries = computesQueries(application: a, block: k, from: queryBlock)
                let tokenGradient = tokenGradients || !plan.readsRawTokens(application: a, block: k)
                if block.hasNorm {
                    let f = LayerNorm.flops(tokenCount: T, tokenDim: D)
                    forward += f.forward; backward += f.backward
                }
                let f: (forward: Double, backward: Double)
                switch block.kind {
                case .attention(.linear):
                    f = LinearSelfAttention.flops(
                        tokenCount: T, tokenDim: D, heads: c.heads, queryOnly: queries,
                        tokenGradient: tokenGradient)
                case .attention(.softmax):
                    f = SoftmaxAttention.flops(
                        tokenCount: T, tokenDim: D, heads: c.heads, keyDim: c.keyDim,
                        tokenGradient: tokenGradient)
                case .mlp:
                    f = MultiLayerPerceptron.flops(
                        rows: queries ? 1 : T, tokenDim: D, hidden: c.mlpHidden, tokenGradient: tokenGradient)
                }
                forward += f.forward; backward += f.backward
            }
        }
        return (Double(count) * forward, Double(count) * backward)
    }
}

/// One chunk of tasks in a pass: its tasks, and where its tape, scratch and gradients are.
struct Chunk<T: BinaryFloatingPoint> {
    let workspace: Workspace<T>
    let first: Int, n: Int
    /// The kernels' scratch, then three `[tasks, T, D]` buffers: G = ∂L/∂(block output), dS, dU.
    let scratch: UnsafeMutablePointer<T>
    /// The chunk's parameter gradients (the weight layout), then ∂M and ∂K `[L_p, H, D, D]`.
    let gradients: UnsafeMutablePointer<T>

    @inline(__always)
    init(_ workspace: Workspace<T>, _ index: Int, of chunks: Int) {
        self.workspace = workspace
        let tasks = chunkRange(index, of: chunks, count: workspace.count)
        (first, n) = (tasks.lowerBound, tasks.count)
        scratch = workspace.scratch + index * workspace.scratchSize
        gradients = workspace.chunkGradients + index * workspace.chunkGradientSize
    }

    @inline(__always) func at(_ region: StackPlan.Region) -> UnsafeMutablePointer<T> { workspace.at(region, first) }

    /// `[chunkTasks, T, D]`: the size of each token gradient buffer.
    private var tokenBuffer: Int { workspace.chunkTasks * workspace.config.tokenCount * workspace.config.modelDim }
    var G: UnsafeMutablePointer<T> { scratch + workspace.kernelScratchSize }
    var dS: UnsafeMutablePointer<T> { G + tokenBuffer }
    var dU: UnsafeMutablePointer<T> { dS + tokenBuffer }
    var dM: UnsafeMutablePointer<T> { gradients + workspace.weightCount }
    var dK: UnsafeMutablePointer<T> {
        let c = workspace.config
        return dM + c.parameterLayers * c.heads * c.modelDim * c.modelDim
    }
}
