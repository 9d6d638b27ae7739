import ICLMath

/// A stack of L linear self-attention layers over a batch of tasks, with the paper's read-out
/// `ŷ = −(last outputDim entries of the query token after the last layer)`.
///
/// Tasks are independent, so a chunk of tasks runs through every layer, forward and backward, on
/// one thread; only the gradients of the shared products `M_h`, `K_h` are reduced, in chunk order,
/// so results do not depend on the number of threads.
public struct AttentionStack: Sendable {
    public let config: ModelConfig
    public let layout: ParameterLayout

    public init(_ config: ModelConfig) {
        self.config = config
        var layout = ParameterLayout()
        let D = config.tokenDim, Dk = config.keyDim, H = config.heads
        for l in 0..<config.parameterLayers {
            for h in 0..<H {
                let prefix = AttentionStack.headPath(layer: l, head: h)
                layout.add(prefix + "W_Q", shape: [Dk, D], fanIn: D)
                layout.add(prefix + "W_K", shape: [Dk, D], fanIn: D)
                layout.add(prefix + "W_V", shape: [Dk, D], fanIn: D)
                // Haiku's output projection reads the concatenated heads: fan-in H·Dk.
                layout.add(prefix + "P", shape: [D, Dk], fanIn: H * Dk)
            }
        }
        self.layout = layout
    }

    /// `layer_<l>/attention/head_<h>/`: the parameter names' prefix, also the HDF5 path under `/model`.
    public static func headPath(layer: Int, head: Int) -> String {
        "layer_\(layer)/attention/head_\(head)/"
    }

    /// Fixed number of chunks for a batch: enough to keep two cores busy with unequal luck, and
    /// independent of the machine so results are too.
    static func chunkCount(_ batch: Int) -> Int { min(batch, 16) }

    public func makeWorkspace<T: BinaryFloatingPoint>(batchSize: Int, as _: T.Type = T.self) -> Workspace<T> {
        Workspace<T>(config: config, batchSize: batchSize, chunks: AttentionStack.chunkCount(batchSize))
    }

    /// Pointers to layer `l`'s weights, `[W_Q, W_K, W_V, P]` per head.
    func weights<T>(_ parameters: UnsafePointer<T>, layer l: Int) -> [UnsafePointer<T>] {
        var out: [UnsafePointer<T>] = []
        for h in 0..<config.heads {
            let prefix = AttentionStack.headPath(layer: l, head: h)
            for name in LinearSelfAttention.parameterNames { out.append(parameters + layout.offset(prefix + name)) }
        }
        return out
    }

    /// Floating-point operations of a forward and a backward pass over `count` tasks (per-task
    /// kernels only; the per-step products of the weights are negligible).
    public func flops(count: Int, allTokens: Bool = false) -> (forward: Double, backward: Double) {
        let c = config
        let full = LinearSelfAttention.flops(tokenCount: c.tokenCount, tokenDim: c.tokenDim, heads: c.heads, queryOnly: false)
        let last = LinearSelfAttention.flops(tokenCount: c.tokenCount, tokenDim: c.tokenDim, heads: c.heads, queryOnly: !allTokens)
        let n = Double(count), inner = Double(c.layers - 1)
        return (n * (inner * full.forward + last.forward), n * (inner * full.backward + last.backward))
    }

