import ICLMath

/// LayerNorm over each token's D features (Ba et al. 2016, Haiku's defaults): `u = x̂·scale + offset`
/// with `x̂ = (x − μ)/√(σ² + ε)`, biased variance, ε = 1e-5. Used as a pre-norm on a block's input.
public enum LayerNorm {
    public static let epsilon = 1e-5

    /// μ and 1/√(σ² + ε) per token.
    public static func cacheSize(tokenCount T: Int, tokenDim _: Int) -> Int { 2 * T }

    public static func forward<T: BinaryFloatingPoint>(
        tokens x: UnsafePointer<T>, tokenCount T_: Int, tokenDim D: Int, scale: UnsafePointer<T>,
        offset: UnsafePointer<T>,
        cache: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>
    ) {
        for j in 0..<T_ {
            let row = x + j * D, u = out + j * D
            var mean: T = 0
            for k in 0..<D { mean += row[k] }
            mean /= T(D)
            var variance: T = 0
            for k in 0..<D { variance += (row[k] - mean) * (row[k] - mean) }
            variance /= T(D)
            let r = 1 / (variance + T(epsilon)).squareRoot()
            cache[2 * j] = mean
            cache[2 * j + 1] = r
            for k in 0..<D { u[k] = (row[k] - mean) * r * scale[k] + offset[k] }
        }
    }

    /// With `g = ∂L/∂u` and `ĝ = g ⊙ scale`: `dscale += g ⊙ x̂`, `doffset += g`, and
    /// `dx += r (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))` — the normalisation's Jacobian applied to ĝ.
    public static func backward<T: BinaryFloatingPoint>(
        dOut g: UnsafePointer<T>, tokens x: UnsafePointer<T>, tokenCount T_: Int, tokenDim D: Int,
        scale: UnsafePointer<T>,
        cache: UnsafePointer<T>, dTokens dx: UnsafeMutablePointer<T>, dScale: UnsafeMutablePointer<T>,
        dOffset: UnsafeMutablePointer<T>
    ) {
        for j in 0..<T_ {
            let row = x + j * D, gj = g + j * D, dxj = dx + j * D
            let mean = cache[2 * j], r = cache[2 * j + 1]
            var meanG: T = 0, meanGX: T = 0
            for k in 0..<D {
                let xhat = (row[k] - mean) * r
                let ghat = gj[k] * scale[k]
                dScale[k] += gj[k] * xhat
                dOffset[k] += gj[k]
                meanG += ghat
                meanGX += ghat * xhat
            }
            meanG /= T(D)
            meanGX /= T(D)
            for k in 0..<D {
                let xhat = (row[k] - mean) * r
                dxj[k] += r * (gj[k] * scale[k] - meanG - xhat * meanGX)
            }
        }
    }

    /// Per token: mean, variance, 1/σ and the affine map forward; the Jacobian product backward.
    public static func flops(tokenCount T: Int, tokenDim D: Int) -> (forward: Double, backward: Double) {
        (Double(T) * (8 * Double(D) + 5), Double(T) * (17 * Double(D) + 2))
    }
}
