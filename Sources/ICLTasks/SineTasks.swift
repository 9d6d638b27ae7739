import ICLMath

/// The paper's nonlinear regression family (Figure 4, Appendix A.7): `y = a·sin(x + ρ)` with
/// `x ~ U(−r/2, r/2)` (r = 10: U(−5, 5)), `a ~ U(aMin, aMax)`, `ρ ~ U(0, π)`. Tokens `(x, y) ∈ R²`.
///
/// The paper's text says `a ~ U(0.1, 5)` with independent `ρ`; the authors' code that made Figure 4
/// draws `a ~ U(0.1, 0.5)` and `ρ` from the same uniform number, so `ρ = π (a − aMin)/(aMax − aMin)`
/// (`correlatedPhase`). Both are available.
public struct SineTasks: Codable, Equatable, Sendable {
    public var contextSize: Int
    public var inputRange: Double
    public var amplitudeMin: Double
    public var amplitudeMax: Double
    public var correlatedPhase: Bool

    public init(
        contextSize: Int = 10, inputRange: Double = 10, amplitudeMin: Double = 0.1, amplitudeMax: Double = 5,
        correlatedPhase: Bool = false
    ) {
        self.contextSize = contextSize
        self.inputRange = inputRange
        self.amplitudeMin = amplitudeMin
        self.amplitudeMax = amplitudeMax
        self.correlatedPhase = correlatedPhase
    }

    public var tokenDim: Int { 2 }
    public var tokenCount: Int { contextSize + 1 }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func sample<T: BinaryFloatingPoint>(count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self)
        -> TaskBatch<T>
    {
        var batch = TaskBatch<T>(count: count, tokenCount: tokenCount, tokenDim: 2, outputDim: 1)
        for b in 0..<count {
            var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
            let (amplitude, phase) = drawFunction(&random)
            for j in 0..<tokenCount {
                let x = random.uniform(-inputRange / 2, inputRange / 2)
                let y = amplitude * _sin(x + phase)
                let token = (b * tokenCount + j) * 2
                batch.tokens[token] = T(x)
                if j < contextSize {
                    batch.tokens[token + 1] = T(y)
                } else {
                    batch.targets[b] = T(y)  // the query's target is hidden (its token has y = 0)
                }
            }
        }
        return batch
    }

    /// The amplitude `a` and phase `ρ` of tasks `0 ..< count` of `sample(count:seed:stream:)` with
    /// the same seed and stream (task b's function is `a_b·sin(x + ρ_b)`): what a plot of the
    /// tasks draws as the true function.
    public func functions(count: Int, seed: UInt64, stream: UInt64) -> [(amplitude: Double, phase: Double)] {
        (0..<count).map { b in
            var random = SplitMix64(seed: seed, stream: stream, index: UInt64(b))
            return drawFunction(&random)
        }
    }

    /// A task's first draws: its amplitude, then (unless tied to it) its phase.
    private func drawFunction(_ random: inout SplitMix64) -> (amplitude: Double, phase: Double) {
        let u = random.uniform()
        let amplitude = amplitudeMin + (amplitudeMax - amplitudeMin) * u
        return (amplitude, correlatedPhase ? Double.pi * u : random.uniform(0, Double.pi))
    }
}