    /// Predictions `[B, outputDim]` for `count` tasks of `tokens` (`[B, T, D]`). Keeps what the
    /// backward pass needs in `workspace`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: BinaryFloatingPoint>(
        parameters: [T], tokens: [T], count: Int, workspace: Workspace<T>
    ) -> [T] {
        precondition(parameters.count == layout.count, "parameters: \(parameters.count) values, layout needs \(layout.count)")
        precondition(tokens.count == count * config.tokenCount * config.tokenDim, "tokens: wrong count for \(count) tasks")
        precondition(count <= workspace.batchSize, "workspace too small")
        let D = config.tokenDim, T_ = config.tokenCount, H = config.heads, L = config.layers
        let task = T_ * D, DD = D * D
        workspace.count = count
        parameters.withUnsafeBufferPointer { p in
            for l in 0..<config.parameterLayers {
                LinearSelfAttention.products(heads: H, tokenDim: D, keyDim: config.keyDim, weights: weights(p.baseAddress!, layer: l),
                                             M: workspace.M + l * H * DD, K: workspace.K + l * H * DD)
            }
        }
        tokens.withUnsafeBufferPointer { workspace.activations.update(from: $0.baseAddress!, count: tokens.count) }
        let clip = config.clipTokens.map { T($0) }
        let chunks = min(workspace.chunks, count)
        let ws = workspace
        parallelFor(chunks: chunks) { chunk in
            let scratch = ws.scratch + chunk * ws.scratchSize
            for b in chunkRange(chunk, of: chunks, count: count) {
                for a in 0..<L {
                    let l = config.recurrent ? 0 : a
                    let input = ws.activation(a, task: b)
                    let output = ws.activation(a + 1, task: b)
                    if a == L - 1 && !ws.computeAllTokens {
                        // The read-out needs only the query after the last layer.
                        let query = output + (T_ - 1) * D
                        LinearSelfAttention.forwardQuery(
                            tokens: input, tokenCount: T_, tokenDim: D, heads: H,
                            M: ws.M + l * H * DD, K: ws.K + l * H * DD, scratch: scratch, out: query)
                        if let clip { for k in 0..<D { query[k] = min(max(query[k], -clip), clip) } }
                        continue
                    }
                    LinearSelfAttention.forward(
                        tokens: input, tokenCount: T_, tokenDim: D, heads: H,
                        M: ws.M + l * H * DD, K: ws.K + l * H * DD,
                        C: ws.C + (a * ws.batchSize + b) * DD, A: ws.A + (a * ws.batchSize + b) * DD,
                        scratch: scratch, out: output)
                    if let clip { for k in 0..<task { output[k] = min(max(output[k], -clip), clip) } }
                }
            }
        }
        var predictions = [T](repeating: 0, count: count * config.outputDim)
        for b in 0..<count {
            let query = workspace.activation(L, task: b) + config.contextSize * D
            for o in 0..<config.outputDim { predictions[b * config.outputDim + o] = -query[config.inputDim + o] }
        }
        return predictions
    }

    /// Back-propagates `dPredictions` (`[B, outputDim]`, ∂loss/∂ŷ) through the last forward pass.
    /// Adds parameter gradients into `gradients` (callers zero them once per step) and, when given,
    /// writes ∂loss/∂tokens (`[B, T, D]`) into `inputGradients`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward<T: BinaryFloatingPoint>(
        parameters: [T], dPredictions: [T], workspace: Workspace<T>,
        gradients: inout [T], inputGradients: UnsafeMutablePointer<T>? = nil
    ) {
        let count = workspace.count
        precondition(dPredictions.count == count * config.outputDim, "dPredictions: wrong count")
        precondition(gradients.count == layout.count, "gradients: wrong count")
        let D = config.tokenDim, T_ = config.tokenCount, H = config.heads, L = config.layers
        let task = T_ * D, DD = D * D
        let productsSize = config.parameterLayers * H * DD
        let clip = config.clipTokens.map { T($0) }
        let chunks = min(workspace.chunks, count)
        let ws = workspace
        let inputGradientsBox = inputGradients.map { SharedPointer($0) }
        dPredictions.withUnsafeBufferPointer { dPredBuffer in
            let dPred = dPredBuffer.baseAddress!
            parallelFor(chunks: chunks) { chunk in
                let scratch = ws.scratch + chunk * ws.scratchSize
                let G = scratch + 4 * DD, dE = G + task
                let dM = ws.chunkGradients + chunk * 2 * productsSize, dK = dM + productsSize
                dM.update(repeating: 0, count: 2 * productsSize)
                for b in chunkRange(chunk, of: chunks, count: count) {
                    G.update(repeating: 0, count: task)
                    for o in 0..<config.outputDim { G[config.contextSize * D + config.inputDim + o] = -dPred[b * config.outputDim + o] }
                    for a in (0..<L).reversed() {
                        let l = config.recurrent ? 0 : a
                        let input = UnsafePointer(ws.activation(a, task: b))
                        dE.update(repeating: 0, count: task)
                        if a == L - 1 && !ws.computeAllTokens {
                            let g = G + (T_ - 1) * D
                            if let clip {
                                // Clipped entries pass no gradient; recompute the unclipped query output.
                                let pre = scratch + 4 * D
                                LinearSelfAttention.forwardQuery(
                                    tokens: input, tokenCount: T_, tokenDim: D, heads: H,
                                    M: ws.M + l * H * DD, K: ws.K + l * H * DD, scratch: scratch, out: pre)
                                for k in 0..<D where pre[k] > clip || pre[k] < -clip { g[k] = 0 }
                            }
                            LinearSelfAttention.backwardQuery(
                                dOut: g, tokens: input, tokenCount: T_, tokenDim: D, heads: H,
                                M: ws.M + l * H * DD, K: ws.K + l * H * DD, scratch: scratch,
                                dE: dE, dM: dM + l * H * DD, dK: dK + l * H * DD)
                            G.update(from: dE, count: task)
                            continue
                        }
                        let C = ws.C + (a * ws.batchSize + b) * DD, A = ws.A + (a * ws.batchSize + b) * DD
                        if let clip {
                            // Clipped entries pass no gradient; recompute the unclipped output e + A e.
                            for j in 0..<T_ {
                                for i in 0..<D {
                                    var pre = input[j * D + i]
                                    for k in 0..<D { pre += A[i * D + k] * input[j * D + k] }
                                    if pre > clip || pre < -clip { G[j * D + i] = 0 }
                                }
                            }
                        }
                        LinearSelfAttention.backward(
                            dOut: G, tokens: input, tokenCount: T_, tokenDim: D, heads: H,
                            M: ws.M + l * H * DD, K: ws.K + l * H * DD, C: C, A: A, scratch: scratch,
                            dE: dE, dM: dM + l * H * DD, dK: dK + l * H * DD)
                        G.update(from: dE, count: task)
                    }
                    if let box = inputGradientsBox { (box.base + b * task).update(from: G, count: task) }
                }
            }
        }
        // Reduce the chunks in order, then map ∂M, ∂K onto the weights.
        let dM = workspace.reduced, dK = dM + productsSize
        dM.update(repeating: 0, count: 2 * productsSize)
        for chunk in 0..<chunks {
            let part = workspace.chunkGradients + chunk * 2 * productsSize
            for k in 0..<(2 * productsSize) { dM[k] += part[k] }
        }
        parameters.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                for l in 0..<config.parameterLayers {
                    let w = weights(p.baseAddress!, layer: l)
                    for h in 0..<H {
                        let prefix = AttentionStack.headPath(layer: l, head: h)
                        let targets = LinearSelfAttention.parameterNames.map { g.baseAddress! + layout.offset(prefix + $0) }
                        LinearSelfAttention.parameterGradients(
                            tokenDim: D, keyDim: config.keyDim, weights: Array(w[(4 * h)..<(4 * h + 4)]),
                            dM: dM + (l * H + h) * DD, dK: dK + (l * H + h) * DD, gradients: targets)
                    }
                }
            }
        }
    }
}

