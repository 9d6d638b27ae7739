#if canImport(Glibc)
import Glibc
#endif

/// The per-task part of softmax attention (`ICLModels.SoftmaxAttention`'s chunk kernels) for one head,
/// with SIMD lanes across tasks like `LinearAttentionLanes`: the scores `S = Q Kᵀ` (T×N), the
/// softmax of `S / √Dk` row by row, `O = A V`, and their gradients. The projections with the shared
/// weights stay chunk-wide products in the caller. `Q`, `K`, `V`, `O`, `dO`, `dQ`, `dK`, `dV` are
/// `[n, T, Dk]` per task (keys and values: the first N = T − 1 rows); task i's `A` (T×N) is at
/// `A + i·stride`. The exponential is a polynomial over whole vectors (`exponential`), within about
/// 2 ulp of `expf`.
extension LinearAttentionLanes {
    /// Float scratch for the softmax kernels at lane width `W`.
    public static func softmaxScratchSize(lanes W: Int, tokenCount T: Int, keyDim Dk: Int) -> Int {
        W * (9 * T * Dk + 2 * T * T + 2)
    }

    /// `A = softmax(Q Kᵀ / √Dk)` (kept in `A`) and `O = A V` for the n tasks.
    @inlinable
    public static func softmaxForward<V: SIMD>(
        _: V.Type, Q: UnsafePointer<Float>, K: UnsafePointer<Float>, V values: UnsafePointer<Float>, tasks n: Int,
        tokenCount T: Int, keyDim Dk: Int, A: UnsafeMutablePointer<Float>, stride: Int,
        scratch: UnsafeMutablePointer<Float>, O: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let N = T - 1, block = T * Dk
        let s = SoftmaxSpace<V>(scratch, tokenCount: T, keyDim: Dk)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(Q + first * block, stride: block, lanes: m, count: block, into: s.Q)
            gather(K + first * block, stride: block, lanes: m, count: N * Dk, into: s.K)
            gather(values + first * block, stride: block, lanes: m, count: N * Dk, into: s.values)
            laneRowsTimes(s.K, rows: N, cols: Dk, s.Q, count: T, into: s.A)          // S = Q Kᵀ
            softmaxRows(s.A, rows: T, columns: N, scale: 1 / Float(Double(Dk).squareRoot()))
            transposeEach(s.values, rows: N, cols: Dk, into: s.VT)
            laneRowsTimes(s.VT, rows: Dk, cols: N, s.A, count: T, into: s.O)         // O = A V
            scatter(s.A, lanes: m, count: T * N, into: A + first * stride, stride: stride)
            scatter(s.O, lanes: m, count: block, into: O + first * block, stride: block)
            first += V.scalarCount
        }
    }

    /// From `dO = ∂L/∂O`: `O = A V` again (for the caller's `dP`), `dV = Aᵀ dO`, and through the
    /// softmax `dS = A ⊙ (dA − a·dA) / √Dk` with `dA = dO Vᵀ`: `dQ = dS K`, `dK = dSᵀ Q`. Writes
    /// `O`, `dQ` (T rows), `dK`, `dV` (the N context rows; the query rows are left alone).
    @inlinable
    public static func softmaxBackward<V: SIMD>(
        _: V.Type, Q: UnsafePointer<Float>, K: UnsafePointer<Float>, V values: UnsafePointer<Float>, dO: UnsafePointer<Float>,
        tasks n: Int, tokenCount T: Int, keyDim Dk: Int, A: UnsafePointer<Float>, stride: Int,
        scratch: UnsafeMutablePointer<Float>,
        O: UnsafeMutablePointer<Float>, dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let N = T - 1, block = T * Dk
        let s = SoftmaxSpace<V>(scratch, tokenCount: T, keyDim: Dk)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(Q + first * block, stride: block, lanes: m, count: block, into: s.Q)
            gather(K + first * block, stride: block, lanes: m, count: N * Dk, into: s.K)
            gather(values + first * block, stride: block, lanes: m, count: N * Dk, into: s.values)
            gather(dO + first * block, stride: block, lanes: m, count: block, into: s.dO)
            gather(A + first * stride, stride: stride, lanes: m, count: T * N, into: s.A)
            transposeEach(s.values, rows: N, cols: Dk, into: s.VT)
            laneRowsTimes(s.VT, rows: Dk, cols: N, s.A, count: T, into: s.O)          // O = A V
            laneRowsTimes(s.values, rows: N, cols: Dk, s.dO, count: T, into: s.dA)         // dA = dO Vᵀ
            zero(s.dK, N * Dk); zero(s.dV, N * Dk)
            addTransposedProduct(s.A, s.dO, count: T, rows: N, cols: Dk, into: s.dV)  // dV = Aᵀ dO
            softmaxBackwardRows(s.A, gradient: s.dA, rows: T, columns: N, scale: 1 / Float(Double(Dk).squareRoot()))
            transposeEach(s.K, rows: N, cols: Dk, into: s.VT)
            laneRowsTimes(s.VT, rows: Dk, cols: N, s.dA, count: T, into: s.dQ)        // dQ = dS K
            addTransposedProduct(s.dA, s.Q, count: T, rows: N, cols: Dk, into: s.dK)  // dK = dSᵀ Q
            scatter(s.O, lanes: m, count: block, into: O + first * block, stride: block)
            scatter(s.dQ, lanes: m, count: block, into: dQ + first * block, stride: block)
            scatter(s.dK, lanes: m, count: N * Dk, into: dK + first * block, stride: block)
            scatter(s.dV, lanes: m, count: N * Dk, into: dV + first * block, stride: block)
            first += V.scalarCount
        }
    }

    @usableFromInline
    struct SoftmaxSpace<V: SIMD> where V.Scalar == Float {
        @usableFromInline let Q, K, values, dO, O, dQ, dK, dV, A, dA, VT: UnsafeMutablePointer<V>

        @inlinable
        init(_ scratch: UnsafeMutablePointer<Float>, tokenCount T: Int, keyDim Dk: Int) {
            let raw = UnsafeMutableRawPointer(scratch).alignedUp(toMultipleOf: MemoryLayout<V>.alignment)
            let block = T * Dk
            Q = raw.bindMemory(to: V.self, capacity: 9 * block + 2 * T * T)
            K = Q + block; values = K + block; dO = values + block; O = dO + block; dQ = O + block; dK = dQ + block; dV = dK + block
            A = dV + block; dA = A + T * T; VT = dA + T * T   // A, dA: T×N; VT: Dk×N
        }
    }

    /// `out (cols × rows) = inᵀ` for a per-lane matrix.
    @inlinable
    static func transposeEach<V: SIMD>(_ x: UnsafePointer<V>, rows: Int, cols: Int, into out: UnsafeMutablePointer<V>)
    where V.Scalar == Float {
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = x[r * cols + c] } }
    }

    /// Row-wise `softmax(scale · S)` in place, as `SoftmaxAttention.softmaxRows`, lane by lane.
    @inlinable
    static func softmaxRows<V: SIMD>(_ A: UnsafeMutablePointer<V>, rows: Int, columns N: Int, scale: Float) where V.Scalar == Float {
        for j in 0..<rows {
            let row = A + j * N
            var largest = V(repeating: -.infinity)
            for i in 0..<N { row[i] *= scale; largest = pointwiseMax(largest, row[i]) }
            var sum = V()
            for i in 0..<N {
                let x = exponential(row[i] - largest)
                row[i] = x
                sum += x
            }
            for i in 0..<N { row[i] /= sum }
        }
    }

    /// `e^x` for every lane, for `x ≤ 0` (a softmax's shifted scores): `x = n ln 2 + r` with
    /// `|r| ≤ ln 2 / 2`, `e^r` by its Taylor polynomial of degree 7 (relative error below 1e-8), and
    /// `2^n` written into the exponent bits. Below −87 the result is 0 where `expf` would give a
    /// subnormal number, which no softmax sum notices.
    @inlinable @inline(__always)
    static func exponential<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        if V.self == SIMD8<Float>.self { return exponential(x, bits: SIMD8<Int32>.self) }
        if V.self == SIMD16<Float>.self { return exponential(x, bits: SIMD16<Int32>.self) }
        var out = x
        for lane in 0..<V.scalarCount { out[lane] = expf(x[lane]) }
        return out
    }

    @inlinable @inline(__always)
    static func exponential<V: SIMD, I: SIMD>(_ x: V, bits _: I.Type) -> V where V.Scalar == Float, I.Scalar == Int32 {
        let shifter = V(repeating: 12_582_912)            // 1.5 · 2²³: adding it rounds to an integer in the low bits
        let below = x .< V(repeating: -87)
        let y = x.replacing(with: V(repeating: -87), where: below)
        let t = shifter.addingProduct(y, V(repeating: 1.442_695_04))   // n + 1.5 · 2²³, n = round(x / ln 2)
        let n = t - shifter
        // r = x − n ln 2, with ln 2 in two parts so that n · (first part) is exact.
        let r = y.addingProduct(n, V(repeating: -0.693_145_751_953_125)).addingProduct(n, V(repeating: -1.428_606_820_309_417e-6))
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        let scale = unsafeBitCast((unsafeBitCast(t, to: I.self) &<< 23) &+ I(repeating: 0x3F80_0000), to: V.self)
        return (p * scale).replacing(with: V(), where: below)
    }

    /// `∂L/∂A` in `gradient` becomes `∂L/∂S`: `a ⊙ (g − a·g) · scale`, row by row.
    @inlinable
    static func softmaxBackwardRows<V: SIMD>(_ A: UnsafePointer<V>, gradient: UnsafeMutablePointer<V>, rows: Int, columns N: Int,
                                             scale: Float) where V.Scalar == Float {
        for j in 0..<rows {
            let a = A + j * N, d = gradient + j * N
            let inner = dot(a, d, count: N)
            for i in 0..<N { d[i] = a[i] * (d[i] - inner) * scale }
        }
    }
}
