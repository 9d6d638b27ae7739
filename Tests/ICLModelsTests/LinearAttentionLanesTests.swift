import ICLLanes
import ICLMath
import ICLModels
import Testing

/// The lane kernels (Float, SIMD across tasks) at every lane width this CPU runs, against the
/// per-task reference kernels in Double. Task counts that are not a multiple of the lanes check the
/// part-filled last group. Errors are relative to the reference's norm: outputs 1e-5, gradients 1e-4.
@Suite("Linear attention: the lane kernels against the Double reference")
struct LinearAttentionLanesTests {
    static let widths = LaneWidth.supported == 16 ? [8, 16] : [8]
    /// (H, T, D); (1, 21, 21) is alternating-2's second layer (tokens with positions, wider than 16);
    /// (4, 11, 11) is mlp-12-4head's. From (2, 7, 6) on, the full layer contracts its heads.
    static let shapes = [(1, 11, 11), (2, 7, 6), (3, 5, 4), (1, 21, 21), (3, 11, 11), (4, 11, 11), (4, 25, 21)]

    struct Case {
        let H: Int, T: Int, D: Int, n: Int
        let tokens: [Double], M: [Double], K: [Double], G: [Double]
        init(_ shape: (Int, Int, Int), tasks: Int = 21) {
            (H, T, D) = shape
            n = tasks
            var random = SplitMix64(seed: UInt64(100 * shape.0 + shape.1))
            func values(_ count: Int) -> [Double] { (0..<count).map { _ in random.normal() } }
            tokens = values(n * T * D); M = values(H * D * D); K = values(H * D * D); G = values(n * T * D)
        }
        var task: Int { T * D }
        var products: Int { H * D * D }
        func layer(
            _ scratch: UnsafeMutablePointer<Float>, _ M: UnsafePointer<Float>, _ K: UnsafePointer<Float>,
            S: UnsafePointer<Float>?, kept: UnsafeMutablePointer<Float>? = nil
        ) -> LaneLayer {
            LaneLayer(tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K, scratch: scratch, S: S, kept: kept)
        }
        var scratchSize: Int {
            LinearAttentionLanes.scratchSize(lanes: 16, tasks: n, tokenCount: T, tokenDim: D, heads: H)
        }
    }

    static func relativeError(_ a: [Float], _ b: [Double]) -> Double {
        let difference = zip(a, b).map { (Double($0) - $1) * (Double($0) - $1) }.reduce(0, +).squareRoot()
        return difference / max(b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-30)
    }

    /// Per-task reference: delta, then the backward (dE, dM, dK) from G.
    static func reference(_ c: Case, queryOnly: Bool) -> (delta: [Double], dE: [Double], dM: [Double], dK: [Double]) {
        var delta = [Double](repeating: 0, count: c.n * c.task), dE = delta
        var dM = [Double](repeating: 0, count: c.products), dK = dM
        var C = [Double](repeating: 0, count: c.D * c.D), A = C, scratch = [Double](repeating: 0, count: 4 * c.D * c.D)
        for i in 0..<c.n {
            c.tokens.withUnsafeBufferPointer { tokens in
                c.G.withUnsafeBufferPointer { G in
                    delta.withUnsafeMutableBufferPointer { delta in
                        dE.withUnsafeMutableBufferPointer { dE in
                            let e = tokens.baseAddress! + i * c.task, g = G.baseAddress! + i * c.task
                            let out = delta.baseAddress! + i * c.task, dEi = dE.baseAddress! + i * c.task,
                                q = (c.T - 1) * c.D
                            if queryOnly {
                                LinearSelfAttention.forwardQuery(
                                    tokens: e, tokenCount: c.T, tokenDim: c.D, heads: c.H, M: c.M, K: c.K,
                                    scratch: &scratch, delta: out + q)
                                LinearSelfAttention.backwardQuery(
                                    dOut: g + q, tokens: e, tokenCount: c.T, tokenDim: c.D, heads: c.H,
                                    M: c.M, K: c.K, scratch: &scratch, dE: dEi, dM: &dM, dK: &dK)
                            } else {
                                LinearSelfAttention.forward(
                                    tokens: e, tokenCount: c.T, tokenDim: c.D, heads: c.H, M: c.M, K: c.K,
                                    C: &C, A: &A, scratch: &scratch, delta: out)
                                LinearSelfAttention.backward(
                                    dOut: g, tokens: e, tokenCount: c.T, tokenDim: c.D, heads: c.H, M: c.M,
                                    K: c.K, C: C, A: A, scratch: &scratch, dE: dEi, dM: &dM, dK: &dK)
                            }
                        }
                    }
                }
            }
        }
        return (delta, dE, dM, dK)
    }

