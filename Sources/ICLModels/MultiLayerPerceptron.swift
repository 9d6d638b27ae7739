import ICLMath

/// The transformer's two-layer perceptron, applied to each token on its own, the sublayer's output only:
///
///     z = W_1 e + b_1,   a = GELU(z),   delta = W_2 a + b_2
///     GELU(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))      (the tanh approximation:
///                                                              Haiku's `jax.nn.gelu(approximate=True)`)
///
/// `W_1` is `[Dh, D]`, `b_1` `[Dh]`, `W_2` `[D, Dh]`, `b_2` `[D]`, stored and applied in the paper's
/// orientation (`z = W_1 e` for a column token `e`); the paper's models use `Dh = 4·D`. The caller
/// adds the residual (`e + delta`). Tokens are independent, so the kernel takes `rows` tokens at
/// once — a whole chunk of tasks, `[rows, D]` row-major — and each product is one matrix product
/// per chunk: `Z = E W_1ᵀ + b_1`, `delta = A W_2ᵀ + b_2`. Cache: `Z` and `A`, `[rows, Dh]` each.
public enum MultiLayerPerceptron {
    /// Names of the parameters, in the order `W_1, b_1, W_2, b_2`; also their HDF5 dataset names.
    public static let parameterNames = ["W_1", "b_1", "W_2", "b_2"]

    /// `√(2/π)` and the cubic coefficient of the tanh approximation.
    public static let geluScale = (2 / Double.pi).squareRoot()
    public static let geluCubic = 0.044715

    /// `GELU(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    @inlinable
    public static func gelu<T: BinaryFloatingPoint>(_ x: T) -> T {
        let t = T(_tanh(Double(T(geluScale) * (x + T(geluCubic) * x * x * x))))
        return x * (1 + t) / 2
    }

    /// `GELU′(x) = ½ (1 + t) + ½ x (1 − t²) √(2/π) (1 + 3·0.044715 x²)`, `t = tanh(√(2/π) (x + 0.044715 x³))`.
    @inlinable
    public static func geluDerivative<T: BinaryFloatingPoint>(_ x: T) -> T {
        let c = T(geluScale), cubic = T(geluCubic), x2 = x * x
        let t = T(_tanh(Double(c * (x + cubic * x * x2))))
        return ((1 + t) + x * (1 - t * t) * c * (1 + 3 * cubic * x2)) / 2
    }

    /// `2·rows·Dh` elements: `Z = E W_1ᵀ + b_1` then `A = GELU(Z)`, `[rows, Dh]` each.
    public static func cacheSize(rows: Int, hidden Dh: Int) -> Int { 2 * rows * Dh }

    /// `rows·Dh` elements: `dA`, turned into `dZ` in place.
    public static func scratchSize(rows: Int, hidden Dh: Int) -> Int { rows * Dh }

    /// Forward for `rows` tokens (`[rows, D]`): overwrites `delta` (`[rows, D]`) with
    /// `W_2 GELU(W_1 e + b_1) + b_2` per token and fills `cache`.
    @inlinable
    public static func forward<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, rows: Int, tokenDim D: Int, hidden Dh: Int,
        W_1: UnsafePointer<T>, b_1: UnsafePointer<T>, W_2: UnsafePointer<T>, b_2: UnsafePointer<T>,
        cache: UnsafeMutablePointer<T>, delta: UnsafeMutablePointer<T>
    ) {
        let Z = cache, A = cache + rows * Dh
        for r in 0..<rows { (Z + r * Dh).update(from: b_1, count: Dh) }
        matmul(rows, Dh, D, e, W_1, transposeB: true, into: Z, accumulate: true)     // Z = E W_1ᵀ + b_1
        for k in 0..<(rows * Dh) { A[k] = gelu(Z[k]) }                               // A = GELU(Z)
        for r in 0..<rows { (delta + r * D).update(from: b_2, count: D) }
        matmul(rows, D, Dh, A, W_2, transposeB: true, into: delta, accumulate: true) // delta = A W_2ᵀ + b_2
    }

    /// Backward. Given `G = ∂L/∂delta` (`[rows, D]`), ADDS into `dTokens` (`[rows, D]`) and the
    /// parameter gradients; callers zero them. From `delta = A W_2ᵀ + b_2`, `A = GELU(Z)`,
    /// `Z = E W_1ᵀ + b_1`:
    ///
    ///     dW_2 += Gᵀ A,   db_2 += Σ_rows G,   dA = G W_2
    ///     dZ = dA ⊙ GELU′(Z)
    ///     dW_1 += dZᵀ E,  db_1 += Σ_rows dZ,  dE += dZ W_1
    ///
    /// `b_1` is not read (`Z` is cached); it is taken so that forward and backward name the same
    /// parameters. `scratch`: `scratchSize(rows:hidden:)` elements.
    @inlinable
    public static func backward<T: BinaryFloatingPoint>(
        dDelta G: UnsafePointer<T>, tokens e: UnsafePointer<T>, rows: Int, tokenDim D: Int, hidden Dh: Int,
        W_1: UnsafePointer<T>, b_1: UnsafePointer<T>, W_2: UnsafePointer<T>,
        cache: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dTokens dE: UnsafeMutablePointer<T>,
        dW_1: UnsafeMutablePointer<T>, dB_1: UnsafeMutablePointer<T>,
        dW_2: UnsafeMutablePointer<T>, dB_2: UnsafeMutablePointer<T>
    ) {
        let Z = cache, A = cache + rows * Dh, dZ = scratch
        matmul(D, Dh, rows, G, transposeA: true, A, into: dW_2, accumulate: true)      // dW_2 += Gᵀ A  [D, Dh]
        for r in 0..<rows { let g = G + r * D; for k in 0..<D { dB_2[k] += g[k] } }
        matmul(rows, Dh, D, G, W_2, into: dZ)                                          // dA = G W_2     [rows, Dh]
        for k in 0..<(rows * Dh) { dZ[k] *= geluDerivative(Z[k]) }                     // dZ = dA ⊙ GELU′(Z)
        for r in 0..<rows { let g = dZ + r * Dh; for k in 0..<Dh { dB_1[k] += g[k] } }
        matmul(Dh, D, rows, dZ, transposeA: true, e, into: dW_1, accumulate: true)     // dW_1 += dZᵀ E [Dh, D]
        matmul(rows, D, Dh, dZ, W_1, into: dE, accumulate: true)                       // dE += dZ W_1   [rows, D]
    }

    /// Floating-point operations (multiply and add counted apart, `tanh` as one), from the shapes.
    /// Forward: two products 2·rows·D·Dh each, GELU 9 per hidden unit. Backward: four products,
    /// the two bias sums, GELU′ times dA 20 per hidden unit.
    public static func flops(rows: Int, tokenDim D: Int, hidden Dh: Int) -> (forward: Double, backward: Double) {
        let r = Double(rows), d = Double(D), h = Double(Dh)
        return (4 * r * d * h + 9 * r * h, 8 * r * d * h + r * d + 21 * r * h)
    }
}
