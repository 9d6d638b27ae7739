import Foundation
import ICLLanes
import ICLMath
import ICLModels
import ICLTestSupport
import Testing

/// The softmax layer's chunk path in Float — lanes across tasks at every width this CPU runs, and
/// the per-task OpenBLAS path (`lanes: 0`) — against the per-task reference in Double (itself checked
/// against finite differences in `SoftmaxAttentionTests`), and directly against finite differences.
/// 21 tasks leave a part-filled last group at 8 and 16 lanes. The layer has no mask (the query token
/// is never a key), so there is no causal variant to test. Errors are relative to the reference's
/// norm: outputs 1e-5, gradients 1e-4.
@Suite("Softmax attention: the lane kernels and the OpenBLAS path against the Double reference")
struct SoftmaxAttentionLanesTests {
    static let paths = [0, 8] + (LaneWidth.supported == 16 ? [16] : [])
    /// (H, T, D, Dk); (1, 21, 21, 21) is alternating-2's first layer (tokens with positions, wider than 16).
    static let shapes = [(1, 11, 11, 11), (2, 11, 11, 11), (2, 7, 6, 4), (1, 5, 4, 3), (1, 21, 21, 21)]

    struct Case {
        let H: Int, T: Int, D: Int, Dk: Int, n: Int
        let tokens: [Double], G: [Double]
        /// `[W_Q, W_K, W_V, P]` per head, each `Dk·D` values.
        var weights: [[Double]]

        init(_ shape: (Int, Int, Int, Int), tasks n: Int = 21) {
            (H, T, D, Dk) = shape
            self.n = n
            var random = SplitMix64(seed: UInt64(1000 * shape.0 + 10 * shape.1 + shape.3))
            func values(_ count: Int, _ std: Double) -> [Double] { (0..<count).map { _ in std * random.normal() } }
            let (tokenEntries, tensor) = (n * shape.1 * shape.2, shape.3 * shape.2)
            tokens = values(tokenEntries, 1); G = values(tokenEntries, 1)
            weights = (0..<(4 * shape.0)).map { _ in values(tensor, 0.5) }
        }
        var task: Int { T * D }
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let difference = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        return difference / max(b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-30)
    }

    struct Result {
        var delta: [Double], dE: [Double], gradients: [[Double]]
    }

    /// Task by task through `SoftmaxAttention.forward` / `backward` in Double.
    static func reference(_ c: Case, weights: [[Double]]? = nil) -> Result {
        let w = weights ?? c.weights
        var delta = [Double](repeating: 0, count: c.n * c.task), dE = delta
        var gradients = w.map { [Double](repeating: 0, count: $0.count) }
        var cache = [Double](
            repeating: 0, count: SoftmaxAttention.cacheSize(tokenCount: c.T, tokenDim: c.D, heads: c.H, keyDim: c.Dk))
        var scratch = [Double](
            repeating: 0, count: SoftmaxAttention.scratchSize(tokenCount: c.T, tokenDim: c.D, heads: c.H, keyDim: c.Dk))
        withPointers(w) { weights in
            withPointers(&gradients) { dW in
                for i in 0..<c.n {
                    c.tokens.withUnsafeBufferPointer { e in
                        delta.withUnsafeMutableBufferPointer { out in
                            SoftmaxAttention.forward(
                                tokens: e.baseAddress! + i * c.task, tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk,
                                heads: grouped(weights), cache: &cache, scratch: &scratch,
                                delta: out.baseAddress! + i * c.task)
                        }
                        c.G.withUnsafeBufferPointer { G in
                            dE.withUnsafeMutableBufferPointer { dE in
                                SoftmaxAttention.backward(
                                    dDelta: G.baseAddress! + i * c.task, tokens: e.baseAddress! + i * c.task,
                                    tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk, heads: grouped(weights),
                                    cache: cache, scratch: &scratch, dTokens: dE.baseAddress! + i * c.task,
                                    gradients: grouped(dW))
                            }
                        }
                    }
                }
            }
        }
        return Result(delta: delta, dE: dE, gradients: gradients)
    }

    /// The chunk path in Float at `lanes` (0: OpenBLAS). The backward runs a second time without the
    /// tokens' gradient, into fresh buffers: the weights' gradients must be the same.
    static func chunk(_ c: Case, lanes: Int) -> (result: Result, gradientsWithoutTokens: [[Double]]) {
        let tokens = c.tokens.map { Float($0) }, G = c.G.map { Float($0) }
        let weights = c.weights.map { $0.map { Float($0) } }
        var delta = [Float](repeating: .nan, count: c.n * c.task), dE = [Float](repeating: 0, count: c.n * c.task)
        var gradients = weights.map { [Float](repeating: 0, count: $0.count) }, again = gradients
        var cache = [Float](repeating: .nan, count: c.n * SoftmaxAttention.chunkCacheSize(tokenCount: c.T, heads: c.H))
        var scratch = [Float](
            repeating: .nan,
            count: max(
                SoftmaxAttention.chunkScratchSize(tasks: c.n, tokenCount: c.T, keyDim: c.Dk),
                SoftmaxAttention.laneScratchSize(tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk, heads: c.H)))
        withPointers(weights) { w in
            SoftmaxAttention.forwardChunk(
                tokens: tokens, tasks: c.n, tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk, heads: grouped(w),
                cache: &cache, scratch: &scratch, delta: &delta, lanes: lanes)
            withPointers(&gradients) { dW in
                SoftmaxAttention.backwardChunk(
                    dDelta: G, tokens: tokens, tasks: c.n, tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk,
                    heads: grouped(w), cache: cache, scratch: &scratch, dTokens: &dE, gradients: grouped(dW),
                    lanes: lanes)
            }
            withPointers(&again) { dW in
                SoftmaxAttention.backwardChunk(
                    dDelta: G, tokens: tokens, tasks: c.n, tokenCount: c.T, tokenDim: c.D, keyDim: c.Dk,
                    heads: grouped(w), cache: cache, scratch: &scratch, dTokens: nil, gradients: grouped(dW),
                    lanes: lanes)
            }
        }
        let double = { (x: [Float]) in x.map { Double($0) } }
        return (Result(delta: double(delta), dE: double(dE), gradients: gradients.map(double)), again.map(double))
    }

