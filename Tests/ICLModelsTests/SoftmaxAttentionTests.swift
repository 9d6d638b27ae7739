import ICLMath
import ICLModels
import ICLTestSupport
import Testing

/// One softmax-attention shape, with its parameters in one flat buffer: `[W_Q, W_K, W_V, P]` per
/// head, heads concatenated (the order of the kernel's `weights`).
struct SoftmaxAttentionCase: CustomStringConvertible, Sendable {
    let tokenCount: Int, tokenDim: Int, heads: Int, keyDim: Int

    var description: String { "T=\(tokenCount) D=\(tokenDim) H=\(heads) Dk=\(keyDim)" }
    var tensorCount: Int { keyDim * tokenDim }  // every tensor is [Dk, D] or [D, Dk]
    var parameterCount: Int { 4 * heads * tensorCount }
    var tokenEntries: Int { tokenCount * tokenDim }

    /// Name and flat range of tensor `k` (0 W_Q, 1 W_K, 2 W_V, 3 P) of head `h`.
    func tensor(head h: Int, _ k: Int) -> (name: String, range: Range<Int>) {
        let offset = (4 * h + k) * tensorCount
        return ("head_\(h)/\(HeadWeights<String>.named.all[k])", offset..<(offset + tensorCount))
    }

    func randomParameters(seed: UInt64, std: Double = 0.5) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<parameterCount).map { _ in std * random.normal() }
    }

    func randomTokens(seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<tokenEntries).map { _ in random.normal() }
    }

    /// `delta` for the tokens. Output, cache and scratch start as NaN: the kernel must overwrite
    /// `delta` and must not read what it has not written.
    func delta<Scalar: BinaryFloatingPoint>(parameters: [Scalar], tokens: [Scalar]) -> [Scalar] {
        run(parameters: parameters, tokens: tokens).delta
    }

    func run<Scalar: BinaryFloatingPoint>(parameters: [Scalar], tokens: [Scalar]) -> (delta: [Scalar], cache: [Scalar])
    {
        let (T, D, H, Dk) = (tokenCount, tokenDim, heads, keyDim)
        var cache = [Scalar](
            repeating: .nan, count: SoftmaxAttention.cacheSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk))
        var scratch = [Scalar](
            repeating: .nan, count: SoftmaxAttention.scratchSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk))
        var delta = [Scalar](repeating: .nan, count: T * D)
        parameters.withUnsafeBufferPointer { p in
            tokens.withUnsafeBufferPointer { e in
                let weights = (0..<(4 * H)).map { p.baseAddress! + $0 * tensorCount }
                SoftmaxAttention.forward(
                    tokens: e.baseAddress!, tokenCount: T, tokenDim: D, keyDim: Dk, heads: grouped(weights),
                    cache: &cache, scratch: &scratch, delta: &delta)
            }
        }
        return (delta, cache)
    }

    /// `L = Σ delta ⊙ probe`.
    func loss(parameters: [Double], tokens: [Double], probe: [Double]) -> Double {
        zip(delta(parameters: parameters, tokens: tokens), probe).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Gradients of `L` from one forward and `repeats` backward passes into zeroed buffers.
    func gradients(parameters: [Double], tokens: [Double], probe: [Double], repeats: Int = 1)
        -> (parameters: [Double], tokens: [Double])
    {
        let (T, D, H, Dk) = (tokenCount, tokenDim, heads, keyDim)
        let (_, cache) = run(parameters: parameters, tokens: tokens)
        var scratch = [Double](
            repeating: .nan, count: SoftmaxAttention.scratchSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk))
        var dParameters = [Double](repeating: 0, count: parameterCount)
        var dTokens = [Double](repeating: 0, count: tokenEntries)
        parameters.withUnsafeBufferPointer { p in
            dParameters.withUnsafeMutableBufferPointer { dp in
                let weights = (0..<(4 * H)).map { UnsafePointer(p.baseAddress! + $0 * tensorCount) }
                let gradients = (0..<(4 * H)).map { dp.baseAddress! + $0 * tensorCount }
                for _ in 0..<repeats {
                    SoftmaxAttention.backward(
                        dDelta: probe, tokens: tokens, tokenCount: T, tokenDim: D, keyDim: Dk,
                        heads: grouped(weights), cache: cache, scratch: &scratch,
                        dTokens: &dTokens, gradients: grouped(gradients))
                }
            }
        }
        return (dParameters, dTokens)
    }
}

