import ICLMath

/// Linear self-attention for one task (paper eq. 6), written for reading beside the paper
/// (the kernels compute the update `delta`; the stack adds the residual):
///
///     e_j ← e_j + Σ_h P_h W_V,h C W_K,hᵀ W_Q,h e_j,   C = Σ_{i≤N} e_i e_iᵀ
///
/// No softmax and no 1/√Dk (the form Proposition 1 maps onto a GD step). Keys and values come from
/// the context tokens only — every token but the last, the query — while every token is updated.
/// Only the products matter, so they are formed once per step for all tasks:
/// `M_h = P_h W_V,h` and `K_h = W_K,hᵀ W_Q,h` (both D×D), and per task `A = Σ_h M_h C K_h`.
/// Going through `C` makes a task cost O(N·D² + H·D³) instead of O(N²·D) per token pair.
///
/// Tokens are rows of a row-major `[T, D]` buffer; `W_Q`, `W_K`, `W_V` are `[Dk, D]` and `P` is
/// `[D, Dk]`, stored and applied in the paper's orientation (`q = W_Q e` for a column token `e`).
public enum LinearSelfAttention {
    /// `M_h = P_h W_V,h` and `K_h = W_K,hᵀ W_Q,h` for every head, into `[H, D, D]` buffers.
    @inlinable
    public static func products<T: BinaryFloatingPoint>(
        heads: [HeadWeights<UnsafePointer<T>>], tokenDim D: Int, keyDim Dk: Int,
        M: UnsafeMutablePointer<T>, K: UnsafeMutablePointer<T>
    ) {
        for (h, head) in heads.enumerated() {
            gemm(D, D, Dk, head.P, head.W_V, into: M + h * D * D)
            gemm(D, D, Dk, head.W_K, transposeA: true, head.W_Q, into: K + h * D * D)
        }
    }

