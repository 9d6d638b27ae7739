/// The softmax-attention layer (`ICLModels.SoftmaxAttention`) in Float, whole, with SIMD lanes across
/// tasks like `LinearAttentionLanes`: W tasks are gathered so that one vector holds the same entry of
/// W tasks, and then every step of every head — the projections with the shared `W_Q`, `W_K`, `W_V`,
/// `P` (a broadcast weight times a vector), the scores `Q Kᵀ`, the softmax with an exponential over
/// full vectors, `A V`, all their gradients, and the reductions into the weights' gradients (per lane,
/// summed across lanes once per call) — is fused multiply-adds over full vectors. No OpenBLAS call is
/// left per task or per chunk: with 11-wide operands those calls cost more in overhead than in work.
///
/// Shapes as in `SoftmaxAttention`: tokens, `delta`, `G`, `dE` are `[n, T, D]` per task; per head
/// `W_Q`, `W_K`, `W_V` are `[Dk, D]` and `P` is `[D, Dk]`. Keys and values come from the N = T − 1
/// context tokens. The attention weights `A` (`[H, T, N]` per task, as the chunk path keeps them)
/// go to the tape in the forward pass and come back in the backward; Q, K, V, O are recomputed.
public enum SoftmaxAttentionLanes {
    /// Float scratch for either kernel at lane width `W`: the transposed weights (`4·H·D·Dk`), then
    /// aligned vectors (`vectors(…)`), with two vectors of slack for the alignment.
    public static func scratchSize(lanes W: Int, tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int, heads H: Int)
        -> Int
    {
        4 * H * D * Dk + W * (vectors(tokenCount: T, tokenDim: D, keyDim: Dk, heads: H) + 2)
    }

    /// Tokens, gradients, output (3·T·D); Q, K, V, Vᵀ/Kᵀ, O, dO, dQ, dK, dV (9·T·Dk); A, dA (2·T²);
    /// the per-lane weight gradients (4·H·D·Dk).
    @inlinable
    static func vectors(tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int, heads H: Int) -> Int {
        3 * T * D + 9 * T * Dk + 2 * T * T + 4 * H * D * Dk
    }

