/// The linear-attention layer (`ICLModels.LinearSelfAttention`) in Float, with SIMD lanes across
/// tasks: W tasks (a *group*: 8 for AVX2, 16 for AVX-512) are stored interleaved, so that one vector
/// holds the same entry of W tasks, and every per-task 11×11 product — `C = Σ e eᵀ`, `C u`, and
/// their gradients — becomes fused multiply-adds over full vectors, with no call overhead and no
/// packing beyond one gather of the group's tokens (the "compact" batched layout of MKL's
/// `sgemm_compact`). Products with the shared `M_h`, `K_h` multiply a vector by a broadcast scalar,
/// and the reductions into `dM_h`, `dK_h` accumulate per lane, summed across lanes once per chunk.
///
/// The kernels are generic over the vector type and `@inlinable`: each lane width is specialised in
/// a module compiled for its CPU (`SIMD8` here, for Haswell; `SIMD16` in `ICLLanesAVX512`), and
/// `ICLModels` calls those entry points only, after checking the CPU (`LaneWidth`).
///
/// Shapes as in `LinearSelfAttention`'s chunk kernels: tokens, `delta`, `G`, `dE` are `[n, T, D]`
/// per task (row-major), `M`, `K`, `dM`, `dK` are `[H, D, D]`.
/// The layouts match, so a Float fast path and the Double reference share the tape. The full layer's
/// backward forms each group's C again rather than keep it: 66 multiply-adds a token over full vectors
/// cost less than moving C out of the lanes and back. With many heads the full layer goes through one
/// matrix S contracted from all heads instead (`ContractedHeads.swift`, chosen by `contractsHeads`).
public enum LinearAttentionLanes {
    /// Float scratch for any of the kernels at lane width `W` on n tasks: the transposed `M_h`, `K_h`,
    /// then (aligned) vectors: tokens, gradients, their output (3·T·D), C and dC (2·D²), the per-lane
    /// `dM`, `dK` (2·H·D²) and four `[T, D]` temporaries — or, where the full layer contracts its
    /// heads (`contractsHeads`), what that needs if more (`contractedScratchSize`).
    public static func scratchSize(
        lanes W: Int, tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int
    ) -> Int {
        let headByHead = 2 * H * D * D + W * (vectors(tokenCount: T, tokenDim: D, heads: H) + 2)
        guard contractsHeads(tokenCount: T, tokenDim: D, heads: H) else { return headByHead }
        return max(headByHead, contractedScratchSize(lanes: W, tasks: n, tokenCount: T, tokenDim: D))
    }

    @inlinable
    static func vectors(tokenCount T: Int, tokenDim D: Int, heads H: Int) -> Int {
        7 * T * D + 2 * D * D + 2 * H * D * D
    }

    // MARK: Full layer

