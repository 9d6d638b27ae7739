import ICLLanes
import ICLMath
import ICLModels
import ICLTestSupport
import Testing

/// The MLP block's lane kernels (Float, SIMD across consecutive tokens) at every lane width this
/// CPU runs, against the OpenBLAS path in Double (`MultiLayerPerceptronCase`). Row counts that are
/// not a multiple of the lanes check the part-filled last group. Errors are relative to the
/// reference's norm: outputs 1e-5, gradients 1e-4.
@Suite("MLP: the lane kernels against the Double reference")
struct MLPLanesTests {
    static let widths = LinearAttentionLanesTests.widths
    /// mlp-12-4head's block (D = 11, Dh = 44) with more rows than one block of groups, a hidden
    /// width that is not a multiple of eight, alternating-2's 21-wide tokens, fewer rows than one
    /// group, and ReLU.
    static let cases = [
        MultiLayerPerceptronCase(rows: 150, tokenDim: 11, hidden: 44),
        MultiLayerPerceptronCase(rows: 37, tokenDim: 11, hidden: 13),
        MultiLayerPerceptronCase(rows: 29, tokenDim: 5, hidden: 20),
        MultiLayerPerceptronCase(rows: 23, tokenDim: 21, hidden: 30),
        MultiLayerPerceptronCase(rows: 3, tokenDim: 11, hidden: 44),
        MultiLayerPerceptronCase(rows: 41, tokenDim: 11, hidden: 44, activation: .relu),
    ]

