import ICLMath

/// Multi-head softmax self-attention for one task (paper Appendix A.9), the sublayer's output only:
///
///     q_j = W_Q,h e_j   (all T tokens)        k_i = W_K,h e_i,  v_i = W_V,h e_i   (context i < N = T−1)
///     s_ji = q_jᵀ k_i / √Dk,   a_ji = exp(s_ji) / Σ_{i'<N} exp(s_ji')
///     delta_j = Σ_h P_h Σ_{i<N} a_ji v_i
///
/// Keys and values come from the context tokens only — every token but the last, the query — while
/// queries come from every token, so context tokens are updated too. No causal mask, no biases. The
/// caller adds the residual (`e_j + delta_j`); this kernel never does. The softmax subtracts each
/// row's maximum before `exp`, so large scores do not overflow.
///
/// Tokens are rows of a row-major `[T, D]` buffer; per head `W_Q`, `W_K`, `W_V` are `[Dk, D]` and
/// `P` is `[D, Dk]`, stored and applied in the paper's orientation (`q = W_Q e` for a column token
/// `e`). In row form, with `E` the `[T, D]` tokens and `E_c` its first N rows:
/// `Q = E W_Qᵀ [T, Dk]`, `K = E_c W_Kᵀ [N, Dk]`, `V = E_c W_Vᵀ [N, Dk]`, `S = Q Kᵀ/√Dk [T, N]`,
/// `A = softmax_rows(S)`, `O = A V [T, Dk]`, `delta = Σ_h O_h P_hᵀ [T, D]`.
///
/// Cache, per head, contiguous: `Q [T, Dk]`, `K [N, Dk]`, `V [N, Dk]`, `A [T, N]`, `O [T, Dk]`.
public enum SoftmaxAttention {
    /// Names of one head's parameters, in the order of `weights` and `gradients`; also their HDF5
    /// dataset names.
    public static let parameterNames = ["W_Q", "W_K", "W_V", "P"]

    /// Elements of one head's cache: `Q, O [T, Dk]`, `K, V [N, Dk]`, `A [T, N]`.
    @inlinable
    static func cachePerHead(tokenCount T: Int, keyDim Dk: Int) -> Int {
        let N = T - 1
        return 2 * T * Dk + 2 * N * Dk + T * N
    }

    /// `H · (2·T·Dk + 2·(T−1)·Dk + T·(T−1))` elements: everything `backward` reads.
    public static func cacheSize(tokenCount T: Int, tokenDim D: Int, heads H: Int, keyDim Dk: Int) -> Int {
        H * cachePerHead(tokenCount: T, keyDim: Dk)
    }

    /// `2·T·Dk + 2·(T−1)·Dk + T·(T−1)` elements (`dO, dQ [T, Dk]`, `dK, dV [N, Dk]`, `dS [T, N]`,
    /// reused across heads). `forward` does not use scratch; `backward` does.
    public static func scratchSize(tokenCount T: Int, tokenDim D: Int, heads H: Int, keyDim Dk: Int) -> Int {
        cachePerHead(tokenCount: T, keyDim: Dk)
    }

