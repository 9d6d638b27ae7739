/// Seeded random numbers of our own, so that a seed fixes a checkpoint on every toolchain and
/// platform (Swift's `SystemRandomNumberGenerator` is unseeded and `Float.random` is unspecified).
///
/// SplitMix64 (Steele, Lea & Flood 2014): 64 bits of state, passes BigCrush, and cheap to fork —
/// each task of each training step gets its own generator from `(seed, stream, index)`, so tasks
/// can be drawn in parallel and the result does not depend on the number of threads.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent generator for item `index` of stream `stream` under `seed`.
    public init(seed: UInt64, stream: UInt64, index: UInt64 = 0) {
        state = SplitMix64.mix(SplitMix64.mix(SplitMix64.mix(seed) &+ stream) &+ index)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finaliser: a bijective 64-bit hash.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [low, high).
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Two uniforms in [0, 1) with 32 random bits each, from one draw (half the cost of two).
    @inlinable
    public mutating func uniformPair() -> (Double, Double) {
        let bits = next()
        return (Double(bits >> 32) * 0x1p-32, Double(bits & 0xFFFF_FFFF) * 0x1p-32)
    }

    /// Two independent standard normals from one Box–Muller transform.
    @inlinable
    public mutating func normalPair() -> (Double, Double) {
        let (u1, u2) = uniformPair()
        let radius = (-2.0 * _log(1.0 - u1)).squareRoot(), angle = 2.0 * Double.pi * u2
        return (radius * _cos(angle), radius * _sin(angle))
    }

    /// Standard normal by Box–Muller; uses two uniforms per draw (the second value is dropped so
    /// that every draw consumes the same amount of state, which keeps streams easy to reason about).
    @inlinable
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniform()  // (0, 1]: log is finite
        let u2 = uniform()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// Normal truncated to ±2 standard deviations and rescaled so the result has standard deviation
    /// `std` — Haiku's `VarianceScaling(distribution="truncated_normal")`, which the authors used.
    @inlinable
    public mutating func truncatedNormal(std: Double) -> Double {
        // Std of a standard normal truncated to [−2, 2].
        let truncatedStd = 0.879_625_661_034_239_78
        while true {
            let z = normal()
            if abs(z) <= 2 { return z * std / truncatedStd }
        }
    }

    /// Standard exponential.
    @inlinable
    public mutating func exponential() -> Double {
        -_log(1.0 - uniform())
    }

    /// Standard Laplace (scale 1).
    @inlinable
    public mutating func laplace() -> Double {
        let u = uniform() - 0.5
        let sign: Double = u < 0 ? -1 : 1
        return -sign * _log(1.0 - 2.0 * abs(u))
    }
}

/// Named stream numbers, so the tasks of training, validation and evaluation never overlap and
/// initialisation never shares numbers with data.
public enum RandomStream {
    public static let initialisation: UInt64 = 0x1000_0000_0000
    public static let validation: UInt64 = 0x2000_0000_0000
    public static let evaluation: UInt64 = 0x3000_0000_0000
    public static let trainingFixedSet: UInt64 = 0x4000_0000_0000
    /// Training step `step` draws its tasks from stream `training + step`.
    public static let training: UInt64 = 0x5000_0000_0000
}