@Suite("SoftmaxAttention: gradients against finite differences and known values")
struct SoftmaxAttentionTests {
    static let cases = [
        SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 1, keyDim: 3),
        SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 1, keyDim: 4),
        SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3),
        SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 4),
        SoftmaxAttentionCase(tokenCount: 6, tokenDim: 3, heads: 3, keyDim: 2),
        SoftmaxAttentionCase(tokenCount: 2, tokenDim: 3, heads: 1, keyDim: 2),  // one context token: a = 1
    ]

    @Test(arguments: cases)
    func everyParameterAndTokenMatchesFiniteDifferences(shape: SoftmaxAttentionCase) {
        let parameters = shape.randomParameters(seed: 31)
        let tokens = shape.randomTokens(seed: 32)
        let probe = GradientCheck.probe(count: shape.tokenEntries, seed: 33)
        let (dParameters, dTokens) = shape.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let check = GradientCheck()
        for h in 0..<shape.heads {
            for k in 0..<4 {
                let (name, range) = shape.tensor(head: h, k)
                let mismatches = check.compare(
                    tensor: name, values: parameters, analytic: dParameters,
                    indices: Array(range)
                ) {
                    shape.loss(parameters: $0, tokens: tokens, probe: probe)
                }
                #expect(mismatches.isEmpty, "\(shape) \(name): \(mismatches.prefix(3))")
                if shape.tokenCount == 2 && k < 2 {
                    // One context token: a = 1 whatever the scores, so W_Q and W_K get no gradient.
                    #expect(dParameters[range].allSatisfy { $0 == 0 }, "\(shape) \(name)")
                } else {
                    #expect(dParameters[range].contains { $0 != 0 }, "\(shape) \(name): gradient is all zero")
                }
            }
        }
        let mismatches = check.compare(tensor: "tokens", values: tokens, analytic: dTokens) {
            shape.loss(parameters: parameters, tokens: $0, probe: probe)
        }
        #expect(mismatches.isEmpty, "\(shape) tokens: \(mismatches.prefix(3))")
    }

    @Test func backwardTwiceDoublesTheGradients() {
        let shape = SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3)
        shape.expectBackwardTwiceDoubles(
            parameters: shape.randomParameters(seed: 1), tokens: shape.randomTokens(seed: 2))
    }

    @Test func theCheckerCatchesAGradientOffByOnePercent() {
        let shape = SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 1, keyDim: 3)
        shape.expectCheckerCatchesOnePercent(
            parameters: shape.randomParameters(seed: 4), tokens: shape.randomTokens(seed: 5),
            parameter: shape.tensor(head: 0, 1).range.lowerBound + 2,  // an entry of W_K
            token: shape.tokenEntries - 1)  // the query's last
    }

    /// With `W_K = 0` every score is 0, so the weights are uniform over the N context tokens and
    /// `delta_j = Σ_h P_h W_V,h ē` for every token j, with `ē` the mean context token.
    @Test func zeroKeysGiveUniformWeights() {
        let shape = SoftmaxAttentionCase(tokenCount: 6, tokenDim: 4, heads: 2, keyDim: 3)
        let (T, D, Dk) = (shape.tokenCount, shape.tokenDim, shape.keyDim)
        var parameters = shape.randomParameters(seed: 7)
        for h in 0..<shape.heads { for k in shape.tensor(head: h, 1).range { parameters[k] = 0 } }
        let tokens = shape.randomTokens(seed: 8)
        let (delta, cache) = shape.run(parameters: parameters, tokens: tokens)
        var mean = [Double](repeating: 0, count: D)
        for i in 0..<(T - 1) { for k in 0..<D { mean[k] += tokens[i * D + k] / Double(T - 1) } }
        var expected = [Double](repeating: 0, count: D)
        for h in 0..<shape.heads {
            let W_V = Array(parameters[shape.tensor(head: h, 2).range])
            let P = Array(parameters[shape.tensor(head: h, 3).range])
            let v = W_V.matmul(mean, Dk, D, 1)  // W_V ē   [Dk]
            let out = P.matmul(v, D, Dk, 1)  // P W_V ē [D]
            for k in 0..<D { expected[k] += out[k] }
        }
        for j in 0..<T {
            for k in 0..<D {
                #expect(abs(delta[j * D + k] - expected[k]) <= 1e-12, "token \(j) entry \(k)")
            }
        }
        // The attention weights (documented cache layout: Q, K, V, then A [T, N] per head) are 1/N.
        let N = T - 1
        let perHead = cache.count / shape.heads
        for h in 0..<shape.heads {
            let a = h * perHead + T * Dk + 2 * N * Dk
            for k in a..<(a + T * N) { #expect(abs(cache[k] - 1 / Double(N)) <= 1e-15) }
        }
    }

    /// Keys and values exclude the query token, so changing it changes its own output only.
    @Test func theQueryTokenDoesNotInfluenceOtherTokens() {
        let shape = SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3)
        let D = shape.tokenDim
        let parameters = shape.randomParameters(seed: 9)
        let tokens = shape.randomTokens(seed: 10)
        var moved = tokens
        var random = SplitMix64(seed: 11)
        for k in (shape.tokenEntries - D)..<shape.tokenEntries { moved[k] += 3 * random.normal() }
        let before = shape.delta(parameters: parameters, tokens: tokens)
        let after = shape.delta(parameters: parameters, tokens: moved)
        let contextEntries = shape.tokenEntries - D
        #expect(Array(before[0..<contextEntries]) == Array(after[0..<contextEntries]))
        #expect(zip(before[contextEntries...], after[contextEntries...]).contains { abs($0 - $1) > 1e-6 })
    }

    /// Scores in the thousands overflow `exp` unless each row's maximum is subtracted first.
    @Test func largeScoresStayFinite() {
        let shape = SoftmaxAttentionCase(tokenCount: 5, tokenDim: 4, heads: 1, keyDim: 3)
        var parameters = shape.randomParameters(seed: 12)
        for k in shape.tensor(head: 0, 0).range { parameters[k] *= 100 }  // W_Q
        for k in shape.tensor(head: 0, 1).range { parameters[k] *= 100 }  // W_K
        let tokens = shape.randomTokens(seed: 13)
        let deltaD = shape.delta(parameters: parameters, tokens: tokens)
        let deltaF = shape.delta(parameters: parameters.map { Float($0) }, tokens: tokens.map { Float($0) })
        #expect(deltaD.allSatisfy { $0.isFinite })
        #expect(deltaF.allSatisfy { $0.isFinite })
    }

    @Test func floatAndDoubleAgree() {
        let shape = SoftmaxAttentionCase(tokenCount: 11, tokenDim: 11, heads: 2, keyDim: 11)
        let parameters = shape.randomParameters(seed: 14, std: 0.3)
        let tokens = shape.randomTokens(seed: 15)
        let deltaD = shape.delta(parameters: parameters, tokens: tokens)
        let deltaF = shape.delta(parameters: parameters.map { Float($0) }, tokens: tokens.map { Float($0) })
        for k in deltaD.indices {
            #expect(abs(Double(deltaF[k]) - deltaD[k]) <= 1e-5 * max(1, abs(deltaD[k])), "entry \(k)")
        }
    }

    @Test func sizesAndFlopsFollowTheShapes() {
        // T = 5 (N = 4), Dk = 3, H = 2: per head 2·5·3 + 2·4·3 + 5·4 = 74.
        #expect(SoftmaxAttention.cacheSize(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3) == 148)
        #expect(SoftmaxAttention.scratchSize(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3) == 74)
        let one = SoftmaxAttention.flops(tokenCount: 5, tokenDim: 4, heads: 1, keyDim: 3)
        let two = SoftmaxAttention.flops(tokenCount: 5, tokenDim: 4, heads: 2, keyDim: 3)
        #expect(one.forward > 0 && one.backward > one.forward)
        #expect(two.forward == 2 * one.forward && two.backward == 2 * one.backward)
    }
}