    /// The lane kernels at `lanes`, in Float; the backward runs twice (once without dE) to check it
    /// adds. `givenS`: where the full layer contracts the heads, S and Sᵀ come from `contract`
    /// rather than from each call. `kept`: room for A from the forward to the backward (NaN before).
    static func lanes(
        _ c: Case, lanes: Int, queryOnly: Bool, givenS: Bool = false, kept: UnsafeMutablePointer<Float>? = nil
    )
        -> (delta: [Float], dE: [Float], dM: [Float], dK: [Float], dMWithoutTokens: [Float])
    {
        let kernels = LaneWidth.kernels(lanes)
        let tokens = c.tokens.map { Float($0) }, G = c.G.map { Float($0) }
        var delta = [Float](repeating: 0, count: c.n * c.task), dE = delta
        var dM = [Float](repeating: 0, count: c.products), dK = dM, dM2 = dM, dK2 = dM
        // The layer holds pointers: buffers that outlive it.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c.scratchSize),
            M = UnsafeMutablePointer<Float>.allocate(capacity: c.products)
        let K = UnsafeMutablePointer<Float>.allocate(capacity: c.products)
        defer { scratch.deallocate(); M.deallocate(); K.deallocate() }
        scratch.initialize(repeating: .nan, count: c.scratchSize)
        for k in 0..<c.products { M[k] = Float(c.M[k]); K[k] = Float(c.K[k]) }
        let DD = c.D * c.D, S = UnsafeMutablePointer<Float>.allocate(capacity: DD * (DD + c.D))
        let table = UnsafeMutablePointer<Float>.allocate(capacity: DD * DD)
        defer { S.deallocate(); table.deallocate() }
        LinearAttentionLanes.contract(M: M, K: K, tokenDim: c.D, heads: c.H, table: table, into: S)
        let layer = c.layer(scratch, M, K, S: givenS ? UnsafePointer(S) : nil, kept: kept)
        if queryOnly {
            kernels.forwardQueries(layer, tokens, &delta)
            kernels.backwardQueries(layer, G, tokens, &dE, &dM, &dK)
            kernels.backwardQueries(layer, G, tokens, nil, &dM2, &dK2)
        } else {
            kernels.forward(layer, tokens, &delta)
            kernels.backward(layer, G, tokens, &dE, &dM, &dK)
            kernels.backward(layer, G, tokens, nil, &dM2, &dK2)
        }
        #expect(dK == dK2)
        return (delta, dE, dM, dK, dM2)
    }

    @Test(arguments: widths, shapes)
    func theFullLayerMatches(lanes: Int, shape: (Int, Int, Int)) {
        let c = Case(shape)
        let slow = Self.reference(c, queryOnly: false), fast = Self.lanes(c, lanes: lanes, queryOnly: false)
        #expect(Self.relativeError(fast.delta, slow.delta) < 1e-5)
        #expect(Self.relativeError(fast.dE, slow.dE) < 1e-4)
        #expect(Self.relativeError(fast.dM, slow.dM) < 1e-4)
        #expect(Self.relativeError(fast.dK, slow.dK) < 1e-4)
        #expect(fast.dM == fast.dMWithoutTokens)
    }

