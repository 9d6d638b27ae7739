/// One call of the MLP lane kernels: `rows` tokens (`[rows, D]`, row-major) through the block
/// `delta = W_2 σ(W_1 e + b_1) + b_2` (`W_1: [Dh, D]`, `W_2: [D, Dh]`).
public struct MLPLaneLayer {
    public var rows: Int, tokenDim: Int, hidden: Int
    /// σ = ReLU (else the tanh form of GELU).
    public var relu: Bool
    public var W_1: UnsafePointer<Float>, b_1: UnsafePointer<Float>, W_2: UnsafePointer<Float>,
        b_2: UnsafePointer<Float>
    /// At least `MLPLanes.scratchSize(lanes: 16, …)` Floats.
    public var scratch: UnsafeMutablePointer<Float>

    public init(
        rows: Int, tokenDim: Int, hidden: Int, relu: Bool, W_1: UnsafePointer<Float>, b_1: UnsafePointer<Float>,
        W_2: UnsafePointer<Float>, b_2: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        (self.rows, self.tokenDim, self.hidden, self.relu) = (rows, tokenDim, hidden, relu)
        (self.W_1, self.b_1, self.W_2, self.b_2, self.scratch) = (W_1, b_1, W_2, b_2, scratch)
    }
}

/// The MLP block (`ICLModels.MultiLayerPerceptron`) in Float with SIMD lanes across consecutive
/// tokens: the block is per token, so W rows (a *group*) are gathered into D vectors and every
/// product with the shared `W_1`, `W_2` broadcasts one weight. With D = 11 and Dh = 44 OpenBLAS
/// runs these shapes (`[rows×11]·[11×44]`, `[rows×44]·[44×11]`) far below its SGEMM rate and packs
/// them first; here they are multiply-adds over full vectors, GELU runs on the same vectors, and
/// the bias sums are additions of vectors.
///
/// The backward pass forms `W_1 e + b_1`, σ and σ′ again from the tokens rather than keep them:
/// 2·Dh Floats a token written and read back (95 MB a step for the 12-block model) cost more
/// than Dh·D multiply-adds and a second GELU (measured: 12 % slower steps with them on the tape).
/// The weights' gradients accumulate per lane and are summed across lanes once per call, in a
/// fixed order. `groups` groups go together, so those accumulators are read and written once per
/// `groups`·W tokens.
public enum MLPLanes {
    /// Groups taken together (accumulators read and written once per `groups`·W tokens).
    public static let groups = 4

    /// Float scratch at lane width W: `W_2ᵀ` and `W_1ᵀ`, then (aligned) vectors (`vectors`).
    public static func scratchSize(lanes W: Int, tokenDim D: Int, hidden Dh: Int) -> Int {
        2 * D * Dh + W * (vectors(tokenDim: D, hidden: Dh) + 1)
    }

    /// Per block of groups: tokens, gradients, output (D each), σ, σ′, ∂pre-activation (Dh each);
    /// the per-lane `dW_1`, `dW_2` (D·Dh each), `db_1`, `db_2`.
    @inlinable
    static func vectors(tokenDim D: Int, hidden Dh: Int) -> Int {
        groups * (3 * D + 3 * Dh) + 2 * D * Dh + Dh + D
    }

    /// Where each buffer sits in the caller's Float scratch (see `scratchSize`).
    @usableFromInline
    struct Space<V: SIMD> where V.Scalar == Float {
        @usableFromInline let W_2t, W_1t: UnsafeMutablePointer<Float>
        @usableFromInline let tokens, gradients, output, value, slope, dPre, dW_1, dW_2, db_1,
            db_2: UnsafeMutablePointer<V>

        @inlinable
        init(_ scratch: UnsafeMutablePointer<Float>, tokenDim D: Int, hidden Dh: Int) {
            W_2t = scratch
            W_1t = scratch + D * Dh
            let raw = UnsafeMutableRawPointer(scratch + 2 * D * Dh).alignedUp(toMultipleOf: MemoryLayout<V>.alignment)
            tokens = raw.bindMemory(to: V.self, capacity: MLPLanes.vectors(tokenDim: D, hidden: Dh))
            let g = MLPLanes.groups
            gradients = tokens + g * D
            output = gradients + g * D
            value = output + g * D
            slope = value + g * Dh
            dPre = slope + g * Dh
            dW_1 = dPre + g * Dh
            dW_2 = dW_1 + D * Dh
            db_1 = dW_2 + D * Dh
            db_2 = db_1 + Dh
        }
    }

