import ICLMath

/// The full linear-attention layer with its heads contracted once per call, for layers with many
/// heads. Per task the layer is `delta_t = A e_t` with `A = Σ_h M_h C K_h`, and A is linear in the
/// D(D+1)/2 = P entries `c_ab = C[a,b]` (a ≤ b) of the symmetric C:
///
///     vec(A) = S c,   S[(i,j),(a,b)] = Σ_h M_h[i,a] K_h[b,j] + [a≠b] M_h[i,b] K_h[a,j]
///
/// S (`[D², P]`) is shared by all tasks: built once per step and layer by the caller (`contract`),
/// or once per call when not given. A task then costs `C`, `A = S c`
/// (D²·P multiply-adds) and `A e_t` (T·D²) whatever the number of heads, against 3·H·T·D² head by
/// head; the backward `dA = Σ_t g_t e_tᵀ`, `dE_t += Aᵀ g_t`, `dc = Sᵀ vec(dA)` and
/// `dE_i += D̃ e_i` for the context tokens, against 8·H·T·D². The weights' gradient
/// `dS = Σ_tasks vec(dA) cᵀ` is a reduction over tasks, so it is one SGEMM over the call's tasks
/// rather than per-lane accumulators (D²·P vectors would not stay in cache), contracted back onto
/// `dM_h`, `dK_h` once per call. The backward forms C again; A it reads where the forward kept it
/// (`kept`: each whole group's D² vectors copied as they are, 2 % off mlp-12-4head's step; an
/// earlier cache that scattered A task by task to the tape cost more than forming `S c` again).
extension LinearAttentionLanes {
    /// `P = D(D+1)/2`: the entries of C on and above the diagonal.
    @inlinable
    static func packedCount(_ D: Int) -> Int { D * (D + 1) / 2 }

    /// Whether the full layer goes through S: fewer multiply-adds per task, counted in units of D²
    /// (C, common to both, left out). Head by head: forward 3·H·T, backward 8·H·T. Contracted:
    /// forward P + T (`S c`, `A e_t`); backward P + T + T + P + N (`S c` again, counted as if no A
    /// were kept, `dA`, `Aᵀ g_t`, `Sᵀ dA`, `D̃ e_i`) and P for the task's share of `dS` (an SGEMM,
    /// counted as if it were not faster). With T = D = 11 it goes through S from three heads on.
    @inlinable
    public static func contractsHeads(tokenCount T: Int, tokenDim D: Int, heads H: Int) -> Bool {
        4 * packedCount(D) + 4 * T < 11 * H * T
    }

    /// Float scratch of the contracted kernels for n tasks at lane width W: S, Sᵀ (when not given),
    /// a `[D², D²]` table (the heads' products for S, later `dS` with both triangles), `dS`, the chunk's
    /// `vec(dA)` and `c` as `[D², n]` and `[P, n]` (n rounded up to W), then the vectors.
    static func contractedScratchSize(lanes W: Int, tasks n: Int, tokenCount T: Int, tokenDim D: Int) -> Int {
        let DD = D * D, P = packedCount(D), columns = (n + W - 1) / W * W
        return 3 * DD * P + DD * DD + (DD + P) * columns + W * (contractedVectors(tokenCount: T, tokenDim: D) + 2)
    }

    /// Vectors per group: tokens, gradients, output (T·D each), A, Aᵀ, dA, D̃ (D² each), c, dc (P each).
    @inlinable
    static func contractedVectors(tokenCount T: Int, tokenDim D: Int) -> Int {
        3 * T * D + 4 * D * D + 2 * packedCount(D)
    }

    /// Where each buffer sits in the caller's Float scratch (see `contractedScratchSize`).
    @usableFromInline
    struct ContractedSpace<V: SIMD> where V.Scalar == Float {
        @usableFromInline let S, St, table, dS, dAColumns, cColumns: UnsafeMutablePointer<Float>
        /// Columns of `dAColumns`, `cColumns`: the tasks rounded up to whole groups.
        @usableFromInline let columns: Int
        @usableFromInline let tokens, gradients, output, A, At, dA, dTilde, c, dc: UnsafeMutablePointer<V>

