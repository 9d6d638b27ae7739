import ICLMath

/// The paper's in-context linear regression family (Section 3): per task a teacher
/// `W ~ N(0, s² I)` (`outputDim × inputDim`), inputs `x ~ U(−r/2, r/2)^d`, targets `y = W x + ε` with
/// `ε ~ N(0, σ² I)` (`noiseStd` σ, 0 in the paper; the query's hidden target is noisy too).
///
/// The authors' code draws `x ~ U(−0.5, 0.5)` (`inputRange = 1`) although the text says U(−1, 1);
/// their figures (one GD step ≈ 0.2) belong to the code's range, so that is the default.
public struct LinearRegressionTasks: Codable, Equatable, Sendable {
    public var inputDim: Int
    public var outputDim: Int
    public var contextSize: Int
    public var inputRange: Double
    public var weightScale: Double
    /// σ of the target noise; 0 draws no noise at all, so noiseless tasks are those of the paper, bit for bit.
    public var noiseStd: Double

    public init(
        inputDim: Int = 10, outputDim: Int = 1, contextSize: Int = 10,
        inputRange: Double = 1, weightScale: Double = 1, noiseStd: Double = 0
    ) {
        self.noiseStd = noiseStd
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
    @inlinable
    public func sample<T: BinaryFloatingPoint>(
        count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self
    ) -> TaskBatch<T> {
        var batch = TaskBatch<T>(count: count, tokenCount: tokenCount, tokenDim: tokenDim, outputDim: outputDim)
        sample(into: &batch, seed: seed, stream: stream)
        return batch
    }

    /// Draws `batch.count` tasks into an existing batch (no allocation: the training loop reuses one).
    public func sample<T: BinaryFloatingPoint>(into batch: inout TaskBatch<T>, seed: UInt64, stream: UInt64) {
        precondition(
            batch.tokenCount == tokenCount && batch.tokenDim == tokenDim && batch.outputDim == outputDim,
            "sample(into:): the batch has another shape")
        let count = batch.count
        batch.tokens.withUnsafeMutableBytes { tokens in
            batch.targets.withUnsafeMutableBytes { targets in
                drawTasks(
                    count: count, seed: seed, stream: stream, float: T.self == Float.self,
                    tokens: SharedRawPointer(tokens.baseAddress!), targets: SharedRawPointer(targets.baseAddress!))
            }
        }
    }

    /// The parallel part is not generic (closures escape Swift's generic specialisation): it picks
    /// the element type once per chunk and calls the specialised `drawTask`.
    private func drawTasks(
        count: Int, seed: UInt64, stream: UInt64, float: Bool,
        tokens: SharedRawPointer, targets: SharedRawPointer
    ) {
        let chunks = count >= 256 ? 16 : 1
        parallelFor(chunks: chunks) { chunk in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: outputDim * inputDim + inputDim + 2) { scratch in
                for b in chunkRange(chunk, of: chunks, count: count) {
                    var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
                    if float {
                        drawTask(
                            b, &random, scratch.baseAddress!, tokens.base.assumingMemoryBound(to: Float.self),
                            targets.base.assumingMemoryBound(to: Float.self))
                    } else {
                        drawTask(
                            b, &random, scratch.baseAddress!, tokens.base.assumingMemoryBound(to: Double.self),
                            targets.base.assumingMemoryBound(to: Double.self))
                    }
                }
            }
        }
    }

    /// Task `b`: the teacher (normals, in pairs), then each token's inputs (uniforms, in pairs) and
    /// targets, computed in Double whatever `T` is, so Float and Double batches hold the same tasks.
    @inline(__always)
    private func drawTask<T: BinaryFloatingPoint>(
        _ b: Int, _ random: inout SplitMix64, _ scratch: UnsafeMutablePointer<Double>,
        _ tokens: UnsafeMutablePointer<T>, _ targets: UnsafeMutablePointer<T>
    ) {
        let d = inputDim, teacher = scratch, x = scratch + outputDim * d + 1
        let half = inputRange / 2, range = inputRange, scale = weightScale
        for k in stride(from: 0, to: outputDim * d, by: 2) {
            let (z0, z1) = random.normalPair()
            teacher[k] = scale * z0
            teacher[k + 1] = scale * z1
        }
        for j in 0..<tokenCount {
            let token = tokens + (b * tokenCount + j) * tokenDim
            for k in stride(from: 0, to: d, by: 2) {
                // Stored as drawn: a vector load of x right after these scalar stores would stall.
                let (u0, u1) = random.uniformPair()
                let x0 = -half + range * u0, x1 = -half + range * u1
                x[k] = x0
                x[k + 1] = x1
                token[k] = T(x0)
                token[k + 1] = T(x1)  // for odd d this is the target's slot, written below
            }
            for o in 0..<outputDim {
                var y = 0.0
                for k in 0..<d { y += teacher[o * d + k] * x[k] }
                if noiseStd > 0 { y += noiseStd * random.normalPair().0 }
                if j < contextSize {
                    token[d + o] = T(y)
                } else {
                    token[d + o] = 0  // the query's target is hidden
                    targets[b * outputDim + o] = T(y)
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
