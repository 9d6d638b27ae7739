import Foundation
import ICLDescription
import ICLLanes
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
        // Horner steps as fused multiply-adds (vfmadd with the package's target CPU; without one
        // they would be library calls, ~20× slower), the same as the lane kernels'.
        let (p, q) = MLPLanes.tanhRational(x * x)
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

    /// The same on eight Float lanes, with the terms regrouped into fused multiply-adds (one rounding
    /// fewer per step, a third fewer instructions; within a few ulp of the Double formula, tested):
    /// `u = x (c + c·a x²)`, `σ = h + h t` with `h = x/2`, `σ′ = (½ + ½ t) + h (1 − t²)(c + 3c·a x²)`.
    @inlinable @inline(__always)
    public static func geluWithDerivative(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, derivative: SIMD8<Float>) {
        let cf = SIMD8<Float>(repeating: Float(c)), caf = SIMD8<Float>(repeating: Float(c * a))
        let c3af = SIMD8<Float>(repeating: Float(3 * c * a))
        let half = SIMD8<Float>(repeating: 0.5), one = SIMD8<Float>(repeating: 1)
        let x2 = x * x, h = half * x
        let t = fastTanh(x * cf.addingProduct(caf, x2))
        let value = h.addingProduct(h, t)
        let slope = h * one.addingProduct(-t, t) * cf.addingProduct(c3af, x2)
        return (value, half.addingProduct(half, t) + slope)
    }

    /// `activation ← σ(activation)` and `derivative ← σ′(activation)` over `count` entries (the
    /// pre-activations, bias included). For GELU, Float goes eight lanes at a time over the whole
    /// buffer, rows run together (the loop does not vectorise by itself: it was 38 % of the 12-block
    /// model's step, measured).
    @inlinable
    static func activate<T: BinaryFloatingPoint>(
        _ activation: UnsafeMutablePointer<T>, derivative: UnsafeMutablePointer<T>, count: Int, σ: Activation
    ) {
        if σ == .relu {
            for j in 0..<count {
                let x = activation[j]
                activation[j] = max(x, 0)
                derivative[j] = x > 0 ? 1 : 0
            }
            return
        }
        var done = 0
        if T.self == Float.self {
            let act = UnsafeMutableRawPointer(activation), der = UnsafeMutableRawPointer(derivative)
            for v in 0..<(count / 8) {
                let (value, slope) = geluWithDerivative(act.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self))
                act.storeBytes(of: value, toByteOffset: 32 * v, as: SIMD8<Float>.self)
                der.storeBytes(of: slope, toByteOffset: 32 * v, as: SIMD8<Float>.self)
            }
            done = count / 8 * 8
        }
        for j in done..<count {
            let (value, slope) = geluWithDerivative(activation[j])
            activation[j] = value
            derivative[j] = slope
        }
    }

    /// Every row of the `[rows, n]` matrix `c` set to `bias`, so that a product added onto it includes
    /// the bias: OpenBLAS with `accumulate: false` clears `c` first (a memset), so the bias costs no
    /// pass of its own, and `b + Σ` rounds as `Σ + b` did. Float writes eight entries at a time from
    /// the bias repeated to lcm(n, 8) entries (a copy per row was 3.6 % of the sine model's step).
    @inlinable
    static func fill<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, rows: Int, with bias: UnsafePointer<T>, _ n: Int) {
        let total = rows * n
        var done = 0
        if T.self == Float.self {
            let period = n * 8 / gcd(n, 8)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: period) { pattern in
                for j in 0..<period { pattern[j] = Float(bias[j % n]) }
                let out = UnsafeMutableRawPointer(c), from = UnsafeRawPointer(pattern.baseAddress!)
                var offset = 0
                for v in 0..<(total / 8) {
                    out.storeBytes(
                        of: from.loadUnaligned(fromByteOffset: 4 * offset, as: SIMD8<Float>.self), toByteOffset: 32 * v,
                        as: SIMD8<Float>.self)
                    offset += 8
                    if offset == period { offset = 0 }
                }
            }
            done = total / 8 * 8
        }
        for j in done..<total { c[j] = bias[j % n] }
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
        fill(activation, rows: rows, with: b_1, Dh)
        gemm(rows, Dh, D, x, W_1, transposeB: true, into: activation, accumulate: true)
        activate(activation, derivative: derivative, count: rows * Dh, σ: σ)
        fill(delta, rows: rows, with: b_2, D)
        gemm(rows, D, Dh, activation, W_2, transposeB: true, into: delta, accumulate: true)
    }

    /// `dact = G W_2`, `dW_2 += Gᵀ act`, `db_2 += Σ G`, `dpre = dact ⊙ σ′(pre)` (kept by forward),
    /// `dW_1 += dpreᵀ X`, `db_1 += Σ dpre`, and `dX += dpre W_1` when the tokens' gradient is wanted.
    /// `dX` may be `G` itself (a residual block adds its part onto the gradient passing through): it
    /// is written last, after every read of `G`. With `laneScratch` (`laneScratchSize` Floats) Float
    /// tokens go through the lane kernels.
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
    /// column's sum is the scalar loop's. Float rows up to 64 wide go down 16 rows at a time (they
    /// stay in the first-level cache), 32 columns at a time with the sums in four vector registers
    /// (adding into memory row after row waited on each store: 6 % of the 12-block model's step,
    /// measured); the last `columns % 8` columns go as one vector that also reads the next row's
    /// first entries, keeps them unchanged and ignores their sums. Wider rows go row by row, eight
    /// columns at a time (strided passes were twice as slow at 160 columns, measured).
    @inlinable
    static func sumRows<T: BinaryFloatingPoint>(
        _ x: UnsafeMutablePointer<T>, scaledBy scale: UnsafePointer<T>? = nil,
        rows: Int, columns: Int, into sum: UnsafeMutablePointer<T>
    ) {
        guard T.self == Float.self, rows > 1, columns <= 64 else {
            // Wide rows (the sine model's 160) keep many independent sums per row: row by row, in memory.
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
            return
        }
        let X = UnsafeMutableRawPointer(x), S = UnsafeMutableRawPointer(sum)
        let F = scale.map { UnsafeRawPointer($0) }
        let stride = 4 * columns, full = columns / 8 * 8, tail = columns - full
        @inline(__always) func term(_ r: Int, _ j: Int) -> SIMD8<Float> {
            let at = r * stride + 4 * j
            var v = X.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
            if let F {
                v *= F.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
                X.storeBytes(of: v, toByteOffset: at, as: SIMD8<Float>.self)
            }
            return v
        }
        @inline(__always) func load(_ j: Int) -> SIMD8<Float> {
            S.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        }
        @inline(__always) func store(_ s: SIMD8<Float>, _ j: Int) {
            S.storeBytes(of: s, toByteOffset: 4 * j, as: SIMD8<Float>.self)
        }
        // Lanes 0..<tail of the tail vector are this row's last columns; the others are the next
        // row's first, already scaled (their columns come first) and stored back as they were.
        let mine = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .< SIMD8(repeating: Int32(tail))
        var tailSum = SIMD8<Float>(repeating: 0)
        for lane in 0..<tail { tailSum[lane] = Float(sum[full + lane]) }
        var first = 0
        while first < rows {
            let block = first..<min(first + 16, rows)
            var k = 0
            while k + 32 <= full {
                var s0 = load(k), s1 = load(k + 8), s2 = load(k + 16), s3 = load(k + 24)
                for r in block {
                    s0 += term(r, k)
                    s1 += term(r, k + 8)
                    s2 += term(r, k + 16)
                    s3 += term(r, k + 24)
                }
                store(s0, k); store(s1, k + 8); store(s2, k + 16); store(s3, k + 24)
                k += 32
            }
            while k < full {
                var s0 = load(k)
                for r in block { s0 += term(r, k) }
                store(s0, k)
                k += 8
            }
            if tail > 0 {
                for r in block where r < rows - 1 {
                    let at = r * stride + 4 * full
                    var v = X.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
                    if let F {
                        v.replace(with: v * F.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self), where: mine)
                        X.storeBytes(of: v, toByteOffset: at, as: SIMD8<Float>.self)
                    }
                    tailSum += v
                }
            }
            first = block.upperBound
        }
        let last = x + (rows - 1) * columns
        for j in full..<columns {
            if let scale { last[j] *= scale[(rows - 1) * columns + j] }
            sum[j] = T(tailSum[j - full]) + last[j]
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