        @inlinable
        init(_ scratch: UnsafeMutablePointer<Float>, tasks n: Int, tokenCount T: Int, tokenDim D: Int) {
            let DD = D * D, P = packedCount(D), W = V.scalarCount
            columns = (n + W - 1) / W * W
            S = scratch
            St = S + DD * P
            table = St + P * DD
            dS = table + DD * DD
            dAColumns = dS + DD * P
            cColumns = dAColumns + DD * columns
            let raw = UnsafeMutableRawPointer(cColumns + P * columns).alignedUp(toMultipleOf: MemoryLayout<V>.alignment)
            tokens = raw.bindMemory(to: V.self, capacity: contractedVectors(tokenCount: T, tokenDim: D))
            gradients = tokens + T * D
            output = gradients + T * D
            A = output + T * D
            At = A + DD
            dA = At + DD
            dTilde = dA + DD
            c = dTilde + DD
            dc = c + P
        }
    }

    /// Floats of S and Sᵀ together (`contract`'s output, `LaneLayer.S`).
    public static func contractedWeightsSize(tokenDim D: Int) -> Int { 2 * D * D * packedCount(D) }

    /// S (`[D², P]`) then Sᵀ (`[P, D²]`) into `S` from `M`, `K` (`[H, D, D]`): first
    /// `table[(i,a),(b,j)] = Σ_h M_h[i,a] K_h[b,j]` (`[D², D²]`, one product over the heads), then
    /// `S[(i,j),(a,b)] = table[(i,a),(b,j)] + table[(i,b),(a,j)]` for a < b (the first term alone
    /// for a = b). Once per step and layer: callers keep it in `LaneLayer.S`.
    public static func contract(
        M: UnsafePointer<Float>, K: UnsafePointer<Float>, tokenDim D: Int, heads H: Int,
        table: UnsafeMutablePointer<Float>, into S: UnsafeMutablePointer<Float>
    ) {
        let DD = D * D, P = packedCount(D), St = S + DD * P
        gemm(DD, DD, H, M, transposeA: true, K, into: table)
        for i in 0..<D {
            for j in 0..<D {
                let row = S + (i * D + j) * P
                var p = 0
                for a in 0..<D {
                    for b in a..<D {
                        var s = table[(i * D + a) * DD + b * D + j]
                        if a != b { s += table[(i * D + b) * DD + a * D + j] }
                        row[p] = s
                        St[p * DD + i * D + j] = s
                        p += 1
                    }
                }
            }
        }
    }

    /// S and Sᵀ: the caller's, or built into the scratch.
    @inlinable
    static func weights<V: SIMD>(
        _ S: UnsafePointer<Float>?, _ space: ContractedSpace<V>, M: UnsafePointer<Float>, K: UnsafePointer<Float>,
        tokenDim D: Int, heads H: Int
    ) -> (S: UnsafePointer<Float>, St: UnsafePointer<Float>) where V.Scalar == Float {
        let DP = D * D * packedCount(D)
        if let S { return (S, S + DP) }
        contract(M: M, K: K, tokenDim: D, heads: H, table: space.table, into: space.S)
        return (UnsafePointer(space.S), UnsafePointer(space.S + DP))
    }

    /// Where `c_ab` (a ≤ b) sits in c: the rows of C's upper triangle one after the other.
    @inlinable @inline(__always)
    static func packedIndex(_ a: Int, _ b: Int, dim D: Int) -> Int { a * D - a * (a - 1) / 2 + b - a }

    /// `c` (P vectors) from C (D² vectors): the entries on and above the diagonal, row by row.
    @inlinable
    static func pack<V: SIMD>(_ C: UnsafePointer<V>, dim D: Int, into c: UnsafeMutablePointer<V>)
    where V.Scalar == Float {
        var p = 0
        for a in 0..<D { for b in a..<D { c[p] = C[a * D + b]; p += 1 } }
    }