/// Buffers for one batch shape, allocated once and reused every step (no allocation in the step).
public final class Workspace<T: BinaryFloatingPoint>: @unchecked Sendable {
    public let batchSize: Int
    let chunks: Int
    let config: ModelConfig
    var count = 0
    /// Compute every token after the last layer, not only the query the read-out needs (slower;
    /// for looking at the tokens themselves).
    public var computeAllTokens = false
    /// `[L + 1, B, T, D]`: the input of every layer application, then the final tokens.
    let activations: UnsafeMutablePointer<T>
    /// `[L, B, D, D]`: each application's `C` and `A` per task.
    let C: UnsafeMutablePointer<T>
    let A: UnsafeMutablePointer<T>
    /// `[parameterLayers, H, D, D]`: the step's `M_h` and `K_h`.
    let M: UnsafeMutablePointer<T>
    let K: UnsafeMutablePointer<T>
    /// Per chunk: scratch, and partial gradients of M and K.
    let scratchSize: Int
    let scratch: UnsafeMutablePointer<T>
    let chunkGradients: UnsafeMutablePointer<T>
    let reduced: UnsafeMutablePointer<T>
    private let sizes: [Int]

    init(config: ModelConfig, batchSize: Int, chunks: Int) {
        self.config = config
        self.batchSize = batchSize
        self.chunks = max(chunks, 1)
        let D = config.tokenDim, task = config.tokenCount * D, DD = D * D
        let products = config.parameterLayers * config.heads * DD
        scratchSize = 4 * DD + 2 * task
        sizes = [(config.layers + 1) * batchSize * task, config.layers * batchSize * DD, config.layers * batchSize * DD,
                 products, products, self.chunks * scratchSize, self.chunks * 2 * products, 2 * products]
        func allocate(_ n: Int) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        activations = allocate(sizes[0]); C = allocate(sizes[1]); A = allocate(sizes[2])
        M = allocate(sizes[3]); K = allocate(sizes[4]); scratch = allocate(sizes[5])
        chunkGradients = allocate(sizes[6]); reduced = allocate(sizes[7])
    }

    deinit {
        for p in [activations, C, A, M, K, scratch, chunkGradients, reduced] { p.deallocate() }
    }

    /// Tokens of task `b` entering application `a` (`a == L`: the output of the stack).
    @inline(__always)
    func activation(_ a: Int, task b: Int) -> UnsafeMutablePointer<T> {
        activations + (a * batchSize + b) * config.tokenCount * config.tokenDim
    }

    /// The tokens after the last forward pass, `[count, T, D]`; only the query rows are computed
    /// unless `computeAllTokens` is set.
    public func outputTokens() -> [T] {
        Array(UnsafeBufferPointer(start: activation(config.layers, task: 0), count: count * config.tokenCount * config.tokenDim))
    }
}
