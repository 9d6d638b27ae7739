import ICLMath

/// Layer normalisation of each token over its D features, with a learned scale and offset (Haiku's
/// `LayerNorm(create_scale: true, create_offset: true)`, biased variance, eps 1e-5):
///
///     μ = (1/D) Σ_k e_k,   σ² = (1/D) Σ_k (e_k − μ)²,   r = 1/√(σ² + eps)
///     x̂ = (e − μ) r,       u = x̂ ⊙ scale + offset
///
/// Unlike the attention and MLP kernels this returns the normalised tokens `u` themselves, not a
/// delta: it is the pre-norm in front of a branch (`e + attention(LayerNorm(e))`), and the caller
/// keeps `e` for the residual. Tokens are rows of a row-major `[T, D]` buffer; `scale` and `offset`
/// are `[D]`. Cache: `[T, 2]`, `(μ, r)` per token. The variance is taken in two passes (mean
/// first), so it does not cancel for tokens far from zero.
public enum LayerNorm {
    /// Names of the parameters, in the order `scale`, `offset`; also their HDF5 dataset names.
    public static let parameterNames = ["scale", "offset"]

    /// Added to the variance before the square root (Haiku's default).
    public static let epsilon = 1e-5

    /// `2·T` elements: `(μ, r)` per token.
    public static func cacheSize(tokenCount T: Int, tokenDim D: Int) -> Int { 2 * T }

    /// Overwrites `out` (`[T, D]`) with `u = (e − μ) r ⊙ scale + offset` per token; fills `cache`.
    @inlinable
    public static func forward<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int,
        scale: UnsafePointer<T>, offset: UnsafePointer<T>,
        cache: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>
    ) {
        let inverseD = 1 / T(D), eps = T(epsilon)
        for t in 0..<tokenCount {
            let row = e + t * D, u = out + t * D
            var sum: T = 0
            for k in 0..<D { sum += row[k] }
            let mu = sum * inverseD
            var squares: T = 0
            for k in 0..<D { let c = row[k] - mu; squares += c * c }
            let r = 1 / (squares * inverseD + eps).squareRoot()
            cache[2 * t] = mu
            cache[2 * t + 1] = r
            for k in 0..<D { u[k] = (row[k] - mu) * r * scale[k] + offset[k] }
        }
    }

    /// Backward. Given `G = ∂L/∂u` (`[T, D]`), ADDS into `dTokens` (`[T, D]`), `dScale` and
    /// `dOffset` (`[D]`); callers zero them. Per token, with `dx̂ = G ⊙ scale`:
    ///
    ///     dOffset += G,   dScale += G ⊙ x̂
    ///     ∂x̂_k/∂e_l = r (δ_kl − 1/D − x̂_k x̂_l / D)     (μ and σ depend on every e_l; ∂r/∂e_l = −r³ (e_l − μ)/D)
    ///     dE += r (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))
    ///
    /// `x̂` is recomputed from `e` and the cached `(μ, r)`; no scratch.
    @inlinable
    public static func backward<T: BinaryFloatingPoint>(
        dOut G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int,
        scale: UnsafePointer<T>, cache: UnsafePointer<T>,
        dTokens dE: UnsafeMutablePointer<T>, dScale: UnsafeMutablePointer<T>, dOffset: UnsafeMutablePointer<T>
    ) {
        let inverseD = 1 / T(D)
        for t in 0..<tokenCount {
            let row = e + t * D, g = G + t * D, dRow = dE + t * D
            let mu = cache[2 * t], r = cache[2 * t + 1]
            var sumDx: T = 0, sumDxX: T = 0
            for k in 0..<D {
                let xHat = (row[k] - mu) * r
                dOffset[k] += g[k]
                dScale[k] += g[k] * xHat
                let dx = g[k] * scale[k]
                sumDx += dx
                sumDxX += dx * xHat
            }
            let meanDx = sumDx * inverseD, meanDxX = sumDxX * inverseD
            for k in 0..<D {
                let xHat = (row[k] - mu) * r
                dRow[k] += r * (g[k] * scale[k] - meanDx - xHat * meanDxX)
            }
        }
    }

    /// Floating-point operations (multiply and add counted apart, square root as one), from the
    /// shapes. Forward: mean D+1, variance 3D+2, r 2, normalise 4D. Backward: first pass 9D (x̂,
    /// dOffset, dScale, dx̂, two sums), 2 for the means, second pass 8D.
    public static func flops(tokenCount T: Int, tokenDim D: Int) -> (forward: Double, backward: Double) {
        let t = Double(T), d = Double(D)
        return (t * (8 * d + 5), t * (17 * d + 2))
    }
}
