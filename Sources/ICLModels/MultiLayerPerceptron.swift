import Foundation
import ICLDescription
import ICLMath

/// The MLP block of a Transformer layer, per token: `delta = W_2 σ(W_1 e + b_1) + b_2`
/// (`W_1: [Dh, D]`, `W_2: [D, Dh]`, paper orientation), σ the tanh approximation of GELU
/// (Haiku's `jax.nn.gelu` default) or ReLU. Works on `rows` tokens at once, so a chunk of tasks goes through
/// one matrix product (OpenBLAS in Float). The caller adds the residual.
public enum MultiLayerPerceptron {
    /// Activation and GELU′ at the pre-activation, `[rows, Dh]` each (the derivative is kept so the
    /// backward pass needs no second tanh).
    public static func cacheSize(rows: Int, hidden Dh: Int) -> Int { 2 * rows * Dh }
    /// ∂L/∂activation, then ∂L/∂pre-activation in place.
    public static func scratchSize(rows: Int, hidden Dh: Int) -> Int { rows * Dh }

    public static let c = (2 / Double.pi).squareRoot(), a = 0.044715

    /// σ: a recipe's `model.activation`.
    public enum Activation: String, Choice, Sendable {
        /// `0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))`, the paper's.
        case gelu
        /// `max(0, x)`; its derivative at 0 taken as 0.
        case relu
    }

    /// `0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))`
    @inlinable
    public static func gelu<T: BinaryFloatingPoint>(_ x: T) -> T { geluWithDerivative(x).value }

    @inlinable
    public static func geluDerivative<T: BinaryFloatingPoint>(_ x: T) -> T { geluWithDerivative(x).derivative }

    /// tanh in Float by a rational function (the minimax form Eigen uses: odd degree 13 over even
    /// degree 6, argument clamped to ±9, where tanh is 1 in Float). Within a few ulp of `tanhf` and
    /// several times faster, since it inlines and needs no library call; a test checks the error.
    /// Eight lanes at once (one AVX register): the MLP's Float path runs whole rows through it.
    @inlinable @inline(__always)
    public static func fastTanh(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var x = value
        x.replace(with: 9, where: x .> 9)
        x.replace(with: -9, where: x .< -9)
        let x2 = x * x
        // Horner steps as fused multiply-adds (vfmadd with the package's target CPU; without one
        // they would be library calls, ~20× slower).
        @inline(__always) func step(_ acc: SIMD8<Float>, _ c: Float) -> SIMD8<Float> {
            SIMD8(repeating: c).addingProduct(acc, x2)
        }
        var p = SIMD8<Float>(repeating: -2.76076847742355e-16)
        p = step(p, 2.00018790482477e-13)
        p = step(p, -8.60467152213735e-11)
        p = step(p, 5.12229709037114e-08)
        p = step(p, 1.48572235717979e-05)
        p = step(p, 6.37261928875436e-04)
        p = step(p, 4.89352455891786e-03)
        var q = SIMD8<Float>(repeating: 1.19825839466702e-06)
        q = step(q, 1.18534705686654e-04)
        q = step(q, 2.26843463243900e-03)
        q = step(q, 4.89352518554385e-03)
        return x * p / q
    }

    /// One value through the eight-lane version (same bits as a lane of a row).
    @inlinable
    public static func fastTanh(_ value: Float) -> Float { fastTanh(SIMD8(repeating: value))[0] }

