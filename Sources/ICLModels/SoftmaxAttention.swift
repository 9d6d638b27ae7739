import Foundation
import ICLMath

/// Softmax self-attention for one task (Appendix A.9): per head h, queries from every token, keys
/// and values from the N context tokens only (the query token, last, is excluded), no mask:
///
///     S = Q Kᵀ / √Dk,   A = softmax over the context keys (rows),   delta = Σ_h A V P_hᵀ
///
/// with `Q = E W_Qᵀ` (`[T, Dk]`), `K = E_c W_Kᵀ`, `V = E_c W_Vᵀ` (`[N, Dk]`), tokens as rows. The
/// caller adds the residual. Weights are `[W_Q, W_K, W_V, P]` per head, as in linear attention.
public enum SoftmaxAttention {
    /// Names of one head's parameters: the same as linear attention's.

    /// Per task and head: Q (T·Dk), K and V (N·Dk each), A (T·N), O = A V (T·Dk).
    public static func cacheSize(tokenCount T: Int, tokenDim _: Int, heads H: Int, keyDim Dk: Int) -> Int {
        H * headCacheSize(T, Dk)
    }

    static func headCacheSize(_ T: Int, _ Dk: Int) -> Int { 2 * T * Dk + 2 * (T - 1) * Dk + T * (T - 1) }

    /// dO, dQ (T·Dk each), dK, dV (N·Dk each), dA (T·N).
    public static func scratchSize(tokenCount T: Int, tokenDim _: Int, heads _: Int, keyDim Dk: Int) -> Int {
        headCacheSize(T, Dk)
    }

    /// In place, each row of `A` (`rows × columns`, the scores before scaling) becomes
    /// `softmax(scale · row)`, computed stably (the row maximum subtracted first).
    @inlinable
    static func softmaxRows<T: BinaryFloatingPoint>(_ A: UnsafeMutablePointer<T>, rows: Int, columns N: Int, scale: T) {
        for j in 0..<rows {
            let row = A + j * N
            var largest = -T.infinity
            for i in 0..<N { row[i] *= scale; largest = max(largest, row[i]) }
            var sum: T = 0
            for i in 0..<N { row[i] = exponential(row[i] - largest); sum += row[i] }
            for i in 0..<N { row[i] /= sum }
        }
    }

    /// In place, `∂L/∂A` in `gradient` becomes `∂L/∂S` for `A = softmax(scale · S)` row by row:
    /// `a ⊙ (g − a·g) · scale`.
    @inlinable
    static func softmaxBackwardRows<T: BinaryFloatingPoint>(
        _ A: UnsafePointer<T>, gradient: UnsafeMutablePointer<T>,
        rows: Int, columns N: Int, scale: T
    ) {
        for j in 0..<rows {
            let a = A + j * N, d = gradient + j * N
            var inner: T = 0
            for i in 0..<N { inner += a[i] * d[i] }
            for i in 0..<N { d[i] = a[i] * (d[i] - inner) * scale }
        }
    }

    @inlinable
    static func exponential<T: BinaryFloatingPoint>(_ x: T) -> T {
        T.self == Float.self ? T(expf(Float(x))) : T(_exp(Double(x)))
    }

    public static func forward<T: BinaryFloatingPoint>(
        tokens e: UnsafePointer<T>, tokenCount T_: Int, tokenDim D: Int, keyDim Dk: Int,
        heads: [HeadWeights<UnsafePointer<T>>], cache: UnsafeMutablePointer<T>, scratch _: UnsafeMutablePointer<T>,
        delta: UnsafeMutablePointer<T>
    ) {
        let N = T_ - 1
        let scale = 1 / T(Double(Dk).squareRoot())
        delta.update(repeating: 0, count: T_ * D)
        for (h, head) in heads.enumerated() {
            let (W_Q, W_K, W_V, P) = (head.W_Q, head.W_K, head.W_V, head.P)
            let Q = cache + h * headCacheSize(T_, Dk), K = Q + T_ * Dk, V = K + N * Dk, A = V + N * Dk, O = A + T_ * N
            gemm(T_, Dk, D, e, W_Q, transposeB: true, into: Q)
            gemm(N, Dk, D, e, W_K, transposeB: true, into: K)
            gemm(N, Dk, D, e, W_V, transposeB: true, into: V)
            gemm(T_, N, Dk, Q, K, transposeB: true, into: A)
            softmaxRows(A, rows: T_, columns: N, scale: scale)
            gemm(T_, Dk, N, A, V, into: O)
            gemm(T_, D, Dk, O, P, transposeB: true, into: delta, accumulate: true)
        }
    }

