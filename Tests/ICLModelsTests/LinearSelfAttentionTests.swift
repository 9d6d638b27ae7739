import ICLMath
import ICLModels
import Testing

@Suite("Linear attention: the chunked query-only path against the per-task reference")
struct LinearSelfAttentionTests {
    @Test(arguments: [(1, 5, 4), (2, 11, 11), (3, 7, 6)])
    func chunkedQueriesEqualThePerTaskKernels(heads H: Int, tokenCount T: Int, tokenDim D: Int) {
        var random = SplitMix64(seed: UInt64(H * 100 + T))
        func values(_ count: Int) -> [Double] { (0..<count).map { _ in random.normal() } }
        let n = 6, task = T * D, DD = D * D
        let tokens = values(n * task), M = values(H * DD), K = values(H * DD), G = values(n * task)
        var scratch = [Double](
            repeating: 0, count: LinearSelfAttention.queriesScratchSize(tasks: n, tokenDim: D) + 4 * DD)
        // Forward: the query rows.
        var fast = [Double](repeating: 0, count: n * task), slow = fast
        LinearSelfAttention.forwardQueries(
            tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K,
            scratch: &scratch, delta: &fast)
        for i in 0..<n {
            slow.withUnsafeMutableBufferPointer { out in
                tokens.withUnsafeBufferPointer { e in
                    LinearSelfAttention.forwardQuery(
                        tokens: e.baseAddress! + i * task, tokenCount: T, tokenDim: D, heads: H,
                        M: M, K: K, scratch: &scratch, delta: out.baseAddress! + i * task + (T - 1) * D)
                }
            }
        }
        for k in fast.indices { #expect(abs(fast[k] - slow[k]) <= 1e-12 * max(1, abs(slow[k]))) }
        // Backward: input gradients and the products' gradients.
        var dEFast = [Double](repeating: 0, count: n * task), dESlow = dEFast
        var dMFast = [Double](repeating: 0, count: H * DD), dMSlow = dMFast, dKFast = dMFast, dKSlow = dMFast
        LinearSelfAttention.backwardQueries(
            dOut: G, tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K,
            scratch: &scratch, dE: &dEFast, dM: &dMFast, dK: &dKFast)
        for i in 0..<n {
            G.withUnsafeBufferPointer { g in
                tokens.withUnsafeBufferPointer { e in
                    dESlow.withUnsafeMutableBufferPointer { dE in
                        LinearSelfAttention.backwardQuery(
                            dOut: g.baseAddress! + i * task + (T - 1) * D, tokens: e.baseAddress! + i * task,
                            tokenCount: T, tokenDim: D, heads: H, M: M, K: K, scratch: &scratch,
                            dE: dE.baseAddress! + i * task, dM: &dMSlow, dK: &dKSlow)
                    }
                }
            }
        }
        for (a, b) in [(dEFast, dESlow), (dMFast, dMSlow), (dKFast, dKSlow)] {
            for k in a.indices { #expect(abs(a[k] - b[k]) <= 1e-12 * max(1, abs(b[k]))) }
        }
    }

    @Test(arguments: [(1, 5, 4), (2, 11, 11), (4, 7, 6)])
    func theChunkedFullLayerEqualsThePerTaskKernels(heads H: Int, tokenCount T: Int, tokenDim D: Int) {
        var random = SplitMix64(seed: UInt64(H * 1000 + T))
        func values(_ count: Int) -> [Double] { (0..<count).map { _ in random.normal() } }
        let n = 5, task = T * D, DD = D * D
        let tokens = values(n * task), M = values(H * DD), K = values(H * DD), G = values(n * task)
        var scratch = [Double](
            repeating: 0, count: LinearSelfAttention.chunkScratchSize(tasks: n, tokenCount: T, tokenDim: D, heads: H))
        var cache = [Double](repeating: 0, count: n * DD)
        var fast = [Double](repeating: 0, count: n * task)
        LinearSelfAttention.forwardChunk(
            tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K,
            cache: &cache, scratch: &scratch, delta: &fast)
        var dEFast = [Double](repeating: 0, count: n * task)
        var dMFast = [Double](repeating: 0, count: H * DD), dKFast = dMFast
        LinearSelfAttention.backwardChunk(
            dOut: G, tokens: tokens, tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K,
            cache: cache, scratch: &scratch, dE: &dEFast, dM: &dMFast, dK: &dKFast)
        var slow = [Double](repeating: 0, count: n * task), dESlow = slow
        var dMSlow = [Double](repeating: 0, count: H * DD), dKSlow = dMSlow
        var C = [Double](repeating: 0, count: DD), A = C, reference = [Double](repeating: 0, count: 4 * DD)
        for i in 0..<n {
            tokens.withUnsafeBufferPointer { e in
                slow.withUnsafeMutableBufferPointer { out in
                    LinearSelfAttention.forward(
                        tokens: e.baseAddress! + i * task, tokenCount: T, tokenDim: D, heads: H, M: M, K: K,
                        C: &C, A: &A, scratch: &reference, delta: out.baseAddress! + i * task)
                }
                G.withUnsafeBufferPointer { g in
                    dESlow.withUnsafeMutableBufferPointer { dE in
                        LinearSelfAttention.backward(
                            dOut: g.baseAddress! + i * task, tokens: e.baseAddress! + i * task, tokenCount: T,
                            tokenDim: D, heads: H, M: M, K: K, C: C, A: A, scratch: &reference,
                            dE: dE.baseAddress! + i * task, dM: &dMSlow, dK: &dKSlow)
                    }
                }
            }
        }
        for (a, b) in [(fast, slow), (dEFast, dESlow), (dMFast, dMSlow), (dKFast, dKSlow)] {
            for k in a.indices { #expect(abs(a[k] - b[k]) <= 1e-11 * max(1, abs(b[k]))) }
        }
    }
}

@Suite("Linear attention: FLOPs counted from the shapes")
struct LinearSelfAttentionFlopsTests {
    @Test func fullLayerCountsEveryProduct() {
        // T = 3 (N = 2), D = 2, one head: forward 2·N·D² + 6·T·D² = 16 + 72; backward 12·T·D² = 144
        // for the weights, plus 4·T·D² + 2·N·D² = 64 for the tokens.
        let f = LinearSelfAttention.flops(tokenCount: 3, tokenDim: 2, heads: 1, queryOnly: false)
        #expect(f.forward == 88 && f.backward == 208)
        #expect(
            LinearSelfAttention.flops(tokenCount: 3, tokenDim: 2, heads: 1, queryOnly: false, tokenGradient: false)
                .backward == 144)
        let two = LinearSelfAttention.flops(tokenCount: 3, tokenDim: 2, heads: 2, queryOnly: false)
        #expect(two.forward == 16 + 2 * 72 && two.backward == 2 * 144 + 2 * 48 + 16)
    }

    @Test func stackCountsTokenGradientsOnlyWhenAsked() {
        let stack = AttentionStack(
            ModelConfig {
                $0.layers = 1; $0.heads = 1
            })
        let training = stack.flops(count: 10), analysis = stack.flops(count: 10, tokenGradients: true)
        #expect(training.forward == analysis.forward && training.backward < analysis.backward)
    }
}