    /// GELU and its derivative from one tanh, in the element type (Float uses `fastTanh`).
    @inlinable
    public static func geluWithDerivative<T: BinaryFloatingPoint>(_ x: T) -> (value: T, derivative: T) {
        if T.self == Float.self {
            let r = geluWithDerivative(SIMD8(repeating: Float(x)))
            return (T(r.value[0]), T(r.derivative[0]))
        }
        let u = T(c) * (x + T(a) * x * x * x)
        let t = T(_tanh(Double(u)))
        return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * T(c) * (1 + 3 * T(a) * x * x))
    }

    /// The same on eight Float lanes, term by term in the same order as the scalar formula.
    @inlinable @inline(__always)
    public static func geluWithDerivative(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, derivative: SIMD8<Float>) {
        let cf = SIMD8<Float>(repeating: Float(c)), af = SIMD8<Float>(repeating: Float(a))
        let half = SIMD8<Float>(repeating: 0.5), one = SIMD8<Float>(repeating: 1), three = SIMD8<Float>(repeating: 3)
        let cubic: SIMD8<Float> = af * x * x * x
        let t = fastTanh(cf * (x + cubic))
        let value: SIMD8<Float> = half * x * (one + t)
        let slope: SIMD8<Float> = half * x * (one - t * t) * cf * (one + three * af * x * x)
        return (value, half * (one + t) + slope)
    }

    /// `activation ← σ(activation + b_1)` and `derivative ← σ′` over `[rows, Dh]`. For GELU, Float goes
    /// eight lanes at a time over the whole buffer, rows run together, with the bias repeated to a
    /// multiple of eight entries, so no row ends in a part-filled vector (the loop does not vectorise by
    /// itself: it was 38 % of the 12-block model's step, measured).
    @inlinable
    static func activate<T: BinaryFloatingPoint>(
        _ activation: UnsafeMutablePointer<T>, derivative: UnsafeMutablePointer<T>,
        bias b_1: UnsafePointer<T>, rows: Int, hidden Dh: Int,
        σ: Activation
    ) {
        let total = rows * Dh
        if σ == .relu {
            for j in 0..<total {
                let x = activation[j] + b_1[j % Dh]
                activation[j] = max(x, 0)
                derivative[j] = x > 0 ? 1 : 0
            }
            return
        }
        var done = 0
        if T.self == Float.self {
            let period = Dh * 8 / gcd(Dh, 8)  // lcm(Dh, 8): the bias pattern repeats every `period` entries
            withUnsafeTemporaryAllocation(of: Float.self, capacity: period) { pattern in
                for j in 0..<period { pattern[j] = Float(b_1[j % Dh]) }
                let act = UnsafeMutableRawPointer(activation), der = UnsafeMutableRawPointer(derivative)
                let bias = UnsafeRawPointer(pattern.baseAddress!)
                var offset = 0
                while done + 8 <= total {
                    let pre =
                        act.loadUnaligned(fromByteOffset: 4 * done, as: SIMD8<Float>.self)
                        + bias.loadUnaligned(fromByteOffset: 4 * offset, as: SIMD8<Float>.self)
                    let (value, slope) = geluWithDerivative(pre)
                    act.storeBytes(of: value, toByteOffset: 4 * done, as: SIMD8<Float>.self)
                    der.storeBytes(of: slope, toByteOffset: 4 * done, as: SIMD8<Float>.self)
                    done += 8
                    offset += 8
                    if offset == period { offset = 0 }
                }
            }
        }
        for j in done..<total {
            let (value, slope) = geluWithDerivative(activation[j] + b_1[j % Dh])
            activation[j] = value
            derivative[j] = slope
        }
    }

    @inlinable
    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    public static func forward<T: BinaryFloatingPoint>(
        tokens x: UnsafePointer<T>, rows: Int, tokenDim D: Int, hidden Dh: Int, activation σ: Activation = .gelu,
        W_1: UnsafePointer<T>, b_1: UnsafePointer<T>, W_2: UnsafePointer<T>, b_2: UnsafePointer<T>,
        cache: UnsafeMutablePointer<T>, delta: UnsafeMutablePointer<T>,
        laneScratch: UnsafeMutablePointer<T>? = nil
    ) {
        if let (kernels, layer) = lanes(
            rows: rows, tokenDim: D, hidden: Dh, activation: σ, W_1: W_1, b_1: b_1, W_2: W_2, b_2: b_2,
            scratch: laneScratch)
        {
            return kernels.mlpForward(layer, floats(x), floats(delta))  // (the lane backward needs no cache)
        }
        let activation = cache, derivative = cache + rows * Dh
        gemm(rows, Dh, D, x, W_1, transposeB: true, into: activation)
        activate(activation, derivative: derivative, bias: b_1, rows: rows, hidden: Dh, σ: σ)
        gemm(rows, D, Dh, activation, W_2, transposeB: true, into: delta)
        for r in 0..<rows { for k in 0..<D { delta[r * D + k] += b_2[k] } }
    }

    /// `dact = G W_2`, `dW_2 += Gᵀ act`, `db_2 += Σ G`, `dpre = dact ⊙ σ′(pre)` (kept by forward),
    /// `dW_1 += dpreᵀ X`, `db_1 += Σ dpre`, and `dX += dpre W_1` when the tokens' gradient is wanted.
    /// With `laneScratch` (`laneScratchSize` Floats) Float tokens go through the lane kernels.
    public static func backward<T: BinaryFloatingPoint>(
        dDelta G: UnsafePointer<T>, tokens x: UnsafePointer<T>, rows: Int, tokenDim D: Int, hidden Dh: Int,
        activation σ: Activation = .gelu,
        W_1: UnsafePointer<T>, b_1: UnsafePointer<T>, W_2: UnsafePointer<T>, cache: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>, dTokens dX: UnsafeMutablePointer<T>?,
        dW_1: UnsafeMutablePointer<T>, dB_1: UnsafeMutablePointer<T>, dW_2: UnsafeMutablePointer<T>,
        dB_2: UnsafeMutablePointer<T>, laneScratch: UnsafeMutablePointer<T>? = nil
    ) {
        if let (kernels, layer) = lanes(
            rows: rows, tokenDim: D, hidden: Dh, activation: σ, W_1: W_1, b_1: b_1, W_2: W_2, b_2: nil,
            scratch: laneScratch)
        {
            return kernels.mlpBackward(
                layer, floats(G), floats(x), dX.map { floats($0) }, floats(dW_1), floats(dB_1), floats(dW_2),
                floats(dB_2))
        }
        let activation = cache, derivative = cache + rows * Dh, d = scratch
        gemm(rows, Dh, D, G, W_2, into: d)
        gemm(D, Dh, rows, G, transposeA: true, activation, into: dW_2, accumulate: true)
        sumRows(UnsafeMutablePointer(mutating: G), rows: rows, columns: D, into: dB_2)
        sumRows(d, scaledBy: derivative, rows: rows, columns: Dh, into: dB_1)
        gemm(Dh, D, rows, d, transposeA: true, x, into: dW_1, accumulate: true)
        if let dX { gemm(rows, D, Dh, d, W_1, into: dX, accumulate: true) }
    }

    /// `sum[k] += Σ_r x[r, k]`, after `x ← x ⊙ scale` when `scale` is given; rows in order, so every
    /// column's sum is the scalar loop's. Float goes eight columns at a time (the scalar loop did not
    /// vectorise: 7 % of the 12-block model's step, measured).
    @inlinable
    static func sumRows<T: BinaryFloatingPoint>(
        _ x: UnsafeMutablePointer<T>, scaledBy scale: UnsafePointer<T>? = nil,
        rows: Int, columns: Int, into sum: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let row = x + r * columns, factors = scale.map { $0 + r * columns }
            var k = 0
            if T.self == Float.self {
                let rowF = UnsafeMutableRawPointer(row), sumF = UnsafeMutableRawPointer(sum)
                while k + 8 <= columns {
                    var v = rowF.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                    if let factors {
                        v *= UnsafeRawPointer(factors).loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                        rowF.storeBytes(of: v, toByteOffset: 4 * k, as: SIMD8<Float>.self)
                    }
                    let total = sumF.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self) + v
                    sumF.storeBytes(of: total, toByteOffset: 4 * k, as: SIMD8<Float>.self)
                    k += 8
                }
            }
            for j in k..<columns {
                if let factors { row[j] *= factors[j] }
                sum[j] += row[j]
            }
        }
    }

    /// Multiplies and adds counted apart, tanh as one: the two products and GELU forward; four
    /// products (three without the tokens' gradient), the bias sums and GELU′ backward.
    public static func flops(
        rows: Int, tokenDim D: Int, hidden Dh: Int,
        tokenGradient: Bool = true
    ) -> (forward: Double, backward: Double) {
        let r = Double(rows), d = Double(D), h = Double(Dh)
        return (4 * r * d * h + 9 * r * h, (tokenGradient ? 8 : 6) * r * d * h + r * d + 21 * r * h)
    }
}
