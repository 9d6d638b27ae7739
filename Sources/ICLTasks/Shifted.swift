import ICLMath

// Out-of-distribution variants of the linear regression tasks (Appendix A.2, Figures 2 and 6).

extension LinearRegressionTasks {
    /// The same family with the inputs' range scaled by `inputScale` (`x ~ U(−α r/2, α r/2)`) and the
    /// teacher's scale by `teacherScale` (`W ~ N(0, (α s)² I)`). Drawn with the same seed and stream,
    /// task b of the shifted family is task b of this one with its inputs (or teacher) multiplied by
    /// α — the uniform and normal draws scale exactly — so a sweep over α compares like with like,
    /// and α = 1 gives back exactly the unshifted tasks.
    public func shifted(inputScale: Double = 1, teacherScale: Double = 1) -> LinearRegressionTasks {
        var out = self
        out.inputRange = inputRange * inputScale
        out.weightScale = weightScale * teacherScale
        return out
    }
}

/// The three laws of the unseen-input experiment (JAX's defaults: standard normal, exponential with
/// rate 1, Laplace with location 0 and scale 1).
public enum InputLaw: String, Codable, CaseIterable, Sendable {
    case normal, exponential, laplace
}

/// Tasks of `base` whose inputs come from a law the model never saw (Appendix A.2): for each task,
/// one of `InputLaw.allCases` chosen uniformly; every input entry (context and query) drawn from it;
/// then all inputs of the task divided by the Frobenius norm of its `N × d` context input matrix
/// and multiplied by `inputScale` — so `‖X_context‖_F = α` exactly in every task. The teacher is
/// `W ~ N(0, (teacherScale · base.weightScale)² I)` and the targets `y = W x` of the scaled inputs;
/// the query's target is hidden, as in `LinearRegressionTasks`.
public struct MixedLawTasks: Codable, Equatable, Sendable {
    public var base: LinearRegressionTasks
    /// α: the Frobenius norm of each task's context inputs.
    public var inputScale: Double
    /// Multiplies `base.weightScale`.
    public var teacherScale: Double

    public init(base: LinearRegressionTasks, inputScale: Double = 1, teacherScale: Double = 1) {
        self.base = base
        self.inputScale = inputScale
        self.teacherScale = teacherScale
    }

    /// The law of every one of `count` tasks drawn with `(seed, stream)`: the first draw of task b's
    /// generator, as `sample` uses it.
    public func laws(count: Int, seed: UInt64, stream: UInt64) -> [InputLaw] {
        (0..<count).map { b in
            var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
            return MixedLawTasks.law(&random)
        }
    }

    static func law(_ random: inout SplitMix64) -> InputLaw {
        InputLaw.allCases[min(Int(random.uniform() * 3), 2)]
    }

    /// Draws `count` tasks; task b uses its own generator `(seed, stream, b)` (as `LinearRegressionTasks`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func sample<T: BinaryFloatingPoint>(
        count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self
    ) -> TaskBatch<T> {
        let d = base.inputDim, o = base.outputDim, N = base.contextSize
        let D = base.tokenDim, T_ = base.tokenCount
        var tokens = [Double](repeating: 0, count: count * T_ * D)
        var targets = [Double](repeating: 0, count: count * o)
        tokens.withUnsafeMutableBufferPointer { t in
            targets.withUnsafeMutableBufferPointer { y in
                let tokens = SharedPointer(t.baseAddress!), targets = SharedPointer(y.baseAddress!)
                let chunks = count >= 256 ? 16 : 1
                parallelFor(chunks: chunks) { chunk in
                    var teacher = [Double](repeating: 0, count: o * d)
                    for b in chunkRange(chunk, of: chunks, count: count) {
                        var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
                        let law = MixedLawTasks.law(&random)
                        for k in teacher.indices { teacher[k] = teacherScale * base.weightScale * random.normal() }
                        let task = tokens.base + b * T_ * D
                        var squares = 0.0
                        for j in 0..<T_ {
                            for k in 0..<d {
                                let x: Double
                                switch law {
                                case .normal: x = random.normal()
                                case .exponential: x = random.exponential()
                                case .laplace: x = random.laplace()
                                }
                                task[j * D + k] = x
                                if j < N { squares += x * x }
                            }
                        }
                        // Degenerate only if every context input is exactly 0 (probability 0).
                        let factor = squares > 0 ? inputScale / squares.squareRoot() : 0
                        for j in 0..<T_ {
                            let token = task + j * D
                            for k in 0..<d { token[k] *= factor }
                            for out in 0..<o {
                                var value = 0.0
                                for k in 0..<d { value += teacher[out * d + k] * token[k] }
                                if j < N {
                                    token[d + out] = value
                                } else {
                                    token[d + out] = 0  // the query's target is hidden
                                    targets.base[b * o + out] = value
                                }
                            }
                        }
                    }
                }
            }
        }
        var batch = TaskBatch<T>(count: count, tokenCount: T_, tokenDim: D, outputDim: o)
        for k in tokens.indices { batch.tokens[k] = T(tokens[k]) }
        for k in targets.indices { batch.targets[k] = T(targets[k]) }
        return batch
    }
}