    /// `delta = Σ_h M_h C K_h e_j` for every token of the n tasks: head by head, or with the heads
    /// contracted (`forwardContracted`; S from the caller, if given) where that is cheaper.
    @inlinable
    public static func forward<V: SIMD>(
        _: V.Type, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int,
        M: UnsafePointer<Float>, K: UnsafePointer<Float>, S: UnsafePointer<Float>? = nil,
        kept: UnsafeMutablePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>,
        delta: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        if contractsHeads(tokenCount: T, tokenDim: D, heads: H) {
            return forwardContracted(
                V.self, tokens: e, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K, S: S, kept: kept,
                scratch: scratch, delta: delta)
        }
        let TD = T * D, DD = D * D
        let space = Space<V>(scratch, tokenCount: T, tokenDim: D, heads: H)
        let E = space.tokens, out = space.output, C = space.C, U = space.temporaries, W = U + TD  // [T, D] each
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            gram(E, count: T - 1, dim: D, into: C)
            for h in 0..<H {
                scalarRowsTimes(K + h * DD, rows: D, cols: D, E, count: T, into: U)  // u_t = K_h e_t
                laneRowsTimes(C, rows: D, cols: D, U, count: T, into: W)  // C u_t
                scalarRowsTimes(M + h * DD, rows: D, cols: D, W, count: T, into: out, accumulate: h > 0)  // Σ_h M_h C u_t
            }
            scatter(out, lanes: m, count: TD, into: delta + first * TD, stride: TD)
            first += V.scalarCount
        }
    }

    /// The backward of `forward` from `G = ∂L/∂delta`: adds into `dM`, `dK` and, when given, `dE`.
    /// Per token and head, with `u = K_h e_t`, `x = M_hᵀ g_t`:
    ///
    ///     dM_h += g_t (C u)ᵀ,   dK_h += (C x) e_tᵀ,   dE_t += K_hᵀ (C x),   dC += x uᵀ
    ///
    /// then `dE_i += (dC + dCᵀ) e_i` for the context tokens (C is quadratic in them). Where the
    /// forward contracted the heads, so does this (`backwardContracted`).
    @inlinable
    public static func backward<V: SIMD>(
        _: V.Type, dOut G: UnsafePointer<Float>, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int,
        tokenDim D: Int, heads H: Int, M: UnsafePointer<Float>, K: UnsafePointer<Float>,
        S: UnsafePointer<Float>? = nil, kept: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>,
        dE: UnsafeMutablePointer<Float>?, dM: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        if contractsHeads(tokenCount: T, tokenDim: D, heads: H) {
            return backwardContracted(
                V.self, dOut: G, tokens: e, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K, S: S,
                kept: kept, scratch: scratch, dE: dE, dM: dM, dK: dK)
        }
        let TD = T * D, DD = D * D
        let space = Space<V>(scratch, tokenCount: T, tokenDim: D, heads: H)
        let Mt = space.transposed(M), Kt = space.transposed(K, second: true)
        let E = space.tokens, Gv = space.gradients, dEv = space.output, C = space.C, dC = space.dC
        let dMv = space.dM, dKv = space.dK
        let U = space.temporaries, X = U + TD, W = X + TD, Y = W + TD  // [T, D] vectors each
        zero(dMv, H * DD); zero(dKv, H * DD)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            gather(G + first * TD, stride: TD, lanes: m, count: TD, into: Gv)
            gram(E, count: T - 1, dim: D, into: C)  // cheaper than a scatter to `cache` and a gather back
            if dE != nil { zero(dEv, TD); zero(dC, DD) }
            for h in 0..<H {
                scalarRowsTimes(K + h * DD, rows: D, cols: D, E, count: T, into: U)  // u_t = K_h e_t
                scalarRowsTimes(Mt + h * DD, rows: D, cols: D, Gv, count: T, into: X)  // x_t = M_hᵀ g_t
                laneRowsTimes(C, rows: D, cols: D, U, count: T, into: W)  // C u_t
                laneRowsTimes(C, rows: D, cols: D, X, count: T, into: Y)  // C x_t
                if dE != nil {
                    scalarRowsTimes(Kt + h * DD, rows: D, cols: D, Y, count: T, into: dEv, accumulate: true)
                }
                addTransposedProduct(Gv, W, count: T, rows: D, cols: D, into: dMv + h * DD)  // Σ_t g_t (C u_t)ᵀ
                addTransposedProduct(Y, E, count: T, rows: D, cols: D, into: dKv + h * DD)  // Σ_t (C x_t) e_tᵀ
                if dE != nil { addTransposedProduct(X, U, count: T, rows: D, cols: D, into: dC) }  // Σ_t x_t u_tᵀ
            }
            if let dE {
                for r in 0..<D {
                    for c in r..<D { let s = dC[r * D + c] + dC[c * D + r]; dC[r * D + c] = s; dC[c * D + r] = s }
                }
                laneRowsTimes(dC, rows: D, cols: D, E, count: T - 1, into: dEv, accumulate: true)  // context tokens
                scatter(dEv, lanes: m, count: TD, into: dE + first * TD, stride: TD, accumulate: true)
            }
            first += V.scalarCount
        }
        sumLanes(dMv, count: H * DD, into: dM)
        sumLanes(dKv, count: H * DD, into: dK)
    }

    // MARK: Query-only layer

    /// `delta_q = Σ_h M_h C K_h e_q` for the n tasks, into the query rows of `delta`; C is never
    /// formed: `C v = Σ_i e_i (e_i·v)`.
    @inlinable
    public static func forwardQueries<V: SIMD>(
        _: V.Type, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int,
        M: UnsafePointer<Float>, K: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        delta: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let TD = T * D, DD = D * D, N = T - 1
        let space = Space<V>(scratch, tokenCount: T, tokenDim: D, heads: H)
        let E = space.tokens, out = space.output, v = space.temporaries, Cv = v + D
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            let query = E + N * D
            for h in 0..<H {
                scalarRowsTimes(K + h * DD, rows: D, cols: D, query, into: v)  // v = K_h e_q
                contextProduct(E, count: N, dim: D, v, into: Cv)  // C v
                scalarRowsTimes(M + h * DD, rows: D, cols: D, Cv, into: out, accumulate: h > 0)  // Σ_h M_h C v
            }
            scatter(out, lanes: m, count: D, into: delta + first * TD + N * D, stride: TD)
            first += V.scalarCount
        }
    }

    /// The backward of `forwardQueries` from the query rows of `G`. With `v = K_h e_q`, `u = M_hᵀ g`:
    /// `dM_h += g (C v)ᵀ`, `dK_h += (C u) e_qᵀ`, `dE_q += K_hᵀ C u`, and for the context tokens
    /// `dE_i += u (v·e_i) + v (u·e_i)`. Adds into `dM`, `dK` and, when given, `dE`.
    @inlinable
    public static func backwardQueries<V: SIMD>(
        _: V.Type, dOut G: UnsafePointer<Float>, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int,
        tokenDim D: Int, heads H: Int, M: UnsafePointer<Float>, K: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>,
        dE: UnsafeMutablePointer<Float>?, dM: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let TD = T * D, DD = D * D, N = T - 1
        let space = Space<V>(scratch, tokenCount: T, tokenDim: D, heads: H)
        let Mt = space.transposed(M), Kt = space.transposed(K, second: true)
        let E = space.tokens, g = space.gradients, dEv = space.output, dMv = space.dM, dKv = space.dK
        let v = space.temporaries, u = v + D, Cv = u + D, Cu = Cv + D
        zero(dMv, H * DD); zero(dKv, H * DD)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            gather(G + first * TD + N * D, stride: TD, lanes: m, count: D, into: g)
            let query = E + N * D
            if dE != nil { zero(dEv, TD) }
            for h in 0..<H {
                scalarRowsTimes(K + h * DD, rows: D, cols: D, query, into: v)  // v = K_h e_q
                scalarRowsTimes(Mt + h * DD, rows: D, cols: D, g, into: u)  // u = M_hᵀ g
                contextProduct(E, count: N, dim: D, v, into: Cv)
                contextProduct(E, count: N, dim: D, u, into: Cu)
                addTransposedProduct(g, Cv, count: 1, rows: D, cols: D, into: dMv + h * DD)
                addTransposedProduct(Cu, query, count: 1, rows: D, cols: D, into: dKv + h * DD)
                guard dE != nil else { continue }
                scalarRowsTimes(Kt + h * DD, rows: D, cols: D, Cu, into: dEv + N * D, accumulate: true)
                for i in 0..<N {
                    let ei = E + i * D, dEi = dEv + i * D
                    let ve = dot(v, ei, count: D), ue = dot(u, ei, count: D)
                    for k in 0..<D { dEi[k].addProduct(u[k], ve); dEi[k].addProduct(v[k], ue) }
                }
            }
            if let dE { scatter(dEv, lanes: m, count: TD, into: dE + first * TD, stride: TD, accumulate: true) }
            first += V.scalarCount
        }
        sumLanes(dMv, count: H * DD, into: dM)
        sumLanes(dKv, count: H * DD, into: dK)
    }

    // MARK: Building blocks

    /// Where each buffer sits in the caller's Float scratch (see `scratchSize`).
    @usableFromInline
    struct Space<V: SIMD> where V.Scalar == Float {
        @usableFromInline let floats: UnsafeMutablePointer<Float>
        @usableFromInline let tokens, gradients, output, C, dC, dM, dK, temporaries: UnsafeMutablePointer<V>
        @usableFromInline let D: Int, H: Int

        @inlinable
        init(_ scratch: UnsafeMutablePointer<Float>, tokenCount T: Int, tokenDim D: Int, heads H: Int) {
            floats = scratch
            self.D = D
            self.H = H
            let raw = UnsafeMutableRawPointer(scratch + 2 * H * D * D).alignedUp(
                toMultipleOf: MemoryLayout<V>.alignment)
            tokens = raw.bindMemory(
                to: V.self, capacity: LinearAttentionLanes.vectors(tokenCount: T, tokenDim: D, heads: H))
            gradients = tokens + T * D
            output = gradients + T * D
            C = output + T * D
            dC = C + D * D
            dM = dC + D * D
            dK = dM + H * D * D
            temporaries = dK + H * D * D
        }

        /// `[H, D, D]` with every head transposed, into the Float part of the scratch (first or second half).
        @inlinable
        func transposed(_ A: UnsafePointer<Float>, second: Bool = false) -> UnsafePointer<Float> {
            let out = floats + (second ? H * D * D : 0)
            for h in 0..<H {
                for r in 0..<D { for c in 0..<D { out[h * D * D + c * D + r] = A[h * D * D + r * D + c] } }
            }
            return UnsafePointer(out)
        }
    }

    /// `count` entries of `lanes` tasks (task k at `source + k·stride`) into vectors; missing lanes are 0.
    /// Blocks of W entries go as W×W transposes in registers (one vector load per task, `unzip`
    /// shuffles); the tail entry by entry.
    @inlinable
    static func gather<V: SIMD>(
        _ source: UnsafePointer<Float>, stride: Int, lanes: Int, count: Int,
        into out: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        let W = V.scalarCount
        var k = 0
        if canTranspose(V.self) {
            while k + W <= count {
                let block = out + k
                for i in 0..<W {
                    block[i] = i < lanes ? UnsafeRawPointer(source + i * stride + k).loadUnaligned(as: V.self) : V()
                }
                transpose(block)
                k += W
            }
        }
        out.withMemoryRebound(to: Float.self, capacity: count * W) { f in
            for j in k..<count {
                for lane in 0..<W { f[j * W + lane] = lane < lanes ? source[lane * stride + j] : 0 }
            }
        }
    }

    /// The inverse of `gather`: the first `lanes` lanes back to the tasks (added with `accumulate`).
    /// Transposes `vectors` in place (blocks of W).
    @inlinable
    static func scatter<V: SIMD>(
        _ vectors: UnsafeMutablePointer<V>, lanes: Int, count: Int, into target: UnsafeMutablePointer<Float>,
        stride: Int, accumulate: Bool = false
    ) where V.Scalar == Float {
        let W = V.scalarCount
        var k = 0
        if canTranspose(V.self) {
            while k + W <= count {
                let block = vectors + k
                transpose(block)
                for i in 0..<lanes {
                    let row = UnsafeMutableRawPointer(target + i * stride + k)
                    row.storeBytes(of: accumulate ? row.loadUnaligned(as: V.self) + block[i] : block[i], as: V.self)
                }
                k += W
            }
        }
        vectors.withMemoryRebound(to: Float.self, capacity: count * W) { f in
            for lane in 0..<lanes {
                let task = target + lane * stride
                for j in k..<count { task[j] = accumulate ? task[j] + f[j * W + lane] : f[j * W + lane] }
            }
        }
    }

    @inlinable @inline(__always)
    static func canTranspose<V: SIMD>(_: V.Type) -> Bool where V.Scalar == Float {
        V.self == SIMD8<Float>.self || V.self == SIMD16<Float>.self
    }

    /// W vectors of W lanes transposed in place (vector i, lane j ↔ vector j, lane i): log2(W)
    /// perfect unshuffles of the W² floats read in order — each one rotates an index's bits by one,
    /// so log2(W) of them swap the row and column bits.
    @inlinable @inline(__always)
    static func transpose<V: SIMD>(_ rows: UnsafeMutablePointer<V>) where V.Scalar == Float {
        let W = V.scalarCount, half = W / 2
        withUnsafeTemporaryAllocation(of: V.self, capacity: W) { spare in
            var (a, b) = (rows, spare.baseAddress!)
            var width = W
            while width > 1 {
                for k in 0..<half {
                    let (even, odd) = unzip(a[2 * k], a[2 * k + 1])
                    b[k] = even
                    b[half + k] = odd
                }
                swap(&a, &b)
                width /= 2
            }
            if a != rows { rows.update(from: a, count: W) }
        }
    }

    /// The even and the odd lanes of `x` followed by `y` (for 8 and 16 lanes).
    @inlinable @inline(__always)
    static func unzip<V: SIMD>(_ x: V, _ y: V) -> (V, V) where V.Scalar == Float {
        if V.self == SIMD8<Float>.self {
            let both = SIMD16<Float>(
                lowHalf: unsafeBitCast(x, to: SIMD8<Float>.self), highHalf: unsafeBitCast(y, to: SIMD8<Float>.self))
            return (unsafeBitCast(both.evenHalf, to: V.self), unsafeBitCast(both.oddHalf, to: V.self))
        }
        let both = SIMD32<Float>(
            lowHalf: unsafeBitCast(x, to: SIMD16<Float>.self), highHalf: unsafeBitCast(y, to: SIMD16<Float>.self))
        return (unsafeBitCast(both.evenHalf, to: V.self), unsafeBitCast(both.oddHalf, to: V.self))
    }

    @inlinable
    static func zero<V: SIMD>(_ p: UnsafeMutablePointer<V>, _ count: Int) where V.Scalar == Float {
        for k in 0..<count { p[k] = V() }
    }

    /// `out[k] += Σ_lanes p[k]`: the per-lane reductions into the shared weights' gradients.
    @inlinable
    static func sumLanes<V: SIMD>(_ p: UnsafeMutablePointer<V>, count: Int, into out: UnsafeMutablePointer<Float>)
    where V.Scalar == Float {
        for k in 0..<count { out[k] += p[k].sum() }
    }

    /// `C = Σ_{t<count} e_t e_tᵀ` (D×D, both triangles), four entries of a row at a time.
    @inlinable
    static func gram<V: SIMD>(_ E: UnsafePointer<V>, count: Int, dim D: Int, into C: UnsafeMutablePointer<V>)
    where V.Scalar == Float {
        for a in 0..<D {
            var b = a
            while b + 4 <= D {
                var s0 = V(), s1 = V(), s2 = V(), s3 = V()
                for t in 0..<count {
                    let row = E + t * D, x = row[a]
                    s0.addProduct(x, row[b]); s1.addProduct(x, row[b + 1])
                    s2.addProduct(x, row[b + 2]); s3.addProduct(x, row[b + 3])
                }
                C[a * D + b] = s0; C[a * D + b + 1] = s1; C[a * D + b + 2] = s2; C[a * D + b + 3] = s3
                C[b * D + a] = s0; C[(b + 1) * D + a] = s1; C[(b + 2) * D + a] = s2; C[(b + 3) * D + a] = s3
                b += 4
            }
            while b < D {
                var s = V()
                for t in 0..<count { let row = E + t * D; s.addProduct(row[a], row[b]) }
                C[a * D + b] = s; C[b * D + a] = s
                b += 1
            }
        }
    }

    /// `y_t = A x_t` (or `y_t += A x_t`) for `count` vectors `x_t` of length `cols`, with a matrix `A`
    /// shared by all lanes (rows × cols, row-major): each weight is broadcast.
    @inlinable
    static func scalarRowsTimes<V: SIMD>(
        _ A: UnsafePointer<Float>, rows: Int, cols: Int, _ x: UnsafePointer<V>, count: Int = 1,
        into y: UnsafeMutablePointer<V>, accumulate: Bool = false
    ) where V.Scalar == Float {
        rowsTimes(A, rows: rows, cols: cols, x, count: count, into: y, accumulate: accumulate) { V(repeating: $0) }
    }

    /// The same with a per-lane matrix `A` (each task its own, e.g. C).
    @inlinable
    static func laneRowsTimes<V: SIMD>(
        _ A: UnsafePointer<V>, rows: Int, cols: Int, _ x: UnsafePointer<V>, count: Int = 1,
        into y: UnsafeMutablePointer<V>, accumulate: Bool = false
    ) where V.Scalar == Float {
        rowsTimes(A, rows: rows, cols: cols, x, count: count, into: y, accumulate: accumulate) { $0 }
    }

    /// `y_t (+)= Σ_j vector(A_ij) x_t,j`: two vectors `x_t` and four rows of `A` at a time, so that
    /// eight multiply-add chains run side by side and each entry of `A` read serves two tokens. The
    /// last rows (D = 11: three) go as a block of four too, repeating the last row and storing only
    /// the real ones: one at a time they were chains of dependent multiply-adds, three times slower.
    @inlinable @inline(__always)
    static func rowsTimes<V: SIMD, Entry>(
        _ A: UnsafePointer<Entry>, rows: Int, cols: Int, _ x: UnsafePointer<V>, count: Int,
        into y: UnsafeMutablePointer<V>, accumulate: Bool,
        _ vector: (Entry) -> V
    ) where V.Scalar == Float {
        @inline(__always) func store(_ s: V, _ p: UnsafeMutablePointer<V>) {
            if accumulate { p.pointee += s } else { p.pointee = s }
        }
        let last = rows - 1
        var t = 0
        while t + 2 <= count {
            let x0 = x + t * cols, x1 = x0 + cols, y0 = y + t * rows, y1 = y0 + rows
            var i = 0
            while i < rows {
                let a0 = A + i * cols, a1 = A + min(i + 1, last) * cols, a2 = A + min(i + 2, last) * cols,
                    a3 = A + min(i + 3, last) * cols
                var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
                for j in 0..<cols {
                    let u = x0[j], v = x1[j], b0 = vector(a0[j]), b1 = vector(a1[j]), b2 = vector(a2[j]),
                        b3 = vector(a3[j])
                    s00.addProduct(b0, u); s01.addProduct(b1, u); s02.addProduct(b2, u); s03.addProduct(b3, u)
                    s10.addProduct(b0, v); s11.addProduct(b1, v); s12.addProduct(b2, v); s13.addProduct(b3, v)
                }
                store(s00, y0 + i); store(s10, y1 + i)
                if i + 1 < rows { store(s01, y0 + i + 1); store(s11, y1 + i + 1) }
                if i + 2 < rows { store(s02, y0 + i + 2); store(s12, y1 + i + 2) }
                if i + 3 < rows { store(s03, y0 + i + 3); store(s13, y1 + i + 3) }
                i += 4
            }
            t += 2
        }
        guard t < count else { return }
        let xt = x + t * cols, yt = y + t * rows
        var i = 0
        while i < rows {
            let a0 = A + i * cols, a1 = A + min(i + 1, last) * cols, a2 = A + min(i + 2, last) * cols,
                a3 = A + min(i + 3, last) * cols
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            for j in 0..<cols {
                let xj = xt[j]
                s0.addProduct(vector(a0[j]), xj); s1.addProduct(vector(a1[j]), xj)
                s2.addProduct(vector(a2[j]), xj); s3.addProduct(vector(a3[j]), xj)
            }
            store(s0, yt + i)
            if i + 1 < rows { store(s1, yt + i + 1) }
            if i + 2 < rows { store(s2, yt + i + 2) }
            if i + 3 < rows { store(s3, yt + i + 3) }
            i += 4
        }
    }

    /// `out += Σ_t a_t b_tᵀ` for `count` rows `a_t` (length `rows`) and `b_t` (length `cols`): a
    /// weight gradient's per-lane share over a group's tokens. Blocks of 2×4 entries keep eight
    /// accumulators in registers and load six vectors for eight multiply-adds; the edges go in
    /// blocks of 2×1 and 1×4, so that no entry is a lone chain of loads.
    @inlinable
    static func addTransposedProduct<V: SIMD>(
        _ a: UnsafePointer<V>, _ b: UnsafePointer<V>, count: Int, rows R: Int, cols Cn: Int,
        into out: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        var r = 0
        while r + 2 <= R {
            let o0 = out + r * Cn, o1 = o0 + Cn
            var c = 0
            while c + 4 <= Cn {
                var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
                for t in 0..<count {
                    let at = a + t * R + r, bt = b + t * Cn + c
                    let a0 = at[0], a1 = at[1], b0 = bt[0], b1 = bt[1], b2 = bt[2], b3 = bt[3]
                    s00.addProduct(a0, b0); s01.addProduct(a0, b1); s02.addProduct(a0, b2); s03.addProduct(a0, b3)
                    s10.addProduct(a1, b0); s11.addProduct(a1, b1); s12.addProduct(a1, b2); s13.addProduct(a1, b3)
                }
                o0[c] += s00; o0[c + 1] += s01; o0[c + 2] += s02; o0[c + 3] += s03
                o1[c] += s10; o1[c + 1] += s11; o1[c + 2] += s12; o1[c + 3] += s13
                c += 4
            }
            while c < Cn {
                var s0 = V(), s1 = V()
                for t in 0..<count {
                    let bt = b[t * Cn + c], at = a + t * R + r; s0.addProduct(at[0], bt); s1.addProduct(at[1], bt)
                }
                o0[c] += s0; o1[c] += s1
                c += 1
            }
            r += 2
        }
        guard r < R else { return }
        let o = out + r * Cn
        var c = 0
        while c + 4 <= Cn {
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            for t in 0..<count {
                let x = a[t * R + r], bt = b + t * Cn + c
                s0.addProduct(x, bt[0]); s1.addProduct(x, bt[1]); s2.addProduct(x, bt[2]); s3.addProduct(x, bt[3])
            }
            o[c] += s0; o[c + 1] += s1; o[c + 2] += s2; o[c + 3] += s3
            c += 4
        }
        while c < Cn {
            var s = V()
            for t in 0..<count { s.addProduct(a[t * R + r], b[t * Cn + c]) }
            o[c] += s
            c += 1
        }
    }

    @inlinable
    static func dot<V: SIMD>(_ x: UnsafePointer<V>, _ y: UnsafePointer<V>, count: Int) -> V where V.Scalar == Float {
        var s = V()
        for k in 0..<count { s.addProduct(x[k], y[k]) }
        return s
    }

    /// `C v = Σ_{i<count} e_i (e_i·v)` without forming C.
    @inlinable
    static func contextProduct<V: SIMD>(
        _ E: UnsafePointer<V>, count: Int, dim D: Int, _ v: UnsafePointer<V>,
        into out: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        zero(out, D)
        for i in 0..<count {
            let ei = E + i * D, s = dot(ei, v, count: D)
            for k in 0..<D { out[k].addProduct(s, ei[k]) }
        }
    }
}