    /// Forward for one task: overwrites `delta` (`[T, D]`) with `Σ_h O_h P_hᵀ` and fills `cache`.
    /// `weights` holds `[W_Q, W_K, W_V, P]` per head, heads concatenated (4·H pointers).
    @inlinable
    public static func forward<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int, keyDim Dk: Int,
        weights: [UnsafePointer<T>], cache: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>,
        delta: UnsafeMutablePointer<T>
    ) {
        precondition(tokenCount >= 2, "softmax attention needs at least one context token")
        precondition(weights.count == 4 * heads, "weights: \(weights.count) pointers, expected 4·\(heads)")
        let (tokens, N) = (tokenCount, tokenCount - 1)
        let perHead = cachePerHead(tokenCount: tokens, keyDim: Dk)
        let scale = T(1 / Double(Dk).squareRoot())
        delta.update(repeating: 0, count: tokens * D)
        for h in 0..<heads {
            let (W_Q, W_K, W_V, P) = (weights[4 * h], weights[4 * h + 1], weights[4 * h + 2], weights[4 * h + 3])
            let Q = cache + h * perHead, K = Q + tokens * Dk, V = K + N * Dk, A = V + N * Dk, O = A + tokens * N
            matmul(tokens, Dk, D, e, W_Q, transposeB: true, into: Q)       // Q = E W_Qᵀ     [T, Dk]
            matmul(N, Dk, D, e, W_K, transposeB: true, into: K)            // K = E_c W_Kᵀ   [N, Dk]
            matmul(N, Dk, D, e, W_V, transposeB: true, into: V)            // V = E_c W_Vᵀ   [N, Dk]
            matmul(tokens, N, Dk, Q, K, transposeB: true, into: A)         // S = Q Kᵀ       [T, N]
            for j in 0..<tokens {                                          // A = softmax(S/√Dk) per row
                let row = A + j * N
                var largest = row[0]
                for i in 1..<N where row[i] > largest { largest = row[i] }
                var sum: T = 0
                for i in 0..<N {
                    let a = T(_exp(Double(scale * (row[i] - largest))))
                    row[i] = a
                    sum += a
                }
                let inverse = 1 / sum
                for i in 0..<N { row[i] *= inverse }
            }
            matmul(tokens, Dk, N, A, V, into: O)                           // O = A V        [T, Dk]
            matmul(tokens, D, Dk, O, P, transposeB: true, into: delta, accumulate: true)   // delta += O Pᵀ
        }
    }

    /// Backward for one task. Given `G = ∂L/∂delta` (`[T, D]`), ADDS `∂L/∂e` into `dTokens` and the
    /// parameter gradients into `gradients` (same order as `weights`); callers zero them. Per head,
    /// from `delta = O Pᵀ`, `O = A V`, `A = softmax(S)`, `S = Q Kᵀ/√Dk`:
    ///
    ///     dP  += Gᵀ O,            dO = G P
    ///     dA   = dO Vᵀ,           dV = Aᵀ dO
    ///     dS_ji = a_ji (dA_ji − Σ_i' a_ji' dA_ji') / √Dk      (softmax Jacobian diag(a) − a aᵀ, and the scale)
    ///     dQ   = dS K,            dK = dSᵀ Q
    ///     dW_Q += dQᵀ E,  dW_K += dKᵀ E_c,  dW_V += dVᵀ E_c
    ///     dE   += dQ W_Q  (all rows),   dE_c += dK W_K + dV W_V  (context rows)
    ///
    /// `scratch`: `scratchSize(...)` elements.
    @inlinable
    public static func backward<T: BinaryFloatingPoint>(
        dDelta G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tokenCount: Int, tokenDim D: Int, heads: Int,
        keyDim Dk: Int, weights: [UnsafePointer<T>], cache: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dTokens dE: UnsafeMutablePointer<T>, gradients: [UnsafeMutablePointer<T>]
    ) {
        precondition(weights.count == 4 * heads && gradients.count == 4 * heads,
                     "weights and gradients: 4·\(heads) pointers each")
        let (tokens, N) = (tokenCount, tokenCount - 1)
        let perHead = cachePerHead(tokenCount: tokens, keyDim: Dk)
        let scale = T(1 / Double(Dk).squareRoot())
        let dO = scratch, dQ = dO + tokens * Dk, dK = dQ + tokens * Dk, dV = dK + N * Dk, dS = dV + N * Dk
        for h in 0..<heads {
            let (W_Q, W_K, W_V, P) = (weights[4 * h], weights[4 * h + 1], weights[4 * h + 2], weights[4 * h + 3])
            let (dW_Q, dW_K, dW_V, dP) = (gradients[4 * h], gradients[4 * h + 1], gradients[4 * h + 2], gradients[4 * h + 3])
            let Q = cache + h * perHead, K = Q + tokens * Dk, V = K + N * Dk, A = V + N * Dk, O = A + tokens * N
            matmul(D, Dk, tokens, G, transposeA: true, O, into: dP, accumulate: true)   // dP += Gᵀ O   [D, Dk]
            matmul(tokens, Dk, D, G, P, into: dO)                                      // dO = G P      [T, Dk]
            matmul(N, Dk, tokens, A, transposeA: true, dO, into: dV)                   // dV = Aᵀ dO    [N, Dk]
            matmul(tokens, N, Dk, dO, V, transposeB: true, into: dS)                   // dA = dO Vᵀ    [T, N]
            for j in 0..<tokens {                                                      // dS from dA, in place
                let a = A + j * N, d = dS + j * N
                let weighted = dot(N, a, UnsafePointer(d))
                for i in 0..<N { d[i] = scale * a[i] * (d[i] - weighted) }
            }
            matmul(tokens, Dk, N, dS, K, into: dQ)                                     // dQ = dS K     [T, Dk]
            matmul(N, Dk, tokens, dS, transposeA: true, Q, into: dK)                   // dK = dSᵀ Q    [N, Dk]
            matmul(Dk, D, tokens, dQ, transposeA: true, e, into: dW_Q, accumulate: true)
            matmul(Dk, D, N, dK, transposeA: true, e, into: dW_K, accumulate: true)
            matmul(Dk, D, N, dV, transposeA: true, e, into: dW_V, accumulate: true)
            matmul(tokens, D, Dk, dQ, W_Q, into: dE, accumulate: true)
            matmul(N, D, Dk, dK, W_K, into: dE, accumulate: true)
            matmul(N, D, Dk, dV, W_V, into: dE, accumulate: true)
        }
    }

    /// Floating-point operations of one task (multiply and add counted apart, `exp` as one), from
    /// the shapes: for benchmarks, to read time as a fraction of what the CPU can do.
    public static func flops(tokenCount: Int, tokenDim: Int, heads: Int, keyDim: Int) -> (forward: Double, backward: Double) {
        let t = Double(tokenCount), n = Double(tokenCount - 1), d = Double(tokenDim), k = Double(keyDim)
        let h = Double(heads)
        // Q, K, V; S; softmax (max, subtract, scale, exp, sum, divide); O; delta
        let forward = h * (2 * t * k * d + 2 * 2 * n * k * d + 2 * t * n * k + 6 * t * n + 2 * t * n * k + 2 * t * d * k)
        // dP, dO; dV, dA; dS (dot, subtract, two multiplies); dQ, dK; dW_Q, dW_K, dW_V; dE
        let backward = h * (2 * 2 * t * d * k + 2 * 2 * t * n * k + 5 * t * n + 2 * 2 * t * n * k
                            + 2 * t * k * d + 2 * 2 * n * k * d + 2 * t * k * d + 2 * 2 * n * k * d)
        return (forward, backward)
    }
}