    /// The lane kernels at `lanes` in Float: delta, then the backward twice (with the tokens'
    /// gradient, then without it) from `probe`, and once more with the tokens' gradient added onto
    /// the probe itself (`dX` = `G`, as the stack passes it). Gradients as `MultiLayerPerceptronCase.gradients`.
    static func lanes(
        _ c: MultiLayerPerceptronCase, lanes: Int, parameters: [Double], tokens: [Double], probe: [Double]
    )
        -> (
            delta: [Float], dParameters: [Float], dTokens: [Float], dParametersWithoutTokens: [Float],
            probePlusDTokens: [Float]
        )
    {
        let kernels = LaneWidth.kernels(lanes), t = c.tensors
        let size = MultiLayerPerceptron.laneScratchSize(tokenDim: c.tokenDim, hidden: c.hidden)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: c.parameterCount)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: size)
        defer { p.deallocate(); scratch.deallocate() }
        scratch.initialize(repeating: .nan, count: size)
        for k in 0..<c.parameterCount { p[k] = Float(parameters[k]) }
        let e = tokens.map { Float($0) }, G = probe.map { Float($0) }
        var delta = [Float](repeating: .nan, count: c.tokenEntries),
            dTokens = [Float](repeating: 0, count: c.tokenEntries)
        var dParameters = [Float](repeating: 0, count: c.parameterCount), dParameters2 = dParameters
        let layer = MLPLaneLayer(
            rows: c.rows, tokenDim: c.tokenDim, hidden: c.hidden, relu: c.activation == .relu,
            W_1: p + t[0].range.lowerBound, b_1: p + t[1].range.lowerBound, W_2: p + t[2].range.lowerBound,
            b_2: p + t[3].range.lowerBound, scratch: scratch)
        kernels.mlpForward(layer, e, &delta)
        for (dX, buffer) in [(true, 0), (false, 1)] {
            var d = buffer == 0 ? dParameters : dParameters2
            d.withUnsafeMutableBufferPointer { d in
                let base = d.baseAddress!
                dTokens.withUnsafeMutableBufferPointer { dT in
                    kernels.mlpBackward(
                        layer, G, e, dX ? dT.baseAddress! : nil, base + t[0].range.lowerBound,
                        base + t[1].range.lowerBound, base + t[2].range.lowerBound, base + t[3].range.lowerBound)
                }
            }
            if buffer == 0 { dParameters = d } else { dParameters2 = d }
        }
        let GX = UnsafeMutablePointer<Float>.allocate(capacity: c.tokenEntries)
        let unused = UnsafeMutablePointer<Float>.allocate(capacity: c.parameterCount)
        defer { GX.deallocate(); unused.deallocate() }
        GX.initialize(from: G, count: c.tokenEntries)
        unused.initialize(repeating: 0, count: c.parameterCount)
        kernels.mlpBackward(
            layer, GX, e, GX, unused + t[0].range.lowerBound, unused + t[1].range.lowerBound,
            unused + t[2].range.lowerBound, unused + t[3].range.lowerBound)
        return (delta, dParameters, dTokens, dParameters2, Array(UnsafeBufferPointer(start: GX, count: c.tokenEntries)))
    }

    @Test(arguments: widths, cases)
    func theBlockMatches(lanes: Int, c: MultiLayerPerceptronCase) {
        let parameters = c.randomParameters(seed: 61), tokens = c.randomTokens(seed: 62)
        let probe = GradientCheck.probe(count: c.tokenEntries, seed: 63)
        let slow = c.run(parameters: parameters, tokens: tokens).delta
        let slowGradients = c.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let fast = Self.lanes(c, lanes: lanes, parameters: parameters, tokens: tokens, probe: probe)
        #expect(LinearAttentionLanesTests.relativeError(fast.delta, slow) < 1e-5, "\(c)")
        #expect(LinearAttentionLanesTests.relativeError(fast.dTokens, slowGradients.tokens) < 1e-4, "\(c)")
        for (name, range) in c.tensors {
            let error = LinearAttentionLanesTests.relativeError(
                Array(fast.dParameters[range]), Array(slowGradients.parameters[range]))
            #expect(error < 1e-4, "\(c) \(name)")
        }
        #expect(fast.dParameters == fast.dParametersWithoutTokens)
        // dX = G: every read of G comes before the write, so the result is G + dX, bit for bit.
        #expect(fast.probePlusDTokens == zip(probe, fast.dTokens).map { Float($0) + $1 })
    }

    /// The Float gradients against central differences of the Double loss `Σ delta ⊙ probe`.
    @Test(arguments: widths)
    func theGradientsMatchFiniteDifferences(lanes: Int) {
        let c = MultiLayerPerceptronCase(rows: lanes + 5, tokenDim: 5, hidden: 12)
        let parameters = c.randomParameters(seed: 71), tokens = c.randomTokens(seed: 72)
        let probe = GradientCheck.probe(count: c.tokenEntries, seed: 73)
        let fast = Self.lanes(c, lanes: lanes, parameters: parameters, tokens: tokens, probe: probe)
        func differences(_ values: [Double], _ L: ([Double]) -> Double) -> [Double] {
            values.indices.map { k in
                var plus = values, minus = values
                plus[k] += 1e-5; minus[k] -= 1e-5
                return (L(plus) - L(minus)) / 2e-5
            }
        }
        let dParameters = differences(parameters) { c.loss(parameters: $0, tokens: tokens, probe: probe) }
        let dTokens = differences(tokens) { c.loss(parameters: parameters, tokens: $0, probe: probe) }
        #expect(LinearAttentionLanesTests.relativeError(fast.dParameters, dParameters) < 1e-4)
        #expect(LinearAttentionLanesTests.relativeError(fast.dTokens, dTokens) < 1e-4)
    }

    /// The hand-over: Float with lane scratch goes through the lanes (σ and σ′ are not written to
    /// the cache), without it through OpenBLAS (they are); both give the same delta within 1e-5.
    @Test func theBlockHandsOverToTheLanesWithLaneScratch() {
        guard LaneWidth.current > 0 else { return }
        let c = MultiLayerPerceptronCase(rows: 20, tokenDim: 11, hidden: 44)
        let parameters = c.randomParameters(seed: 81).map { Float($0) },
            tokens = c.randomTokens(seed: 82).map { Float($0) }
        let t = c.tensors
        var scratch = [Float](repeating: 0, count: MultiLayerPerceptron.laneScratchSize(tokenDim: 11, hidden: 44))
        var cache = [Float](repeating: .nan, count: MultiLayerPerceptron.cacheSize(rows: c.rows, hidden: c.hidden))
        var delta = [Float](repeating: .nan, count: c.tokenEntries)
        parameters.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            MultiLayerPerceptron.forward(
                tokens: tokens, rows: c.rows, tokenDim: 11, hidden: 44, W_1: base + t[0].range.lowerBound,
                b_1: base + t[1].range.lowerBound, W_2: base + t[2].range.lowerBound,
                b_2: base + t[3].range.lowerBound, cache: &cache, delta: &delta, laneScratch: &scratch)
        }
        #expect(cache.allSatisfy { $0.isNaN })
        let reference = c.run(parameters: parameters, tokens: tokens)
        #expect(!reference.cache.contains { $0.isNaN })
        #expect(LinearAttentionLanesTests.relativeError(delta, reference.delta.map { Double($0) }) < 1e-5)
    }

    /// The comparison's sharpness: one weight-gradient entry 1 % off fails it.
    @Test func theComparisonCatchesOnePercent() {
        let c = Self.cases[0]
        let parameters = c.randomParameters(seed: 61), tokens = c.randomTokens(seed: 62)
        let probe = GradientCheck.probe(count: c.tokenEntries, seed: 63)
        var slow = c.gradients(parameters: parameters, tokens: tokens, probe: probe).parameters
        let fast = Self.lanes(c, lanes: 8, parameters: parameters, tokens: tokens, probe: probe)
        let range = c.tensors[0].range
        let k = range.max { abs(slow[$0]) < abs(slow[$1]) }!
        slow[k] *= 1.01
        #expect(LinearAttentionLanesTests.relativeError(Array(fast.dParameters[range]), Array(slow[range])) > 1e-4)
    }

    /// The lanes' tanh and GELU against the eight-lane ones of the OpenBLAS path (a true division):
    /// within 2.5e-7 (a few ulp of values of order 1), times |x|³ for the derivative (its
    /// `x (1 − t²) x²` term magnifies tanh's rounding).
    @Test func geluIsTheOpenBLASPathsOne() {
        for step in -1000...1000 {
            let x = SIMD8<Float>(repeating: Float(step) / 90)
            let lanes = MLPLanes.geluWithDerivative(x), reference = MultiLayerPerceptron.geluWithDerivative(x)
            let scale = max(1, abs(x[0]))
            #expect(abs(lanes.value[0] - reference.value[0]) <= 2.5e-7 * scale, "x = \(x[0])")
            #expect(
                abs(lanes.derivative[0] - reference.derivative[0]) <= 2.5e-7 * scale * scale * scale, "x = \(x[0])")
            #expect(abs(MLPLanes.fastTanh(x)[0] - MultiLayerPerceptron.fastTanh(x)[0]) <= 2.5e-7, "x = \(x[0])")
        }
    }

    /// `reciprocal` over the range `fastTanh` divides by (its denominator is at least 4.9e-3).
    @Test func theReciprocalIsWithinTwoUlp() {
        var worst: Float = 0
        var q: Float = 4.8e-3
        while q < 1e6 {
            worst = max(worst, abs(MLPLanes.reciprocal(SIMD8(repeating: q))[0] * q - 1))
            q *= 1.0007
        }
        #expect(worst < 2.4e-7, "max |q r − 1| = \(worst)")
    }
}