    @Test(arguments: widths, shapes)
    func theQueryOnlyLayerMatches(lanes: Int, shape: (Int, Int, Int)) {
        let c = Case(shape)
        let slow = Self.reference(c, queryOnly: true), fast = Self.lanes(c, lanes: lanes, queryOnly: true)
        // Only the query rows are written.
        for i in 0..<c.n { for k in 0..<((c.T - 1) * c.D) { #expect(fast.delta[i * c.task + k] == 0) } }
        #expect(Self.relativeError(fast.delta, slow.delta) < 1e-5)
        #expect(Self.relativeError(fast.dE, slow.dE) < 1e-4)
        #expect(Self.relativeError(fast.dM, slow.dM) < 1e-4)
        #expect(Self.relativeError(fast.dK, slow.dK) < 1e-4)
        #expect(fast.dM == fast.dMWithoutTokens)
    }

    /// Which full layers contract their heads: from three heads on at the zoo's shape (T = D = 11);
    /// one and two heads keep the head-by-head kernels (and the demo its figures).
    @Test func theHeadsAreContractedFromThreeOn() {
        #expect(!LinearAttentionLanes.contractsHeads(tokenCount: 11, tokenDim: 11, heads: 1))
        #expect(!LinearAttentionLanes.contractsHeads(tokenCount: 11, tokenDim: 11, heads: 2))
        #expect(LinearAttentionLanes.contractsHeads(tokenCount: 11, tokenDim: 11, heads: 3))
        #expect(LinearAttentionLanes.contractsHeads(tokenCount: 11, tokenDim: 11, heads: 4))
        #expect(!LinearAttentionLanes.contractsHeads(tokenCount: 21, tokenDim: 21, heads: 1))
        #expect(LinearAttentionLanes.contractsHeads(tokenCount: 25, tokenDim: 21, heads: 4))
    }

    /// S given once per step (as the stack does) is the S each call builds: the same Floats.
    @Test(arguments: widths)
    func theContractedLayerTakesSGiven(lanes: Int) {
        let c = Case((4, 11, 11), tasks: 19)
        let built = Self.lanes(c, lanes: lanes, queryOnly: false)
        let given = Self.lanes(c, lanes: lanes, queryOnly: false, givenS: true)
        #expect(built.delta == given.delta && built.dE == given.dE)
        #expect(built.dM == given.dM && built.dK == given.dK)
    }

    /// A kept by the forward for each whole group is the A the backward forms otherwise: the same
    /// Floats out, with the groups' A written (a part-filled last group keeps none).
    @Test(arguments: widths)
    func theContractedLayerKeepsAForTheBackward(lanes: Int) {
        let c = Case((4, 11, 11), tasks: 37), DD = c.D * c.D
        let kept = UnsafeMutablePointer<Float>.allocate(capacity: c.n * DD)
        defer { kept.deallocate() }
        kept.initialize(repeating: .nan, count: c.n * DD)
        let formed = Self.lanes(c, lanes: lanes, queryOnly: false, givenS: true)
        let reused = Self.lanes(c, lanes: lanes, queryOnly: false, givenS: true, kept: kept)
        #expect(formed.delta == reused.delta && formed.dE == reused.dE)
        #expect(formed.dM == reused.dM && formed.dK == reused.dK)
        let whole = c.n / lanes * lanes * DD
        #expect((0..<whole).allSatisfy { !kept[$0].isNaN })
        #expect((whole..<(c.n * DD)).allSatisfy { kept[$0].isNaN })
    }

    /// The contracted layer's Float gradients against central differences of the Double reference's
    /// loss `L = Σ delta ⊙ G` (dc's factor 2 on the diagonal, S's two terms off it): within 1e-4 of
    /// the gradient's norm, for M, K and every token.
    @Test(arguments: widths)
    func theContractedGradientsMatchFiniteDifferences(lanes: Int) {
        let c = Case((3, 6, 5), tasks: lanes + 3)
        #expect(LinearAttentionLanes.contractsHeads(tokenCount: c.T, tokenDim: c.D, heads: c.H))
        let fast = Self.lanes(c, lanes: lanes, queryOnly: false)
        func loss(_ tokens: [Double], _ M: [Double], _ K: [Double]) -> Double {
            var delta = [Double](repeating: 0, count: c.task), C = [Double](repeating: 0, count: c.D * c.D), A = C
            var scratch = [Double](repeating: 0, count: 4 * c.D * c.D), L = 0.0
            for i in 0..<c.n {
                let e = Array(tokens[(i * c.task)..<((i + 1) * c.task)])
                LinearSelfAttention.forward(
                    tokens: e, tokenCount: c.T, tokenDim: c.D, heads: c.H, M: M, K: K, C: &C, A: &A,
                    scratch: &scratch, delta: &delta)
                for k in 0..<c.task { L += delta[k] * c.G[i * c.task + k] }
            }
            return L
        }
        func differences(_ values: [Double], _ L: ([Double]) -> Double) -> [Double] {
            values.indices.map { k in
                var plus = values, minus = values
                plus[k] += 1e-5; minus[k] -= 1e-5
                return (L(plus) - L(minus)) / 2e-5
            }
        }
        let dM = differences(c.M) { loss(c.tokens, $0, c.K) }, dK = differences(c.K) { loss(c.tokens, c.M, $0) }
        let dE = differences(c.tokens) { loss($0, c.M, c.K) }
        #expect(Self.relativeError(fast.dM, dM) < 1e-4)
        #expect(Self.relativeError(fast.dK, dK) < 1e-4)
        #expect(Self.relativeError(fast.dE, dE) < 1e-4)
    }

    /// The sharpness of the comparison: a reference with one gradient entry 1 % off fails it.
    @Test func theComparisonCatchesOnePercent() {
        let c = Case((1, 11, 11))
        var slow = Self.reference(c, queryOnly: false)
        let fast = Self.lanes(c, lanes: 8, queryOnly: false)
        let k = slow.dM.indices.max { abs(slow.dM[$0]) < abs(slow.dM[$1]) }!
        slow.dM[k] *= 1.01
        #expect(Self.relativeError(fast.dM, slow.dM) > 1e-4)
    }
}