    /// `delta = A e_t` with `vec(A) = S c` for every token of the n tasks; each whole group's A
    /// into `kept` (`[n, D, D]`), if given, for the backward.
    @inlinable
    static func forwardContracted<V: SIMD>(
        _: V.Type, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int, tokenDim D: Int, heads H: Int,
        M: UnsafePointer<Float>, K: UnsafePointer<Float>, S given: UnsafePointer<Float>?,
        kept: UnsafeMutablePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>,
        delta: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let TD = T * D, DD = D * D, P = packedCount(D)
        let space = ContractedSpace<V>(scratch, tasks: n, tokenCount: T, tokenDim: D)
        let E = space.tokens, out = space.output, A = space.A, c = space.c
        let S = weights(given, space, M: M, K: K, tokenDim: D, heads: H).S
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            gram(E, count: T - 1, dim: D, into: A)  // C, in A's place until packed
            pack(A, dim: D, into: c)
            broadcastRowsTimes(S, rows: DD, cols: P, c, into: A)  // vec(A) = S c
            if let kept, m == V.scalarCount {
                UnsafeMutableRawPointer(kept + first * DD).copyMemory(from: A, byteCount: DD * MemoryLayout<V>.stride)
            }
            laneRowsTimes(A, rows: D, cols: D, E, count: T, into: out)  // A e_t
            scatter(out, lanes: m, count: TD, into: delta + first * TD, stride: TD)
            first += V.scalarCount
        }
    }

    /// The backward of `forwardContracted` from `G = ∂L/∂delta`: adds into `dM`, `dK` and, when
    /// given, `dE` (with the A the forward kept, where it did: the same values, and a third of the
    /// multiply-adds with S saved). With C's derivative in c: `dE_i += D̃ e_i` for the context
    /// tokens, where D̃ is symmetric with `D̃[a,b] = dc_ab` off the diagonal and `D̃[a,a] = 2 dc_aa`
    /// (c_aa is quadratic in e_i[a], and c_ab for a < b stands for both C[a,b] and C[b,a]). The
    /// weights' gradients:
    /// `dS = Σ_tasks vec(dA) cᵀ`, and from S's definition, with `dŜ[(i,j),(a,b)]` read at
    /// `(min(a,b), max(a,b))`, `dM_h[i,a] = Σ_{j,b} dŜ[(i,j),(a,b)] K_h[b,j]` and
    /// `dK_h[b,j] = Σ_{i,a} dŜ[(i,j),(a,b)] M_h[i,a]` — two products with `table[(i,a),(b,j)] = dŜ`.
    @inlinable
    static func backwardContracted<V: SIMD>(
        _: V.Type, dOut G: UnsafePointer<Float>, tokens e: UnsafePointer<Float>, tasks n: Int, tokenCount T: Int,
        tokenDim D: Int, heads H: Int, M: UnsafePointer<Float>, K: UnsafePointer<Float>, S given: UnsafePointer<Float>?,
        kept: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>,
        dE: UnsafeMutablePointer<Float>?, dM: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        let TD = T * D, DD = D * D, P = packedCount(D), N = T - 1
        let space = ContractedSpace<V>(scratch, tasks: n, tokenCount: T, tokenDim: D)
        let E = space.tokens, Gv = space.gradients, dEv = space.output, A = space.A, At = space.At
        let dA = space.dA, dTilde = space.dTilde, c = space.c, dc = space.dc, columns = space.columns
        let (S, St) = weights(given, space, M: M, K: K, tokenDim: D, heads: H)
        var first = 0
        while first < n {
            let m = min(V.scalarCount, n - first)
            gather(e + first * TD, stride: TD, lanes: m, count: TD, into: E)
            gather(G + first * TD, stride: TD, lanes: m, count: TD, into: Gv)
            gram(E, count: N, dim: D, into: dTilde)  // C, in D̃'s place until packed
            pack(dTilde, dim: D, into: c)
            zero(dA, DD)
            addTransposedProduct(Gv, E, count: T, rows: D, cols: D, into: dA)  // dA = Σ_t g_t e_tᵀ
            // The task's columns of vec(dA) and c, for dS (missing lanes are zero: no tokens, no gradient).
            for r in 0..<DD { store(dA[r], space.dAColumns + r * columns + first) }
            for r in 0..<P { store(c[r], space.cColumns + r * columns + first) }
            if let dE {
                if let kept, m == V.scalarCount {
                    UnsafeMutableRawPointer(A).copyMemory(
                        from: kept + first * DD, byteCount: DD * MemoryLayout<V>.stride)
                } else {
                    broadcastRowsTimes(S, rows: DD, cols: P, c, into: A)  // vec(A) = S c again
                }
                for i in 0..<D { for j in 0..<D { At[j * D + i] = A[i * D + j] } }
                laneRowsTimes(At, rows: D, cols: D, Gv, count: T, into: dEv)  // Aᵀ g_t
                broadcastRowsTimes(St, rows: P, cols: DD, dA, into: dc)  // dc = Sᵀ vec(dA)
                var p = 0
                for a in 0..<D {
                    dTilde[a * D + a] = dc[p] + dc[p]
                    for b in (a + 1)..<D { dTilde[a * D + b] = dc[p + b - a]; dTilde[b * D + a] = dc[p + b - a] }
                    p += D - a
                }
                laneRowsTimes(dTilde, rows: D, cols: D, E, count: N, into: dEv, accumulate: true)  // D̃ e_i
                scatter(dEv, lanes: m, count: TD, into: dE + first * TD, stride: TD, accumulate: true)
            }
            first += V.scalarCount
        }
        // dS = Σ_tasks vec(dA) cᵀ, then dŜ in the table as [(i,a),(b,j)] and the two contractions.
        gemm(DD, P, columns, space.dAColumns, space.cColumns, transposeB: true, into: space.dS)
        let table = space.table, dS = UnsafePointer(space.dS)
        for i in 0..<D {  // written in order, read from dS (in the first-level cache) by index
            for a in 0..<D {
                var out = table + (i * D + a) * DD
                for b in 0..<D {
                    let column = dS + i * D * P + packedIndex(min(a, b), max(a, b), dim: D)
                    for j in 0..<D { out[j] = column[j * P] }
                    out += D
                }
            }
        }
        gemm(H, DD, DD, K, table, transposeB: true, into: dM, accumulate: true)  // dM_h[(i,a)]
        gemm(H, DD, DD, M, table, into: dK, accumulate: true)  // dK_h[(b,j)]
    }

    /// A vector's W lanes to `W` consecutive Floats.
    @inlinable @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// `y = A x` for one vector `x` (length `cols`) and a matrix `A` shared by all lanes (rows ×
    /// cols, row-major): eight rows at a time, so that eight multiply-add chains run side by side
    /// (`S c`, `Sᵀ dA`: 121 × 66 and back for D = 11); the last rows through `scalarRowsTimes`.
    @inlinable
    static func broadcastRowsTimes<V: SIMD>(
        _ A: UnsafePointer<Float>, rows: Int, cols: Int, _ x: UnsafePointer<V>, into y: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        var i = 0
        while i + 8 <= rows {
            let a = A + i * cols
            var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
            for j in 0..<cols {
                let xj = x[j]
                s0.addProduct(V(repeating: a[j]), xj); s1.addProduct(V(repeating: a[cols + j]), xj)
                s2.addProduct(V(repeating: a[2 * cols + j]), xj); s3.addProduct(V(repeating: a[3 * cols + j]), xj)
                s4.addProduct(V(repeating: a[4 * cols + j]), xj); s5.addProduct(V(repeating: a[5 * cols + j]), xj)
                s6.addProduct(V(repeating: a[6 * cols + j]), xj); s7.addProduct(V(repeating: a[7 * cols + j]), xj)
            }
            y[i] = s0; y[i + 1] = s1; y[i + 2] = s2; y[i + 3] = s3
            y[i + 4] = s4; y[i + 5] = s5; y[i + 6] = s6; y[i + 7] = s7
            i += 8
        }
        if i < rows { scalarRowsTimes(A + i * cols, rows: rows - i, cols: cols, x, into: y + i) }
    }
}
