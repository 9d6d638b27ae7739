import ICLMath

/// Central finite differences against an analytic gradient, in Double (STYLE.md, "Tests").
/// Passes entry k when `|a − n| ≤ relative·max(|a|, |n|) + absolute·max(1, |L|)`.
public struct GradientCheck {
    public struct Mismatch: CustomStringConvertible {
        public let tensor: String
        public let index: Int
        public let analytic: Double
        public let numeric: Double
        public var description: String { "\(tensor)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    public var step = 1e-6
    public var relative = 1e-6
    public var absolute = 1e-8

    public init() {}

    /// Compares `analytic` with central differences of `loss` over every entry of `values`
    /// (or the entries in `indices`). Returns the mismatches; empty means the gradient is right.
    public func compare(
        tensor: String, values: [Double], analytic: [Double], indices: [Int]? = nil,
        loss: ([Double]) -> Double
    ) -> [Mismatch] {
        precondition(values.count == analytic.count, "\(tensor): \(values.count) values, \(analytic.count) gradients")
        var mismatches: [Mismatch] = []
        var probe = values
        let base = abs(loss(values))
        for k in indices ?? Array(values.indices) {
            probe[k] = values[k] + step
            let up = loss(probe)
            probe[k] = values[k] - step
            let down = loss(probe)
            probe[k] = values[k]
            let numeric = (up - down) / (2 * step)
            let a = analytic[k]
            if abs(a - numeric) > relative * max(abs(a), abs(numeric)) + absolute * max(1, base) || !a.isFinite {
                mismatches.append(Mismatch(tensor: tensor, index: k, analytic: a, numeric: numeric))
            }
        }
        return mismatches
    }

    /// Every named tensor of `parameters` and then the input `tokens` against central differences of
    /// `loss(parameters, tokens)`: all the mismatches, each naming its tensor.
    public func compareAll(
        tensors: [(name: String, range: Range<Int>)], parameters: [Double], dParameters: [Double],
        tokens: [Double], dTokens: [Double], loss: ([Double], [Double]) -> Double
    ) -> [Mismatch] {
        var mismatches: [Mismatch] = []
        for (name, range) in tensors {
            mismatches += compare(tensor: name, values: parameters, analytic: dParameters, indices: Array(range)) {
                loss($0, tokens)
            }
        }
        return mismatches + compare(tensor: "tokens", values: tokens, analytic: dTokens) { loss(parameters, $0) }
    }

    /// Whether `twice` is `2 · once` entry by entry (to 1e-12, relative): the backward pass adds into
    /// its gradients instead of overwriting them. Returns the first offending index, or nil.
    public static func firstNotDoubled(once: [Double], twice: [Double]) -> Int? {
        once.indices.first { abs(twice[$0] - 2 * once[$0]) > 1e-12 * max(1, abs(once[$0])) }
    }

    /// A random probe in [−1, 1), fixed by `seed`.
    public static func probe(count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.uniform(-1, 1) }
    }
}