    /// Backward for one task, head by head, from `G = ∂L/∂delta`:
    ///
    ///     dO = G P,  dP += Gᵀ O,  dA = dO Vᵀ,  dV = Aᵀ dO,
    ///     dS = A ⊙ (dA − rowsum(dA ⊙ A)) / √Dk   (softmax's Jacobian, then the scale),
    ///     dQ = dS K,  dK = dSᵀ Q,  dW_Q += dQᵀ E,  dW_K += dKᵀ E_c,  dW_V += dVᵀ E_c,
    ///     dE += dQ W_Q,  dE_c += dK W_K + dV W_V.
    public static func backward<T: BinaryFloatingPoint>(
        dDelta G: UnsafePointer<T>, tokens e: UnsafePointer<T>, tokenCount T_: Int, tokenDim D: Int, keyDim Dk: Int,
        heads: [HeadWeights<UnsafePointer<T>>], cache: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        dTokens dE: UnsafeMutablePointer<T>, gradients: [HeadWeights<UnsafeMutablePointer<T>>]
    ) {
        let N = T_ - 1
        let scale = 1 / T(Double(Dk).squareRoot())
        let dO = scratch, dQ = dO + T_ * Dk, dK = dQ + T_ * Dk, dV = dK + N * Dk, dA = dV + N * Dk
        for (h, head) in heads.enumerated() {
            let (W_Q, W_K, W_V, P) = (head.W_Q, head.W_K, head.W_V, head.P)
            let (dW_Q, dW_K, dW_V, dP) = (gradients[h].W_Q, gradients[h].W_K, gradients[h].W_V, gradients[h].P)
            let Q = cache + h * headCacheSize(T_, Dk), K = Q + T_ * Dk, V = K + N * Dk, A = V + N * Dk, O = A + T_ * N
            gemm(T_, Dk, D, G, P, into: dO)
            gemm(D, Dk, T_, G, transposeA: true, O, into: dP, accumulate: true)
            gemm(T_, N, Dk, dO, V, transposeB: true, into: dA)
            gemm(N, Dk, T_, A, transposeA: true, dO, into: dV)
            softmaxBackwardRows(A, gradient: dA, rows: T_, columns: N, scale: scale)
            gemm(T_, Dk, N, dA, K, into: dQ)
            gemm(N, Dk, T_, dA, transposeA: true, Q, into: dK)
            gemm(Dk, D, T_, dQ, transposeA: true, e, into: dW_Q, accumulate: true)
            gemm(Dk, D, N, dK, transposeA: true, e, into: dW_K, accumulate: true)
            gemm(Dk, D, N, dV, transposeA: true, e, into: dW_V, accumulate: true)
            gemm(T_, D, Dk, dQ, W_Q, into: dE, accumulate: true)
            gemm(N, D, Dk, dK, W_K, into: dE, accumulate: true)
            gemm(N, D, Dk, dV, W_V, into: dE, accumulate: true)
        }
    }

    public static func flops(
        tokenCount T: Int, tokenDim D: Int, heads H: Int, keyDim Dk: Int,
        tokenGradient: Bool = true
    ) -> (forward: Double, backward: Double) {
        let t = Double(T), n = Double(T - 1), d = Double(D), k = Double(Dk), h = Double(H)
        let forward = h * (2 * t * d * k + 4 * n * d * k + 2 * t * n * k + 5 * t * n + 2 * t * n * k + 2 * t * k * d)
        let backward =
            h
            * (4 * t * d * k + 4 * t * n * k + 4 * t * n + 4 * t * n * k + 2 * t * k * d + 4 * n * k * d + 2 * t * k * d
                + 4 * n * k * d)
        // The tokens' share: dQ W_Q + dK W_K + dV W_V over every token.
        return (forward, tokenGradient ? backward : backward - h * 6 * t * k * d)
    }
}