    /// Forward for one task: `delta_j = A e_j` (the caller adds the residual `e_j`). Leaves `C` and
    /// `A` (D×D each) for the backward.
    @inlinable
    public static func forward<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>,
        C: UnsafeMutablePointer<T>, A: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>,
        delta: UnsafeMutablePointer<T>
    ) {
        let contextCount = tokenCount - 1
        // C = Σ_{i<N} e_i e_iᵀ  (= Eᵀ E over the context rows)
        gemm(D, D, contextCount, e, transposeA: true, e, into: C)
        // A = Σ_h M_h C K_h
        A.update(repeating: 0, count: D * D)
        for h in 0..<heads {
            gemm(D, D, D, C, K + h * D * D, into: scratch)
            gemm(D, D, D, M + h * D * D, scratch, into: A, accumulate: true)
        }
        // delta_j = A e_j  (rows: delta = E Aᵀ)
        gemm(tokenCount, D, D, e, A, transposeB: true, into: delta)
    }

    /// Backward for one task. Given `G = ∂L/∂delta` (`[T, D]`), adds `∂L/∂e` into `dE` and the task's
    /// share of `∂L/∂M_h`, `∂L/∂K_h` into `dM`, `dK` (`[H, D, D]`). With `A = Σ_h M_h C K_h`:
    ///
    ///     dE_j += Aᵀ G_j                     (the attention output; the caller adds the residual)
    ///     dA    = Σ_j G_j e_jᵀ
    ///     dM_h += dA (C K_h)ᵀ,   dK_h += (M_h C)ᵀ dA,   dC = Σ_h M_hᵀ dA K_hᵀ
    ///     dE_i += (dC + dCᵀ) e_i   for context tokens i   (C is quadratic in them)
    ///
    /// `scratch` holds 4·D·D elements.
    @inlinable
    public static func backward<T: BinaryFloatingPoint>(
        dOut G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, C: UnsafePointer<T>, A: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>,
        dE: UnsafeMutablePointer<T>, dM: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>
    ) {
        let DD = D * D
        let dA = scratch, dC = scratch + DD, t1 = scratch + 2 * DD, t2 = scratch + 3 * DD
        // dE += G A   (rows: dE_j += Aᵀ G_j)
        gemm(tokenCount, D, D, G, A, into: dE, accumulate: true)
        // dA = Gᵀ E
        gemm(D, D, tokenCount, G, transposeA: true, e, into: dA)
        dC.update(repeating: 0, count: DD)
        for h in 0..<heads {
            let M_h = M + h * DD, K_h = K + h * DD
            gemm(D, D, D, C, K_h, into: t1)  // C K_h
            gemm(D, D, D, dA, t1, transposeB: true, into: dM + h * DD, accumulate: true)
            gemm(D, D, D, M_h, C, into: t1)  // M_h C
            gemm(D, D, D, t1, transposeA: true, dA, into: dK + h * DD, accumulate: true)
            gemm(D, D, D, M_h, transposeA: true, dA, into: t1)  // M_hᵀ dA
            gemm(D, D, D, t1, K_h, transposeB: true, into: dC, accumulate: true)
        }
        // dC + dCᵀ, then dE_i += (dC + dCᵀ) e_i for context rows
        for i in 0..<D { for j in 0..<D { t2[i * D + j] = dC[i * D + j] + dC[j * D + i] } }
        gemm(tokenCount - 1, D, D, e, t2, transposeB: true, into: dE, accumulate: true)
    }

    /// Forward for the query token alone — all the read-out needs after the last layer:
    /// `delta_q = Σ_h M_h C K_h e_q`, computed as matrix–vector products without forming `C`
    /// (`C v = Σ_i e_i (e_iᵀ v)`), O(H·(D² + N·D)) instead of O(N·D² + H·D³). `scratch`: 2·D.
    @inlinable
    public static func forwardQuery<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        delta out: UnsafeMutablePointer<T>
    ) {
        let contextCount = tokenCount - 1
        let query = e + contextCount * D
        let v = scratch, Cv = scratch + D
        out.update(repeating: 0, count: D)
        for h in 0..<heads {
            matvec(D, D, K + h * D * D, query, into: v)  // v = K_h e_q
            contextProduct(e, contextCount, D, v, into: Cv)  // C v
            matvec(D, D, M + h * D * D, Cv, into: out, accumulate: true)  // out_q += M_h C v
        }
    }

    /// Backward of `forwardQuery`: `∂L/∂delta_q = g` is the only non-zero output gradient, so
    /// `dA = g e_qᵀ` has rank one and every term of `backward` collapses to matrix–vector products.
    /// With `v_h = K_h e_q`, `u_h = M_hᵀ g`:
    ///
    ///     dM_h += g (C v_h)ᵀ,   dK_h += (C u_h) e_qᵀ,   dE_q += Σ_h K_hᵀ C u_h
    ///     dE_i += u_h (v_h·e_i) + v_h (u_h·e_i)   for context tokens i   (dC = Σ_h u_h v_hᵀ)
    ///
    /// `scratch`: 4·D.
    @inlinable
    public static func backwardQuery<T: BinaryFloatingPoint>(
        dOut g: UnsafePointer<T>, tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int,
        M: UnsafePointer<T>, K: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dE: UnsafeMutablePointer<T>, dM: UnsafeMutablePointer<T>, dK: UnsafeMutablePointer<T>
    ) {
        let contextCount = tokenCount - 1
        let query = e + contextCount * D, dQuery = dE + contextCount * D
        let v = scratch, u = scratch + D, Cv = scratch + 2 * D, Cu = scratch + 3 * D
        for h in 0..<heads {
            let DD = D * D
            matvec(D, D, K + h * DD, query, into: v)  // v = K_h e_q
            matvec(D, D, M + h * DD, transpose: true, g, into: u)  // u = M_hᵀ g
            contextProduct(e, contextCount, D, v, into: Cv)
            contextProduct(e, contextCount, D, u, into: Cu)
            addOuterProduct(D, D, g, Cv, into: dM + h * DD)
            addOuterProduct(D, D, Cu, query, into: dK + h * DD)
            matvec(D, D, K + h * DD, transpose: true, Cu, into: dQuery, accumulate: true)
            for i in 0..<contextCount {
                let ei = e + i * D, dEi = dE + i * D
                let ve = dot(D, v, ei), ue = dot(D, u, ei)
                for k in 0..<D { dEi[k] += u[k] * ve + v[k] * ue }
            }
        }
    }

    /// `C v = Σ_{i<N} e_i (e_iᵀ v)` for the context rows of `e`, without forming C.
    @inlinable
    public static func contextProduct<T: BinaryFloatingPoint>(
        _ e: UnsafePointer<T>, _ contextCount: Int, _ D: Int, _ v: UnsafePointer<T>, into out: UnsafeMutablePointer<T>
    ) {
        out.update(repeating: 0, count: D)
        for i in 0..<contextCount {
            let ei = e + i * D
            let s = dot(D, ei, v)
            for k in 0..<D { out[k] += s * ei[k] }
        }
    }

    /// Floating-point operations (multiply and add counted apart) of one task's kernels, from the
    /// shapes: for benchmarks, to read time as a fraction of what the CPU can do. Counted head by
    /// head, as the layer is written, also where the lane kernels contract the heads and do less
    /// (`LinearAttentionLanes.contractsHeads`): the same work for every build and path.
    public static func flops(
        tokenCount T: Int, tokenDim D: Int, heads H: Int, queryOnly: Bool,
        tokenGradient: Bool = true
    ) -> (forward: Double, backward: Double) {
        let N = Double(T - 1), t = Double(T), d = Double(D), h = Double(H), token = tokenGradient ? 1.0 : 0
        if queryOnly {
            // Per head: K e_q, M (C v); backward: K e_q, Mᵀ g, C v, C u, dM, dK, and for the
            // tokens Σ_h K_hᵀ C u and every context token's u (v·e_i) + v (u·e_i).
            return (
                h * (2 * d * d + 4 * N * d + 2 * d * d),
                h * (2 * d * d * 2 + 4 * N * d * 2 + 2 * d * d * 2 + token * (2 * d * d + 8 * N * d))
            )
        }
        // C, then per head U = E K_hᵀ, U C, · M_hᵀ; backward per head U, X, U C, X C, dM, dK and
        // for the tokens dC and (X C) K_h, then E_c (dC + dCᵀ).
        let forward = 2 * N * d * d + h * 6 * t * d * d
        let backward = h * 12 * t * d * d + token * (h * 4 * t * d * d + 2 * N * d * d)
        return (forward, backward)
    }

    /// Parameter gradients from the products' gradients, for head `h`:
    /// `dP = dM W_Vᵀ`, `dW_V = Pᵀ dM`, `dW_K = W_Q dKᵀ`, `dW_Q = W_K dK`. Adds into the outputs.
    @inlinable
    public static func parameterGradients<T: BinaryFloatingPoint>(
        tokenDim D: Int, keyDim Dk: Int, weights w: HeadWeights<UnsafePointer<T>>,
        dM: UnsafePointer<T>, dK: UnsafePointer<T>, gradients g: HeadWeights<UnsafeMutablePointer<T>>
    ) {
        gemm(Dk, D, D, w.W_K, dK, into: g.W_Q, accumulate: true)  // dW_Q [Dk, D]
        gemm(Dk, D, D, w.W_Q, dK, transposeB: true, into: g.W_K, accumulate: true)  // dW_K [Dk, D]
        gemm(Dk, D, D, w.P, transposeA: true, dM, into: g.W_V, accumulate: true)  // dW_V [Dk, D]
        gemm(D, Dk, D, dM, w.W_V, transposeB: true, into: g.P, accumulate: true)  // dP   [D, Dk]
    }
}