    /// `delta` (`[rows, D]`) for the layer's tokens.
    @inlinable
    public static func forward<V: SIMD>(
        _: V.Type, _ l: MLPLaneLayer, tokens e: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let D = l.tokenDim, Dh = l.hidden, W = V.scalarCount
        let space = Space<V>(l.scratch, tokenDim: D, hidden: Dh)
        let E = space.tokens, out = space.output, value = space.value
        var first = 0
        while first < l.rows {
            let count = min(groups, (l.rows - first + W - 1) / W)
            for g in 0..<count {
                let start = first + g * W
                gatherRows(e + start * D, rows: min(W, l.rows - start), width: D, end: e + l.rows * D, into: E + g * D)
            }
            hidden(l, E, groups: count, value: value, slope: nil)
            L.scalarRowsTimes(l.W_2, rows: D, cols: Dh, value, count: count, into: out)  // W_2 σ
            for g in 0..<count {
                let start = first + g * W, o = out + g * D
                for k in 0..<D { o[k] += V(repeating: l.b_2[k]) }
                scatterRows(o, rows: min(W, l.rows - start), width: D, into: delta + start * D, end: delta + l.rows * D)
            }
            first += count * W
        }
    }

    /// The backward of `forward` from `G = ∂L/∂delta`, with σ and σ′ formed again from the tokens:
    /// `dpre = (W_2ᵀ g) ⊙ σ′`, `dW_2 += g σᵀ`, `db_2 += g`, `dW_1 += dpre eᵀ`, `db_1 += dpre`, and
    /// `dX += W_1ᵀ dpre` when the tokens' gradient is wanted. Missing lanes of a part-filled group
    /// have g = 0, so they add nothing.
    @inlinable
    public static func backward<V: SIMD>(
        _: V.Type, _ l: MLPLaneLayer, dOut G: UnsafePointer<Float>, tokens e: UnsafePointer<Float>,
        dX: UnsafeMutablePointer<Float>?, dW_1: UnsafeMutablePointer<Float>, db_1: UnsafeMutablePointer<Float>,
        dW_2: UnsafeMutablePointer<Float>, db_2: UnsafeMutablePointer<Float>
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let D = l.tokenDim, Dh = l.hidden, W = V.scalarCount
        let space = Space<V>(l.scratch, tokenDim: D, hidden: Dh)
        let E = space.tokens, Gv = space.gradients, out = space.output
        let value = space.value, slope = space.slope, dPre = space.dPre
        let W_2t = UnsafePointer(space.W_2t), W_1t = UnsafePointer(space.W_1t)
        for r in 0..<D {
            for c in 0..<Dh { space.W_2t[c * D + r] = l.W_2[r * Dh + c]; space.W_1t[r * Dh + c] = l.W_1[c * D + r] }
        }
        L.zero(space.dW_1, D * Dh); L.zero(space.dW_2, D * Dh)
        L.zero(space.db_1, Dh); L.zero(space.db_2, D)
        var first = 0
        while first < l.rows {
            let count = min(groups, (l.rows - first + W - 1) / W)
            for g in 0..<count {
                let start = first + g * W, m = min(W, l.rows - start)
                gatherRows(e + start * D, rows: m, width: D, end: e + l.rows * D, into: E + g * D)
                gatherRows(G + start * D, rows: m, width: D, end: G + l.rows * D, into: Gv + g * D)
            }
            hidden(l, E, groups: count, value: value, slope: slope)
            for g in 0..<count {
                let d = dPre + g * Dh, s = slope + g * Dh, gv = Gv + g * D
                L.broadcastRowsTimes(W_2t, rows: Dh, cols: D, gv, into: d)  // W_2ᵀ g
                for k in 0..<Dh { d[k] *= s[k]; space.db_1[k] += d[k] }
                for k in 0..<D { space.db_2[k] += gv[k] }
            }
            L.addTransposedProduct(Gv, value, count: count, rows: D, cols: Dh, into: space.dW_2)  // Σ g σᵀ
            L.addTransposedProduct(dPre, E, count: count, rows: Dh, cols: D, into: space.dW_1)  // Σ dpre eᵀ
            if let dX {
                L.scalarRowsTimes(W_1t, rows: D, cols: Dh, dPre, count: count, into: out)  // W_1ᵀ dpre
                for g in 0..<count {
                    let start = first + g * W
                    scatterRows(
                        out + g * D, rows: min(W, l.rows - start), width: D, into: dX + start * D,
                        end: dX + l.rows * D, accumulate: true)
                }
            }
            first += count * W
        }
        L.sumLanes(space.dW_1, count: D * Dh, into: dW_1)
        L.sumLanes(space.db_1, count: Dh, into: db_1)
        L.sumLanes(space.dW_2, count: D * Dh, into: dW_2)
        L.sumLanes(space.db_2, count: D, into: db_2)
    }

