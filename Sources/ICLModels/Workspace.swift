/// Buffers for one batch shape, allocated once and reused every step (no allocation in the step).
public final class Workspace<T: BinaryFloatingPoint>: @unchecked Sendable {
    public let batchSize: Int
    let chunks: Int
    let config: ModelConfig
    let plan: StackPlan
    var count = 0
    /// Compute every token after the last layer, not only the query the read-out needs (slower;
    /// for looking at the tokens themselves).
    public var computeAllTokens = false
    /// A copy of the parameters of the last forward pass, for the backward pass.
    let parameters: UnsafeMutablePointer<T>
    /// `[B, T, tokenDim]`: the input tokens of the last forward pass.
    let rawTokens: UnsafeMutablePointer<T>
    /// Every block's per-task state, region by region (see `StackPlan.Region`).
    let tape: UnsafeMutablePointer<T>
    /// Tasks in the largest chunk.
    let chunkTasks: Int
    /// Where a chunk's gradient buffers start in its scratch (after the kernel scratch).
    let kernelScratchSize: Int
    /// `[parameterLayers, H, D, D]`: the step's `M_h = P_h W_V,h` and `K_h = W_K,hᵀ W_Q,h`.
    let M: UnsafeMutablePointer<T>
    let K: UnsafeMutablePointer<T>
    /// `[parameterLayers, contractedSize]`: the step's S and Sᵀ per layer, where the lane kernels
    /// contract the heads (`LinearSelfAttention.contractedWeights`); `contractedSize` is 0 elsewhere.
    let S: UnsafeMutablePointer<T>
    let contractedSize: Int
    /// Per chunk: scratch, and partial gradients (all parameters, then ∂M and ∂K).
    let scratchSize: Int
    let scratch: UnsafeMutablePointer<T>
    let chunkGradientSize: Int
    /// Values of the weight layout (the chunk gradients hold these, then ∂M and ∂K).
    let weightCount: Int
    let chunkGradients: UnsafeMutablePointer<T>
    let reduced: UnsafeMutablePointer<T>
    private let buffers: [UnsafeMutablePointer<T>]

    init(stack: AttentionStack, batchSize: Int, chunks: Int) {
        let c = stack.config
        config = c
        plan = stack.plan
        self.batchSize = batchSize
        self.chunks = max(chunks, 1)
        let products = c.parameterLayers * c.heads * c.modelDim * c.modelDim
        chunkTasks = (batchSize + self.chunks - 1) / self.chunks
        (kernelScratchSize, scratchSize) = StackPlan.scratchSize(c, tasks: chunkTasks)
        weightCount = stack.weightLayout.count
        chunkGradientSize = weightCount + 2 * products
        func allocate(_ n: Int) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
            // All-zero bytes are 0.0; a byte fill avoids a generic per-element copy.
            UnsafeMutableRawPointer(p).initializeMemory(
                as: UInt8.self, repeating: 0, count: max(n, 1) * MemoryLayout<T>.stride)
            return p
        }
        parameters = allocate(stack.weightLayout.count)
        rawTokens = allocate(batchSize * c.tokenCount * c.tokenDim)
        tape = allocate(batchSize * plan.tapeSize)
        M = allocate(products)
        K = allocate(products)
        contractedSize = LinearSelfAttention.contractedWeightsSize(
            T.self, tokenCount: c.tokenCount, tokenDim: c.modelDim, heads: c.heads)
        S = allocate(c.parameterLayers * contractedSize)
        scratch = allocate(self.chunks * scratchSize)
        chunkGradients = allocate(self.chunks * chunkGradientSize)
        reduced = allocate(chunkGradientSize)
        buffers = [parameters, rawTokens, tape, M, K, S, scratch, chunkGradients, reduced]
    }

    deinit {
        for p in buffers { p.deallocate() }
    }

    /// Layer l's S and Sᵀ for this step (formed by the forward pass), where the lane kernels use them.
    @inline(__always)
    func contracted(layer l: Int) -> UnsafePointer<T>? { contractedSize > 0 ? UnsafePointer(S + l * contractedSize) : nil }

    /// Task b's part of a tape region.
    @inline(__always)
    func at(_ region: StackPlan.Region, _ b: Int) -> UnsafeMutablePointer<T> {
        tape + region.offset * batchSize + b * region.size
    }

    /// The tokens after the last forward pass (after the last layer, clipped), `[count, T, D]`;
    /// only the query rows are computed unless `computeAllTokens` is set.
    public func outputTokens() -> [T] {
        let region = plan.inputs[config.layers]
        return Array(UnsafeBufferPointer(start: at(region, 0), count: count * region.size))
    }
}
