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
    /// drawn in parallel and any single task can be regenerated alone. Drawn in Double, then stored
    /// as `T` (the parallel part is not generic: closures escape Swift's generic specialisation).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func sample<T: BinaryFloatingPoint>(
        count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self
    ) -> TaskBatch<T> {
        let taskSize = tokenCount * tokenDim
        var tokens = [Double](repeating: 0, count: count * taskSize)
        var targets = [Double](repeating: 0, count: count * outputDim)
        tokens.withUnsafeMutableBufferPointer { t in
            targets.withUnsafeMutableBufferPointer { y in
                drawTasks(count: count, seed: seed, stream: stream, tokens: SharedPointer(t.baseAddress!),
                          targets: SharedPointer(y.baseAddress!))
            }
        }
        var batch = TaskBatch<T>(count: count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        batch.tokens.withUnsafeMutableBufferPointer { out in for k in tokens.indices { out[k] = T(tokens[k]) } }
        batch.targets.withUnsafeMutableBufferPointer { out in for k in targets.indices { out[k] = T(targets[k]) } }
        return batch
    }

    private func drawTasks(count: Int, seed: UInt64, stream: UInt64,
                           tokens: SharedPointer<Double>, targets: SharedPointer<Double>) {
        let chunks = count >= 256 ? 16 : 1
        parallelFor(chunks: chunks) { chunk in
            var teacher = [Double](repeating: 0, count: outputDim * inputDim)
            for b in chunkRange(chunk, of: chunks, count: count) {
                var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
                for k in teacher.indices { teacher[k] = weightScale * random.normal() }
                let task = tokens.base + b * tokenCount * tokenDim
                for j in 0..<tokenCount {
                    let token = task + j * tokenDim
                    for k in 0..<inputDim { token[k] = random.uniform(-inputRange / 2, inputRange / 2) }
                    for o in 0..<outputDim {
                        var y = 0.0
                        for k in 0..<inputDim { y += teacher[o * inputDim + k] * token[k] }
                        if j < contextSize {
                            token[inputDim + o] = y
                        } else {
                            token[inputDim + o] = 0          // the query's target is hidden
                            targets.base[b * outputDim + o] = y
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

    public init(count: Int, tokenCount: Int, tokenDim: Int, outputDim: Int) {
        self.count = count
        self.tokenCount = tokenCount
        self.tokenDim = tokenDim
        self.outputDim = outputDim
        tokens = [T](repeating: 0, count: count * tokenCount * tokenDim)
        targets = [T](repeating: 0, count: count * outputDim)
    }

    /// The same tasks in another precision.
    public func converted<U: BinaryFloatingPoint>(to _: U.Type) -> TaskBatch<U> {
        var out = TaskBatch<U>(count: count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        out.tokens = tokens.map { U($0) }
        out.targets = targets.map { U($0) }
        return out
    }

    /// Tasks `range` only.
    public func slice(_ range: Range<Int>) -> TaskBatch<T> {
        var out = TaskBatch<T>(count: range.count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        let size = tokenCount * tokenDim
        out.tokens = Array(tokens[(range.lowerBound * size)..<(range.upperBound * size)])
        out.targets = Array(targets[(range.lowerBound * outputDim)..<(range.upperBound * outputDim)])
        return out
    }
}
