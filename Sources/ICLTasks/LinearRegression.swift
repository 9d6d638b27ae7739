import ICLMath

/// The paper's in-context linear regression family (Section 3): per task a teacher
/// `W ~ N(0, s² I)` (`outputDim × inputDim`), inputs `x ~ U(−r/2, r/2)^d`, targets `y = W x`.
///
/// The authors' code draws `x ~ U(−0.5, 0.5)` (`inputRange = 1`) although the text says U(−1, 1);
/// their figures (one GD step ≈ 0.2) belong to the code's range, so that is the default.
public struct LinearRegressionTasks: Codable, Equatable, Sendable {
    public var inputDim: Int
    public var outputDim: Int
    public var contextSize: Int
    public var inputRange: Double
    public var weightScale: Double

    public init(inputDim: Int = 10, outputDim: Int = 1, contextSize: Int = 10,
                inputRange: Double = 1, weightScale: Double = 1) {
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.contextSize = contextSize
        self.inputRange = inputRange
        self.weightScale = weightScale
    }

    /// Token `e_j = (x_j, y_j)`: inputs first, targets in the last `outputDim` entries.
    public var tokenDim: Int { inputDim + outputDim }
    /// N context tokens and one query token, the query last.
    public var tokenCount: Int { contextSize + 1 }

    /// Draws `count` tasks. Task `b` uses its own generator `(seed, stream, b)`, so a batch can be
    /// drawn in parallel and any single task can be regenerated alone.
    public func sample<T: BinaryFloatingPoint>(
        count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self
    ) -> TaskBatch<T> {
        var batch = TaskBatch<T>(count: count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        sample(into: &batch, seed: seed, stream: stream)
        return batch
    }

    /// Draws `batch.count` tasks into an existing batch (no allocation: the training loop reuses one).
    public func sample<T: BinaryFloatingPoint>(into batch: inout TaskBatch<T>, seed: UInt64, stream: UInt64) {
        precondition(batch.tokenCount == tokenCount && batch.tokenDim == tokenDim && batch.outputDim == outputDim,
                     "sample(into:): the batch has another shape")
        let count = batch.count
        batch.tokens.withUnsafeMutableBytes { tokens in
            batch.targets.withUnsafeMutableBytes { targets in
                drawTasks(count: count, seed: seed, stream: stream, float: T.self == Float.self,
                          tokens: SharedRawPointer(tokens.baseAddress!), targets: SharedRawPointer(targets.baseAddress!))
            }
        }
    }

    /// The parallel part is not generic (closures escape Swift's generic specialisation): it writes
    /// Float or Double through raw memory.
    private func drawTasks(count: Int, seed: UInt64, stream: UInt64, float: Bool,
                           tokens: SharedRawPointer, targets: SharedRawPointer) {
        let chunks = count >= 256 ? 16 : 1
        let half = inputRange / 2
        parallelFor(chunks: chunks) { chunk in
            var teacher = [Double](repeating: 0, count: outputDim * inputDim + 1)
            var x = [Double](repeating: 0, count: inputDim + 1)
            let floats = tokens.base.assumingMemoryBound(to: Float.self)
            let doubles = tokens.base.assumingMemoryBound(to: Double.self)
            func store(_ index: Int, _ value: Double) {
                if float { floats[index] = Float(value) } else { doubles[index] = value }
            }
            for b in chunkRange(chunk, of: chunks, count: count) {
                var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
                for k in stride(from: 0, to: outputDim * inputDim, by: 2) {
                    let (z0, z1) = random.normalPair()
                    teacher[k] = weightScale * z0
                    teacher[k + 1] = weightScale * z1
                }
                let task = b * tokenCount * tokenDim
                for j in 0..<tokenCount {
                    for k in stride(from: 0, to: inputDim, by: 2) {
                        let (u0, u1) = random.uniformPair()
                        x[k] = -half + inputRange * u0
                        x[k + 1] = -half + inputRange * u1
                    }
                    let token = task + j * tokenDim
                    for k in 0..<inputDim { store(token + k, x[k]) }
                    for o in 0..<outputDim {
                        var y = 0.0
                        for k in 0..<inputDim { y += teacher[o * inputDim + k] * x[k] }
                        if j < contextSize {
                            store(token + inputDim + o, y)
                        } else {
                            store(token + inputDim + o, 0)          // the query's target is hidden
                            let target = b * outputDim + o
                            if float {
                                targets.base.assumingMemoryBound(to: Float.self)[target] = Float(y)
                            } else {
                                targets.base.assumingMemoryBound(to: Double.self)[target] = y
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A batch of tasks as tokens: `tokens` is `[count, tokenCount, tokenDim]` row-major, the query
/// token last in each task; `targets` is `[count, outputDim]`, the query's hidden targets.
public struct TaskBatch<T: BinaryFloatingPoint>: Sendable where T: Sendable {
    public let count: Int
    public let tokenCount: Int
    public let tokenDim: Int
    public let outputDim: Int
    public var tokens: [T]
    public var targets: [T]

    @inlinable
    public init(count: Int, tokenCount: Int, tokenDim: Int, outputDim: Int) {
        self.count = count
        self.tokenCount = tokenCount
        self.tokenDim = tokenDim
        self.outputDim = outputDim
        tokens = [T](repeating: 0, count: count * tokenCount * tokenDim)
        targets = [T](repeating: 0, count: count * outputDim)
    }

    /// The same tasks in another precision.
    @inlinable
    public func converted<U: BinaryFloatingPoint>(to _: U.Type) -> TaskBatch<U> {
        var out = TaskBatch<U>(count: count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        out.tokens = tokens.map { U($0) }
        out.targets = targets.map { U($0) }
        return out
    }

    /// Tasks `range` only.
    @inlinable
    public func slice(_ range: Range<Int>) -> TaskBatch<T> {
        var out = TaskBatch<T>(count: range.count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        let size = tokenCount * tokenDim
        out.tokens = Array(tokens[(range.lowerBound * size)..<(range.upperBound * size)])
        out.targets = Array(targets[(range.lowerBound * outputDim)..<(range.upperBound * outputDim)])
        return out
    }
}
