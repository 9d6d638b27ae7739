import Foundation

/// Adam (Kingma & Ba 2014) after clipping the gradient's global norm — optax's
/// `chain(clip_by_global_norm(c), adam(lr, b1, b2, eps))`, which the authors used.
public struct Adam: Sendable {
    public let learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    /// Gradients with global norm above this are scaled down to it; nil: no clipping.
    public let clipNorm: Double?
    /// Updates taken so far (the bias corrections' exponent).
    public private(set) var step = 0
    /// First and second moment estimates, one per parameter; with `step`, all a resumed run needs.
    public private(set) var m: [Float]
    public private(set) var v: [Float]

    public init(
        count: Int, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.98,
        epsilon: Double = 1e-8, clipNorm: Double? = nil
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.clipNorm = clipNorm
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// Continues from saved moments after `step` updates, so the next update is the one an
    /// uninterrupted run would take.
    public mutating func restore(step: Int, m: [Float], v: [Float]) {
        precondition(m.count == self.m.count && v.count == self.v.count && step >= 0, "Adam: wrong saved state")
        self.step = step
        self.m = m
        self.v = v
    }

    /// Global L2 norm, accumulated in Double.
    public static func globalNorm(_ g: [Float]) -> Double {
        var sum = 0.0
        for x in g { sum += Double(x) * Double(x) }
        return sum.squareRoot()
    }

    /// One update of `parameters` from `gradients`; returns the gradient norm before clipping. A
    /// non-finite norm changes nothing (parameters, moments and step stay as they were), so a
    /// caller that stops on it still holds the last good state.
    @discardableResult
    public mutating func update(_ parameters: inout [Float], gradients: [Float]) -> Double {
        precondition(parameters.count == m.count && gradients.count == m.count, "Adam: wrong parameter count")
        let norm = Adam.globalNorm(gradients)
        guard norm.isFinite else { return norm }
        let clip = clipNorm.map { norm > $0 ? $0 / norm : 1 } ?? 1
        step += 1
        let b1 = Float(beta1), b2 = Float(beta2)
        // Bias corrections folded into the step size and epsilon, in Double for the powers.
        let c1 = 1 - Foundation.pow(beta1, Double(step)), c2 = 1 - Foundation.pow(beta2, Double(step))
        let rate = Float(learningRate / c1), rootC2 = Float(c2.squareRoot()), eps = Float(epsilon)
        let scale = Float(clip)
        for k in parameters.indices {
            let g = gradients[k] * scale
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            // m̂ / (√v̂ + ε) with m̂ = m/c1, v̂ = v/c2
            parameters[k] -= rate * m[k] / ((v[k]).squareRoot() / rootC2 + eps)
        }
        return norm
    }
}