    /// `rows` consecutive rows of `width` Floats (the first at `source`) into `width` vectors, lane i
    /// holding row i; missing lanes are 0. Blocks of W entries go as W×W transposes in registers,
    /// the last block too: a row is read W Floats wide, past its end into the next row, wherever
    /// those Floats lie before `end` (the caller's last row) — so with D = 11 and 16 lanes all rows
    /// but the call's last one are one vector load (`LinearAttentionLanes.gather`, for rows apart,
    /// goes entry by entry there).
    @inlinable
    static func gatherRows<V: SIMD>(
        _ source: UnsafePointer<Float>, rows m: Int, width D: Int, end: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<V>
    ) where V.Scalar == Float {
        let W = V.scalarCount
        guard LinearAttentionLanes.canTranspose(V.self) else {
            return LinearAttentionLanes.gather(source, stride: D, lanes: m, count: D, into: out)
        }
        withUnsafeTemporaryAllocation(of: V.self, capacity: W) { buffer in
            let block = buffer.baseAddress!
            var k = 0
            while k < D {
                let entries = min(W, D - k)
                for i in 0..<W {
                    let row = source + i * D + k
                    if i >= m {
                        block[i] = V()
                    } else if row + W <= end {
                        block[i] = UnsafeRawPointer(row).loadUnaligned(as: V.self)
                    } else {
                        var v = V()
                        for j in 0..<entries { v[j] = row[j] }
                        block[i] = v
                    }
                }
                LinearAttentionLanes.transpose(block)
                (out + k).update(from: block, count: entries)
                k += W
            }
        }
    }