    @Test(arguments: paths, shapes)
    func everyPathMatchesTheReference(lanes: Int, shape: (Int, Int, Int, Int)) {
        let c = Case(shape)
        let slow = Self.reference(c), (fast, withoutTokens) = Self.chunk(c, lanes: lanes)
        #expect(Self.relativeError(fast.delta, slow.delta) < 1e-5, "delta")
        #expect(Self.relativeError(fast.dE, slow.dE) < 1e-4, "dE")
        for k in slow.gradients.indices {
            let name = "head \(k / 4) \(HeadWeights<String>.named.all[k % 4])"
            #expect(Self.relativeError(fast.gradients[k], slow.gradients[k]) < 1e-4, "\(name)")
            #expect(slow.gradients[k].contains { $0 != 0 }, "\(name): the reference gradient is all zero")
        }
        #expect(fast.gradients == withoutTokens, "the weights' gradients depend on whether dE is asked for")
    }

    /// The Float gradients of `L = Σ delta ⊙ G` against central differences of the Double reference's L.
    @Test(arguments: paths)
    func theGradientsMatchFiniteDifferences(lanes: Int) {
        let c = Case((2, 7, 6, 4), tasks: 19)
        let fast = Self.chunk(c, lanes: lanes).result
        func loss(_ weights: [[Double]]) -> Double {
            zip(Self.reference(c, weights: weights).delta, c.G).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let step = 1e-6
        for k in c.weights.indices {
            var numeric = [Double](repeating: 0, count: c.weights[k].count)
            var probe = c.weights
            for j in numeric.indices {
                probe[k][j] = c.weights[k][j] + step
                let up = loss(probe)
                probe[k][j] = c.weights[k][j] - step
                numeric[j] = (up - loss(probe)) / (2 * step)
                probe[k][j] = c.weights[k][j]
            }
            #expect(Self.relativeError(fast.gradients[k], numeric) < 1e-4, "tensor \(k)")
        }
    }

    /// The comparison's sharpness: one gradient entry 1 % off fails it.
    @Test func theComparisonCatchesOnePercent() {
        let c = Case((2, 11, 11, 11))
        var slow = Self.reference(c)
        let fast = Self.chunk(c, lanes: 8).result
        let k = slow.gradients[1].indices.max { abs(slow.gradients[1][$0]) < abs(slow.gradients[1][$1]) }!
        slow.gradients[1][k] *= 1.01
        #expect(Self.relativeError(fast.gradients[1], slow.gradients[1]) > 1e-4)
    }

    /// The vector exponential against Foundation's `exp` (in Double, then rounded) over the range a
    /// shifted score takes, `[−87, 0]`: within 1 ulp on 200,001 points; exact at 0; 0 below −87 and at −∞.
    @Test(arguments: paths.filter { $0 > 0 })
    func theExponentialIsWithinTwoUlp(lanes: Int) {
        let kernels = LaneWidth.kernels(lanes)
        var x = (0...200_000).map { -87 * Float($0) / 200_000 }
        x += [0, -Float.leastNonzeroMagnitude, -0.5 * Float(M_LN2), -Float(M_LN2), -1e-30, -86.9999]
        var y = [Float](repeating: .nan, count: x.count)
        kernels.exponentials(x, x.count, &y)
        var worst: (ulps: Float, x: Float) = (0, 0)
        for (xk, yk) in zip(x, y) {
            let exact = Float(exp(Double(xk)))
            let ulps = abs(yk - exact) / exact.ulp
            if ulps > worst.ulps { worst = (ulps, xk) }
        }
        #expect(worst.ulps <= 1, "\(worst.ulps) ulp at x = \(worst.x)")
        #expect(y[0] == 1)
        let tails: [Float] = [-87.5, -100, -1e10, -.infinity]
        var out = [Float](repeating: .nan, count: tails.count)
        kernels.exponentials(tails, tails.count, &out)
        #expect(out == [0, 0, 0, 0])
    }
}

/// Runs `body` with the arrays' base addresses (in order), for kernels that take pointers per weight.
private func withPointers<T>(_ arrays: [[T]], _ body: ([UnsafePointer<T>]) -> Void) {
    let copies = arrays.map { a -> UnsafeMutablePointer<T> in
        let p = UnsafeMutablePointer<T>.allocate(capacity: a.count)
        p.initialize(from: a, count: a.count)
        return p
    }
    defer { copies.forEach { $0.deallocate() } }
    body(copies.map { UnsafePointer($0) })
}

/// The same for buffers the kernels write: copied back after `body`.
private func withPointers<T>(_ arrays: inout [[T]], _ body: ([UnsafeMutablePointer<T>]) -> Void) {
    let copies = arrays.map { a -> UnsafeMutablePointer<T> in
        let p = UnsafeMutablePointer<T>.allocate(capacity: a.count)
        p.initialize(from: a, count: a.count)
        return p
    }
    defer { copies.forEach { $0.deallocate() } }
    body(copies)
    for k in arrays.indices { arrays[k] = Array(UnsafeBufferPointer(start: copies[k], count: arrays[k].count)) }
}