@Suite("Softmax attention: the chunked path against the per-task reference")
struct SoftmaxAttentionChunkTests {
    @Test(arguments: [(1, 5, 4, 3), (2, 11, 11, 11), (2, 7, 6, 4)])
    func chunkedEqualsPerTask(heads H: Int, tokenCount T: Int, tokenDim D: Int, keyDim Dk: Int) {
        var random = SplitMix64(seed: UInt64(7 * H + T))
        func values(_ count: Int) -> [Double] { (0..<count).map { _ in 0.5 * random.normal() } }
        let n = 4, task = T * D
        let tokens = values(n * task), G = values(n * task)
        let weightValues = (0..<(4 * H)).map { k in values(k % 4 == 3 ? D * Dk : Dk * D) }
        var gradientsFast = weightValues.map { [Double](repeating: 0, count: $0.count) }, gradientsSlow = gradientsFast
        var fast = [Double](repeating: 0, count: n * task), slow = fast, dEFast = fast, dESlow = fast
        var cache = [Double](repeating: 0, count: n * SoftmaxAttention.chunkCacheSize(tokenCount: T, heads: H))
        var scratch = [Double](
            repeating: 0, count: SoftmaxAttention.chunkScratchSize(tasks: n, tokenCount: T, keyDim: Dk))
        var taskCache = [Double](
            repeating: 0, count: SoftmaxAttention.cacheSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk))
        var taskScratch = [Double](
            repeating: 0, count: SoftmaxAttention.scratchSize(tokenCount: T, tokenDim: D, heads: H, keyDim: Dk))
        let pointers = weightValues.map { v -> UnsafeMutablePointer<Double> in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: v.count)
            p.initialize(from: v, count: v.count)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let w = pointers.map { UnsafePointer($0) }
        func withGradients(_ gradients: inout [[Double]], _ body: ([UnsafeMutablePointer<Double>]) -> Void) {
            let buffers = gradients.map { g -> UnsafeMutablePointer<Double> in
                let p = UnsafeMutablePointer<Double>.allocate(capacity: g.count)
                p.initialize(from: g, count: g.count)
                return p
            }
            body(buffers)
            for k in gradients.indices {
                gradients[k] = Array(UnsafeBufferPointer(start: buffers[k], count: gradients[k].count))
                buffers[k].deallocate()
            }
        }
        SoftmaxAttention.forwardChunk(
            tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, keyDim: Dk, heads: grouped(w),
            cache: &cache, scratch: &scratch, delta: &fast)
        withGradients(&gradientsFast) { g in
            SoftmaxAttention.backwardChunk(
                dDelta: G, tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, keyDim: Dk, heads: grouped(w),
                cache: cache, scratch: &scratch, dTokens: &dEFast, gradients: grouped(g))
        }
        withGradients(&gradientsSlow) { g in
            for i in 0..<n {
                tokens.withUnsafeBufferPointer { e in
                    slow.withUnsafeMutableBufferPointer { out in
                        SoftmaxAttention.forward(
                            tokens: e.baseAddress! + i * task, tokenCount: T, tokenDim: D, keyDim: Dk,
                            heads: grouped(w),
                            cache: &taskCache, scratch: &taskScratch, delta: out.baseAddress! + i * task)
                    }
                    G.withUnsafeBufferPointer { dOut in
                        dESlow.withUnsafeMutableBufferPointer { dE in
                            SoftmaxAttention.backward(
                                dDelta: dOut.baseAddress! + i * task, tokens: e.baseAddress! + i * task,
                                tokenCount: T, tokenDim: D, keyDim: Dk, heads: grouped(w), cache: taskCache,
                                scratch: &taskScratch, dTokens: dE.baseAddress! + i * task, gradients: grouped(g))
                        }
                    }
                }
            }
        }
        for (a, b) in [(fast, slow), (dEFast, dESlow)] + zip(gradientsFast, gradientsSlow).map({ ($0, $1) }) {
            for k in a.indices { #expect(abs(a[k] - b[k]) <= 1e-11 * max(1, abs(b[k]))) }
        }
    }
}

/// Flat `[W_Q, W_K, W_V, P]` per head, as the kernels' named views.
func grouped<Location>(_ flat: [Location]) -> [HeadWeights<Location>] {
    stride(from: 0, to: flat.count, by: 4).map {
        HeadWeights(W_Q: flat[$0], W_K: flat[$0 + 1], W_V: flat[$0 + 2], P: flat[$0 + 3])
    }
}