    /// The inverse of `gatherRows`: the first `rows` lanes back to their rows (added with
    /// `accumulate`), W Floats wide wherever they lie before `end`. The Floats past a row's end
    /// are the next row's: with `accumulate` zero is added to them; without, the last block goes
    /// first and rows in order, so each row's own store comes after the spill into it.
    @inlinable
    static func scatterRows<V: SIMD>(
        _ vectors: UnsafePointer<V>, rows m: Int, width D: Int, into target: UnsafeMutablePointer<Float>,
        end: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) where V.Scalar == Float {
        let W = V.scalarCount
        guard LinearAttentionLanes.canTranspose(V.self) else {
            let copy = UnsafeMutablePointer(mutating: vectors)
            return LinearAttentionLanes.scatter(
                copy, lanes: m, count: D, into: target, stride: D, accumulate: accumulate)
        }
        withUnsafeTemporaryAllocation(of: V.self, capacity: W) { buffer in
            let block = buffer.baseAddress!
            var k = (D - 1) / W * W
            while k >= 0 {
                let entries = min(W, D - k)
                block.update(from: vectors + k, count: entries)
                for j in entries..<W { block[j] = V() }
                LinearAttentionLanes.transpose(block)
                for i in 0..<m {
                    let row = target + i * D + k
                    if row + W <= end {
                        let raw = UnsafeMutableRawPointer(row)
                        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: V.self) + block[i] : block[i], as: V.self)
                    } else {
                        for j in 0..<entries { row[j] = accumulate ? row[j] + block[i][j] : block[i][j] }
                    }
                }
                k -= W
            }
        }
    }

    /// `value = σ(W_1 e + b_1)` for `groups` groups of tokens `E` (D vectors each), and σ′ into
    /// `slope` when given.
    @inlinable @inline(__always)
    static func hidden<V: SIMD>(
        _ l: MLPLaneLayer, _ E: UnsafePointer<V>, groups count: Int, value: UnsafeMutablePointer<V>,
        slope: UnsafeMutablePointer<V>?
    ) where V.Scalar == Float {
        typealias L = LinearAttentionLanes
        let D = l.tokenDim, Dh = l.hidden
        for g in 0..<count {
            let h = value + g * Dh
            L.broadcastRowsTimes(l.W_1, rows: Dh, cols: D, E + g * D, into: h)  // W_1 e
            for k in 0..<Dh {
                let x = h[k] + V(repeating: l.b_1[k])
                if l.relu {
                    let positive = SoftmaxAttentionLanes.less(V(), x)
                    h[k] = V().replacing(with: x, where: positive)
                    slope?[g * Dh + k] = V().replacing(with: 1, where: positive)
                } else if let slope {
                    (h[k], slope[g * Dh + k]) = geluWithDerivative(x)
                } else {
                    h[k] = gelu(x)
                }
            }
        }
    }

    /// GELU's tanh form `0.5 x (1 + t)`, `t = tanh(c (x + a x³))`, written as `x (0.5 + 0.5 t)` with
    /// `t = tanh(x (c + c a x²))`: the formula of `MultiLayerPerceptron.geluWithDerivative` with its
    /// terms regrouped into multiply-adds (GELU and GELU′ are the larger part of the lanes' work).
    @_transparent
    public static func gelu<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
        let half = V(repeating: 0.5)
        let t = fastTanh(x * V(repeating: geluC).addingProduct(V(repeating: geluCA), x * x))
        return x * half.addingProduct(half, t)
    }

    /// GELU and GELU′ `= 0.5 (1 + t) + 0.5 c x (1 − t²)(1 + 3a x²)` from one tanh, as `gelu`.
    @_transparent
    public static func geluWithDerivative<V: SIMD>(_ x: V) -> (value: V, derivative: V) where V.Scalar == Float {
        let half = V(repeating: 0.5), one = V(repeating: 1), x2 = x * x
        let t = fastTanh(x * V(repeating: geluC).addingProduct(V(repeating: geluCA), x2))
        let h = half.addingProduct(half, t)
        let slope =
            x * V(repeating: 0.5 * geluC) * one.addingProduct(-t, t) * one.addingProduct(V(repeating: 3 * 0.044715), x2)
        return (x * h, h + slope)
    }

    /// GELU's `c = √(2/π)` and `c a` (a = 0.044715) as Float literals (a `static let` would be a
    /// lazily initialised global, checked on every use).
    @usableFromInline static var geluC: Float { 0.797_884_56 }
    @usableFromInline static var geluCA: Float { 0.035_677_408 }

    /// tanh by the rational function of `MultiLayerPerceptron.fastTanh` (Eigen's minimax form: odd
    /// degree 13 over even degree 6, argument clamped to ±9), for any lane width; the quotient by
    /// `reciprocal` (within 1e-7 relative of the division's).
    @_transparent
    public static func fastTanh<V: SIMD>(_ value: V) -> V where V.Scalar == Float {
        let limit = V(repeating: 9)
        var x = value.replacing(with: limit, where: SoftmaxAttentionLanes.less(limit, value))
        x.replace(with: -limit, where: SoftmaxAttentionLanes.less(x, -limit))
        let (p, q) = tanhRational(x * x)
        return x * p * reciprocal(q)
    }

    /// The numerator and denominator of tanh's rational function at `x2 = x²` (x within ±9):
    /// `tanh x ≈ x p / q`, Horner steps as fused multiply-adds. Shared with
    /// `MultiLayerPerceptron.fastTanh`, which divides.
    @_transparent
    public static func tanhRational<V: SIMD>(_ x2: V) -> (p: V, q: V) where V.Scalar == Float {
        @inline(__always) func step(_ acc: V, _ c: Float) -> V { V(repeating: c).addingProduct(acc, x2) }
        var p = V(repeating: -2.76076847742355e-16)
        p = step(p, 2.00018790482477e-13)
        p = step(p, -8.60467152213735e-11)
        p = step(p, 5.12229709037114e-08)
        p = step(p, 1.48572235717979e-05)
        p = step(p, 6.37261928875436e-04)
        p = step(p, 4.89352455891786e-03)
        var q = V(repeating: 1.19825839466702e-06)
        q = step(q, 1.18534705686654e-04)
        q = step(q, 2.26843463243900e-03)
        q = step(q, 4.89352518554385e-03)
        return (p, q)
    }

    /// `1 / q` for q > 0 without a division (the divider takes the time of a dozen multiply-adds
    /// on a full vector): a first guess from the bits (`0x7EF311C3 − bits(q)`, within 5 %), then
    /// three Newton steps `r ← r + r (1 − q r)`, each squaring the error: 2.6e-3, 6.6e-6, 9e-8.
    @_transparent
    public static func reciprocal<V: SIMD>(_ q: V) -> V where V.Scalar == Float {
        let guess = V.MaskStorage(repeating: 0x7EF3_11C3) &- unsafeBitCast(q, to: V.MaskStorage.self)
        var r = unsafeBitCast(guess, to: V.self)
        let one = V(repeating: 1)
        for _ in 0..<3 { r.addProduct(r, one - q * r) }
        return r
    }
}