    /// `delta = Σ_h A_h V_h P_hᵀ` (rows: tokens) for the n tasks, and each task's `A_h` into `cache`
    /// (`[n, H, T, N]`).
    @inlinable
    public static func forward<V: SIMD>(
        _: V.Type, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int,
        weights: [UnsafePointer<Float>], cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        delta: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let H = weights.count / 4, N = T - 1, TD = T * D, TN = T * N, perTask = H * TN
        let scale = 1 / Float(Double(Dk).squareRoot())
        let s = Space<V>(scratch, tokenCount: T, tokenDim: D, keyDim: Dk, heads: H)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            L.gather(e + first * TD, stride: TD, lanes: m, count: TD, into: s.E)
            for h in 0..<H {
                let (W_Q, W_K, W_V, P) = (weights[4 * h], weights[4 * h + 1], weights[4 * h + 2], weights[4 * h + 3])
                project(s, W_Q: W_Q, W_K: W_K, W_V: W_V)
                attention(s, scale: scale)
                L.scalarRowsTimes(P, rows: D, cols: Dk, s.O, count: T, into: s.out, accumulate: h > 0)  // Σ_h P_h o_t
                L.scatter(s.A, lanes: m, count: TN, into: cache + first * perTask + h * TN, stride: perTask)
            }
            L.scatter(s.out, lanes: m, count: TD, into: delta + first * TD, stride: TD)
            first += V.scalarCount
        }
    }

    /// The backward of `forward` from `G = ∂L/∂delta`, head by head, per token t and context token i:
    ///
    ///     dO_t = P_hᵀ g_t,   dA_ti = dO_t·v_i,   dv_i = Σ_t A_ti dO_t,
    ///     dS = A ⊙ (dA − rowsum(dA ⊙ A)) / √Dk,   dq_t = Σ_i dS_ti k_i,   dk_i = Σ_t dS_ti q_t,
    ///     dP_h += Σ_t g_t o_tᵀ,  dW_Q += Σ_t dq_t e_tᵀ,  dW_K += Σ_i dk_i e_iᵀ,  dW_V += Σ_i dv_i e_iᵀ,
    ///     dE_t += W_Qᵀ dq_t,  dE_i += W_Kᵀ dk_i + W_Vᵀ dv_i.
    ///
    /// Adds into `gradients` (the same order as `weights`) and, when given, `dE`.
    @inlinable
    public static func backward<V: SIMD>(
        _: V.Type, dOut G: UnsafePointer<Float>, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int,
        tokenDim D: Int, keyDim Dk: Int, weights: [UnsafePointer<Float>], cache: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, dE: UnsafeMutablePointer<Float>?,
        gradients: [UnsafeMutablePointer<Float>]
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let H = weights.count / 4, N = T - 1, TD = T * D, TN = T * N, perTask = H * TN, DDk = D * Dk
        let scale = 1 / Float(Double(Dk).squareRoot())
        let s = Space<V>(scratch, tokenCount: T, tokenDim: D, keyDim: Dk, heads: H)
        // Transposed weights: per head W_Qᵀ, W_Kᵀ, W_Vᵀ ([D, Dk]) and Pᵀ ([Dk, D]).
        for k in 0..<(4 * H) {
            let (rows, cols) = k % 4 == 3 ? (D, Dk) : (Dk, D)
            transpose(weights[k], rows: rows, cols: cols, into: s.floats + k * DDk)
        }
        let dW = s.dW  // [4H][Dk·D]: dW_Q, dW_K, dW_V ([Dk, D]), dP ([D, Dk]) per head
        L.zero(dW, 4 * H * DDk)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            L.gather(e + first * TD, stride: TD, lanes: m, count: TD, into: s.E)
            L.gather(G + first * TD, stride: TD, lanes: m, count: TD, into: s.G)
            if dE != nil { L.zero(s.out, TD) }
            for h in 0..<H {
                let (W_Q, W_K, W_V) = (weights[4 * h], weights[4 * h + 1], weights[4 * h + 2])
                let transposed = UnsafePointer(s.floats + 4 * h * DDk)
                let (W_Qt, W_Kt, W_Vt, Pt) = (transposed, transposed + DDk, transposed + 2 * DDk, transposed + 3 * DDk)
                let head = dW + 4 * h * DDk
                let (dW_Q, dW_K, dW_V, dP) = (head, head + DDk, head + 2 * DDk, head + 3 * DDk)
                project(s, W_Q: W_Q, W_K: W_K, W_V: W_V)
                L.gather(cache + first * perTask + h * TN, stride: perTask, lanes: m, count: TN, into: s.A)
                transposeLanes(s.V, rows: N, cols: Dk, into: s.transposed)
                L.laneRowsTimes(s.transposed, rows: Dk, cols: N, s.A, count: T, into: s.O)  // o_t = Vᵀ a_t
                L.scalarRowsTimes(Pt, rows: Dk, cols: D, s.G, count: T, into: s.dO)  // dO_t = P_hᵀ g_t
                L.addTransposedProduct(s.G, s.O, count: T, rows: D, cols: Dk, into: dP)  // Σ_t g_t o_tᵀ
                L.laneRowsTimes(s.V, rows: N, cols: Dk, s.dO, count: T, into: s.dA)  // dA_ti = v_i·dO_t
                L.zero(s.dV, N * Dk)
                L.addTransposedProduct(s.A, s.dO, count: T, rows: N, cols: Dk, into: s.dV)  // dv_i = Σ_t A_ti dO_t
                softmaxBackwardRows(s.A, gradient: s.dA, rows: T, columns: N, scale: scale)  // dA becomes dS
                transposeLanes(s.K, rows: N, cols: Dk, into: s.transposed)
                L.laneRowsTimes(s.transposed, rows: Dk, cols: N, s.dA, count: T, into: s.dQ)  // dq_t = Kᵀ ds_t
                L.zero(s.dK, N * Dk)
                L.addTransposedProduct(s.dA, s.Q, count: T, rows: N, cols: Dk, into: s.dK)  // dk_i = Σ_t dS_ti q_t
                L.addTransposedProduct(s.dQ, s.E, count: T, rows: Dk, cols: D, into: dW_Q)
                L.addTransposedProduct(s.dK, s.E, count: N, rows: Dk, cols: D, into: dW_K)
                L.addTransposedProduct(s.dV, s.E, count: N, rows: Dk, cols: D, into: dW_V)
                guard dE != nil else { continue }
                L.scalarRowsTimes(W_Qt, rows: D, cols: Dk, s.dQ, count: T, into: s.out, accumulate: true)
                L.scalarRowsTimes(W_Kt, rows: D, cols: Dk, s.dK, count: N, into: s.out, accumulate: true)
                L.scalarRowsTimes(W_Vt, rows: D, cols: Dk, s.dV, count: N, into: s.out, accumulate: true)
            }
            if let dE { L.scatter(s.out, lanes: m, count: TD, into: dE + first * TD, stride: TD, accumulate: true) }
            first += V.scalarCount
        }
        for k in 0..<(4 * H) { L.sumLanes(dW + k * DDk, count: DDk, into: gradients[k]) }
    }

    // MARK: Building blocks

    /// Where each buffer sits in the caller's Float scratch (see `scratchSize`).
    @usableFromInline
    struct Space<Lanes: SIMD> where Lanes.Scalar == Float {
        @usableFromInline let floats: UnsafeMutablePointer<Float>
        @usableFromInline let E, G, out, Q, K, V, transposed, O, dO, dQ, dK, dV, A, dA, dW: UnsafeMutablePointer<Lanes>
        @usableFromInline let T: Int, D: Int, Dk: Int

        @inlinable
        init(_ scratch: UnsafeMutablePointer<Float>, tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int, heads H: Int) {
            (floats, self.T, self.D, self.Dk) = (scratch, T, D, Dk)
            let raw = UnsafeMutableRawPointer(scratch + 4 * H * D * Dk).alignedUp(
                toMultipleOf: MemoryLayout<Lanes>.alignment)
            E = raw.bindMemory(
                to: Lanes.self,
                capacity: SoftmaxAttentionLanes.vectors(tokenCount: T, tokenDim: D, keyDim: Dk, heads: H))
            G = E + T * D
            out = G + T * D
            Q = out + T * D
            K = Q + T * Dk
            V = K + T * Dk
            transposed = V + T * Dk
            O = transposed + T * Dk
            dO = O + T * Dk
            dQ = dO + T * Dk
            dK = dQ + T * Dk
            dV = dK + T * Dk
            A = dV + T * Dk
            dA = A + T * T
            dW = dA + T * T
        }
    }

    /// One head's `q_t = W_Q e_t` for every token, `k_i = W_K e_i`, `v_i = W_V e_i` for the context.
    @inlinable @inline(__always)
    static func project<V: SIMD>(
        _ s: Space<V>, W_Q: UnsafePointer<Float>, W_K: UnsafePointer<Float>, W_V: UnsafePointer<Float>
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let (T, D, Dk) = (s.T, s.D, s.Dk)
        L.scalarRowsTimes(W_Q, rows: Dk, cols: D, s.E, count: T, into: s.Q)
        L.scalarRowsTimes(W_K, rows: Dk, cols: D, s.E, count: T - 1, into: s.K)
        L.scalarRowsTimes(W_V, rows: Dk, cols: D, s.E, count: T - 1, into: s.V)
    }

    /// From one head's Q, K, V: the scores `s_t = K q_t`, `A` their softmax (scaled, row by row) and
    /// `o_t = Vᵀ a_t`.
    @inlinable @inline(__always)
    static func attention<V: SIMD>(_ s: Space<V>, scale: Float) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let (T, Dk, N) = (s.T, s.Dk, s.T - 1)
        L.laneRowsTimes(s.K, rows: N, cols: Dk, s.Q, count: T, into: s.A)
        softmaxRows(s.A, rows: T, columns: N, scale: scale)
        transposeLanes(s.V, rows: N, cols: Dk, into: s.transposed)
        L.laneRowsTimes(s.transposed, rows: Dk, cols: N, s.A, count: T, into: s.O)
    }

    /// Row-wise `softmax(scale · S)` in place, stably (each row's maximum subtracted), as
    /// `SoftmaxAttention.softmaxRows`, for all lanes at once.
    @inlinable
    static func softmaxRows<V: SIMD>(_ A: UnsafeMutablePointer<V>, rows: Int, columns N: Int, scale: Float)
    where V.Scalar == Float {
        for j in 0..<rows {
            let row = A + j * N
            var largest = V(repeating: -.infinity)
            for i in 0..<N {
                let x = row[i] * scale
                row[i] = x
                largest.replace(with: x, where: less(largest, x))
            }
            var sum = V()
            for i in 0..<N { let x = exponential(row[i] - largest); row[i] = x; sum += x }
            for i in 0..<N { row[i] /= sum }
        }
    }

    /// In place, `∂L/∂A` in `gradient` becomes `∂L/∂S`: `a ⊙ (g − a·g) · scale`, row by row.
    @inlinable
    static func softmaxBackwardRows<V: SIMD>(
        _ A: UnsafePointer<V>, gradient: UnsafeMutablePointer<V>, rows: Int, columns N: Int, scale: Float
    ) where V.Scalar == Float {
        for j in 0..<rows {
            let a = A + j * N, d = gradient + j * N
            let inner = LinearAttentionLanes.dot(a, d, count: N)
            for i in 0..<N { d[i] = a[i] * (d[i] - inner) * scale }
        }
    }

    /// `e^x` in every lane, for the softmax's shifted scores (`x ≤ 0`): `x = n ln 2 + r` with
    /// `|r| ≤ ln 2 / 2`, `e^r` by its Taylor polynomial of degree 7 (truncation below 6e-9, relative),
    /// and `2^n` written into the exponent bits. Within 1 ulp of `exp` for `−87 ≤ x ≤ 0` (the test's
    /// grid of 200,001 points); below, 0 where `expf` would give a subnormal number or 0 (no softmax
    /// sum notices: its largest term is 1).
    /// Above 88, where `2^n` would overflow the exponent bits, the result is wrong: not for a softmax.
    @inlinable @inline(__always)
    public static func exponential<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let shifter = V(repeating: 12_582_912)  // 1.5 · 2²³: adding it rounds to an integer in the low bits
        let below = less(x, V(repeating: -87))
        let y = x.replacing(with: V(repeating: -87), where: below)
        let t = shifter.addingProduct(y, V(repeating: 1.442_695_04))  // n + 1.5 · 2²³, n = round(x / ln 2)
        let n = t - shifter
        // r = x − n ln 2, with ln 2 in two parts so that n · (first part) is exact.
        let r = y.addingProduct(n, V(repeating: -0.693_145_751_953_125)).addingProduct(
            n, V(repeating: -1.428_606_820_309_417e-6))
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        // 2^n: t's low bits hold n; shifted into the exponent field and biased. `MaskStorage` is the
        // Int32 vector of V's width.
        let bits = (unsafeBitCast(t, to: V.MaskStorage.self) &<< 23) &+ V.MaskStorage(repeating: 0x3F80_0000)
        return (p * unsafeBitCast(bits, to: V.self)).replacing(with: V(), where: below)
    }

    /// `a .< b` in one instruction: Swift's generic comparison (and `pointwiseMax`) go lane by lane
    /// through the stack even when specialised; those of `SIMD8<Float>` and `SIMD16<Float>` do not.
    @inlinable @inline(__always)
    static func less<V: SIMD>(_ a: V, _ b: V) -> SIMDMask<V.MaskStorage> where V.Scalar == Float {
        typealias Mask = SIMDMask<V.MaskStorage>
        if V.self == SIMD16<Float>.self {
            let (x, y) = (unsafeBitCast(a, to: SIMD16<Float>.self), unsafeBitCast(b, to: SIMD16<Float>.self))
            return unsafeBitCast(x .< y, to: Mask.self)
        }
        if V.self == SIMD8<Float>.self {
            let (x, y) = (unsafeBitCast(a, to: SIMD8<Float>.self), unsafeBitCast(b, to: SIMD8<Float>.self))
            return unsafeBitCast(x .< y, to: Mask.self)
        }
        return a .< b
    }

    /// `out (cols × rows) = xᵀ` for a per-lane matrix.
    @inlinable
    static func transposeLanes<V: SIMD>(
        _ x: UnsafePointer<V>, rows: Int, cols: Int, into out: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = x[r * cols + c] } }
    }

    /// `out (cols × rows) = Aᵀ` for a shared matrix.
    @inlinable
    static func transpose(_ A: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = A[r * cols + c] } }
    }
}
