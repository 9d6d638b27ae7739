import Foundation
import ICLMath
import ICLTestSupport
import Testing

@testable import ICLModels

/// One MLP shape, with its parameters in one flat buffer `[W_1 (Dh·D), b_1 (Dh), W_2 (D·Dh), b_2 (D)]`.
struct MultiLayerPerceptronCase: CustomStringConvertible, Sendable {
    let rows: Int, tokenDim: Int, hidden: Int
    var activation = MultiLayerPerceptron.Activation.gelu

    var description: String { "rows=\(rows) D=\(tokenDim) Dh=\(hidden) \(activation)" }
    var tokenEntries: Int { rows * tokenDim }
    /// Names and flat ranges of `W_1, b_1, W_2, b_2`.
    var tensors: [(name: String, range: Range<Int>)] {
        let counts = [hidden * tokenDim, hidden, tokenDim * hidden, tokenDim]
        var offset = 0
        return zip(MLPWeights<String>.named.all, counts).map { name, count in
            defer { offset += count }
            return (name, offset..<(offset + count))
        }
    }
    var parameterCount: Int { tensors.last!.range.upperBound }

    /// Weights and biases of a size that puts the pre-activations across GELU's curved part.
    func randomParameters(seed: UInt64, std: Double = 0.5) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<parameterCount).map { _ in std * random.normal() }
    }

    func randomTokens(seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<tokenEntries).map { _ in random.normal() }
    }

    /// `delta` and the cache; both start as NaN, so the kernel must write them.
    func run<Scalar: BinaryFloatingPoint>(parameters: [Scalar], tokens: [Scalar]) -> (delta: [Scalar], cache: [Scalar])
    {
        let t = tensors
        var cache = [Scalar](repeating: .nan, count: MultiLayerPerceptron.cacheSize(rows: rows, hidden: hidden))
        var delta = [Scalar](repeating: .nan, count: tokenEntries)
        parameters.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            MultiLayerPerceptron.forward(
                tokens: tokens, rows: rows, tokenDim: tokenDim, hidden: hidden, activation: activation,
                W_1: base + t[0].range.lowerBound, b_1: base + t[1].range.lowerBound,
                W_2: base + t[2].range.lowerBound, b_2: base + t[3].range.lowerBound,
                cache: &cache, delta: &delta)
        }
        return (delta, cache)
    }

    func loss(parameters: [Double], tokens: [Double], probe: [Double]) -> Double {
        zip(run(parameters: parameters, tokens: tokens).delta, probe).reduce(0) { $0 + $1.0 * $1.1 }
    }

    func gradients<Scalar: BinaryFloatingPoint>(
        parameters: [Scalar], tokens: [Scalar], probe: [Scalar], repeats: Int = 1
    ) -> (parameters: [Scalar], tokens: [Scalar]) {
        let t = tensors
        let (_, cache) = run(parameters: parameters, tokens: tokens)
        var scratch = [Scalar](repeating: .nan, count: MultiLayerPerceptron.scratchSize(rows: rows, hidden: hidden))
        var dParameters = [Scalar](repeating: 0, count: parameterCount)
        var dTokens = [Scalar](repeating: 0, count: tokenEntries)
        parameters.withUnsafeBufferPointer { p in
            dParameters.withUnsafeMutableBufferPointer { dp in
                let (base, dBase) = (p.baseAddress!, dp.baseAddress!)
                for _ in 0..<repeats {
                    MultiLayerPerceptron.backward(
                        dDelta: probe, tokens: tokens, rows: rows, tokenDim: tokenDim, hidden: hidden,
                        W_1: base + t[0].range.lowerBound, b_1: base + t[1].range.lowerBound,
                        W_2: base + t[2].range.lowerBound, cache: cache, scratch: &scratch, dTokens: &dTokens,
                        dW_1: dBase + t[0].range.lowerBound, dB_1: dBase + t[1].range.lowerBound,
                        dW_2: dBase + t[2].range.lowerBound, dB_2: dBase + t[3].range.lowerBound)
                }
            }
        }
        return (dParameters, dTokens)
    }
}

@Suite("MultiLayerPerceptron: gradients against finite differences and known values")
struct MultiLayerPerceptronTests {
    static let cases = [
        MultiLayerPerceptronCase(rows: 6, tokenDim: 4, hidden: 8),
        MultiLayerPerceptronCase(rows: 1, tokenDim: 3, hidden: 5),
        MultiLayerPerceptronCase(rows: 4, tokenDim: 2, hidden: 8),
        MultiLayerPerceptronCase(rows: 6, tokenDim: 4, hidden: 8, activation: .relu),
        MultiLayerPerceptronCase(rows: 1, tokenDim: 3, hidden: 5, activation: .relu),
    ]

    @Test(arguments: cases)
    func everyParameterAndTokenMatchesFiniteDifferences(shape: MultiLayerPerceptronCase) {
        let parameters = shape.randomParameters(seed: 51)
        let tokens = shape.randomTokens(seed: 52)
        let probe = GradientCheck.probe(count: shape.tokenEntries, seed: 53)
        let (dParameters, dTokens) = shape.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let mismatches = GradientCheck().compareAll(
            tensors: shape.tensors, parameters: parameters, dParameters: dParameters,
            tokens: tokens, dTokens: dTokens
        ) { shape.loss(parameters: $0, tokens: $1, probe: probe) }
        #expect(mismatches.isEmpty, "\(shape): \(mismatches.prefix(3))")
    }

    @Test func backwardTwiceDoublesTheGradients() {
        let shape = MultiLayerPerceptronCase(rows: 6, tokenDim: 4, hidden: 8)
        shape.expectBackwardTwiceDoubles(
            parameters: shape.randomParameters(seed: 1), tokens: shape.randomTokens(seed: 2))
    }

    @Test func theCheckerCatchesAGradientOffByOnePercent() {
        let shape = MultiLayerPerceptronCase(rows: 6, tokenDim: 4, hidden: 8)
        shape.expectCheckerCatchesOnePercent(
            parameters: shape.randomParameters(seed: 4), tokens: shape.randomTokens(seed: 5),
            parameter: shape.tensors[0].range.lowerBound + 5, token: 3)  // an entry of W_1
    }

    @Test func geluKnownValues() {
        #expect(MultiLayerPerceptron.gelu(0.0) == 0)
        // jax.nn.gelu(1.0, approximate=True); the exact (erf) GELU would give 0.8413447…
        #expect(abs(MultiLayerPerceptron.gelu(1.0) - 0.8411919906082768) <= 1e-15)
        #expect(abs(MultiLayerPerceptron.gelu(10.0) - 10) <= 1e-12)  // ≈ x for large x
        #expect(abs(MultiLayerPerceptron.gelu(-10.0)) <= 1e-12)  // ≈ 0 for very negative x
        #expect(abs(MultiLayerPerceptron.gelu(Float(1)) - 0.8411920) <= 1e-6)
        #expect(MultiLayerPerceptron.geluDerivative(0.0) == 0.5)
        #expect(abs(MultiLayerPerceptron.geluDerivative(10.0) - 1) <= 1e-12)
        for step in -40...40 {
            let x = Double(step) / 8
            // GELU(x) − GELU(−x) = x holds for the tanh form too (tanh is odd).
            #expect(abs(MultiLayerPerceptron.gelu(x) - MultiLayerPerceptron.gelu(-x) - x) <= 1e-14)
            let h = 1e-5
            let numeric = (MultiLayerPerceptron.gelu(x + h) - MultiLayerPerceptron.gelu(x - h)) / (2 * h)
            #expect(abs(MultiLayerPerceptron.geluDerivative(x) - numeric) <= 1e-9, "x = \(x)")
        }
    }

    /// ReLU zeroes the negative pre-activations: with `W_1 = 0` the hidden layer is `max(b_1, 0)`.
    @Test func reluKeepsThePositiveBiases() {
        let shape = MultiLayerPerceptronCase(rows: 2, tokenDim: 3, hidden: 4, activation: .relu)
        var parameters = [Double](repeating: 0, count: shape.parameterCount)
        for (k, b) in zip(shape.tensors[1].range, [-1.0, 2, -3, 4]) { parameters[k] = b }
        for k in shape.tensors[2].range { parameters[k] = 1 }  // W_2 = ones: delta_k = Σ hidden
        let (delta, cache) = shape.run(parameters: parameters, tokens: shape.randomTokens(seed: 3))
        #expect(Array(cache[0..<4]) == [0, 2, 0, 4])
        #expect(Array(cache[8..<12]) == [0, 1, 0, 1])  // σ′ kept for backward
        #expect(delta == [Double](repeating: 6, count: 6))
    }

    /// With `W_2 = 0` every token's delta is `b_2`.
    @Test func zeroOutputWeightsGiveTheOutputBias() {
        let shape = MultiLayerPerceptronCase(rows: 3, tokenDim: 4, hidden: 8)
        var parameters = shape.randomParameters(seed: 7)
        for k in shape.tensors[2].range { parameters[k] = 0 }
        let (delta, _) = shape.run(parameters: parameters, tokens: shape.randomTokens(seed: 8))
        let b_2 = Array(parameters[shape.tensors[3].range])
        for r in 0..<3 { #expect(Array(delta[(r * 4)..<(r * 4 + 4)]) == b_2) }
    }

    /// Tokens are independent: a chunk of rows gives, row by row, what each row gives alone.
    @Test func aChunkEqualsItsRowsOneByOne() {
        let chunk = MultiLayerPerceptronCase(rows: 5, tokenDim: 4, hidden: 8)
        let single = MultiLayerPerceptronCase(rows: 1, tokenDim: 4, hidden: 8)
        let parameters = chunk.randomParameters(seed: 9), tokens = chunk.randomTokens(seed: 10)
        let delta = chunk.run(parameters: parameters, tokens: tokens).delta
        for r in 0..<5 {
            let alone = single.run(parameters: parameters, tokens: Array(tokens[(r * 4)..<(r * 4 + 4)])).delta
            #expect(Array(delta[(r * 4)..<(r * 4 + 4)]) == alone)
        }
    }

    @Test func floatAndDoubleAgree() {
        let shape = MultiLayerPerceptronCase(rows: 11, tokenDim: 11, hidden: 44)
        let parameters = shape.randomParameters(seed: 11, std: 0.3), tokens = shape.randomTokens(seed: 12)
        let deltaD = shape.run(parameters: parameters, tokens: tokens).delta
        let deltaF = shape.run(parameters: parameters.map { Float($0) }, tokens: tokens.map { Float($0) }).delta
        for k in deltaD.indices {
            #expect(abs(Double(deltaF[k]) - deltaD[k]) <= 1e-5 * max(1, abs(deltaD[k])), "entry \(k)")
        }
    }

    @Test func sizesAndFlopsFollowTheShapes() {
        #expect(MultiLayerPerceptron.cacheSize(rows: 6, hidden: 8) == 96)
        #expect(MultiLayerPerceptron.scratchSize(rows: 6, hidden: 8) == 48)
        let flops = MultiLayerPerceptron.flops(rows: 6, tokenDim: 4, hidden: 8)
        #expect(flops.forward == 1200)  // 4·6·4·8 + 9·6·8
        #expect(flops.backward == 2568)  // 8·6·4·8 + 6·4 + 21·6·8
    }
}

@Suite("Float tanh for GELU")
struct FastTanhTests {
    @Test func fastTanhIsWithinAFewUlpOfTheTrueTanh() {
        var worst = 0.0
        var x = -12.0
        while x <= 12 {
            let exact = _tanh(x)
            let fast = Double(MultiLayerPerceptron.fastTanh(Float(x)))
            worst = max(worst, abs(fast - exact))
            x += 0.001
        }
        #expect(worst < 5e-7, "max |fastTanh − tanh| = \(worst)")
        #expect(MultiLayerPerceptron.fastTanh(0) == 0)
        #expect(MultiLayerPerceptron.fastTanh(30) <= 1 && MultiLayerPerceptron.fastTanh(-30) >= -1)
    }
}

/// The Float paths of the MLP (eight-lane GELU with fused multiply-adds, column sums in registers,
/// the tokens' gradient added straight onto `G`) against the plain formulas in Double.
@Suite("MultiLayerPerceptron: Float fast paths against the Double formulas")
struct MultiLayerPerceptronFastPathTests {
    /// Both errors in units of 2⁻²³ · max(1, |x|) (one ulp of max(1, |x|)).
    static func geluErrors(_ x: Double) -> (value: Double, derivative: Double) {
        let fast = MultiLayerPerceptron.geluWithDerivative(Float(x))
        let exact = MultiLayerPerceptron.geluWithDerivative(Double(Float(x)))
        let ulp = 0x1p-23 * max(1, abs(Double(Float(x))))
        return (abs(Double(fast.value) - exact.value) / ulp, abs(Double(fast.derivative) - exact.derivative) / 0x1p-23)
    }

    /// GELU within 2 ulp of max(1, |x|) and GELU′ within 40 ulp of 1 (4.8e-6), on [−30, 30] every 2⁻¹⁰
    /// and at ±10³…±10¹⁸ (where x² is still finite in Float: GELU is x or 0 there, GELU′ 1 or 0).
    /// GELU′'s error is `fastTanh`'s (≤ 5e-7) times `x c (1 + 3a x²)`, largest where t is near ±1: the
    /// term-by-term form measured 31 ulp, the fused one 36 (at x ≈ 5).
    @Test func geluAndItsDerivativeAreWithinTheirUlpBounds() {
        var worst = (value: 0.0, derivative: 0.0)
        var points = stride(from: -30.0, through: 30, by: 0x1p-10).map { $0 }
        for e in 3...18 { points += [pow(10, Double(e)), -pow(10, Double(e))] }
        for x in points {
            let error = Self.geluErrors(x)
            worst = (max(worst.value, error.value), max(worst.derivative, error.derivative))
        }
        #expect(worst.value <= 2, "GELU: \(worst.value) ulp")
        #expect(worst.derivative <= 40, "GELU′: \(worst.derivative) ulp")
        for e in 3...18 {
            let x = Float(pow(10, Double(e)))
            #expect(MultiLayerPerceptron.geluWithDerivative(x) == (x, 1))
            #expect(MultiLayerPerceptron.geluWithDerivative(-x) == (0, 0))
        }
    }

    /// The bounds are tight enough to fail: GELU off by 3e-7 at x = 0.7 or GELU′ by 1e-5 is caught.
    @Test func theUlpBoundsCatchSmallErrors() {
        let x = 0.7, exact = MultiLayerPerceptron.geluWithDerivative(Double(Float(x)))
        let fast = MultiLayerPerceptron.geluWithDerivative(Float(x))
        #expect(abs(Double(fast.value) + 3e-7 - exact.value) / 0x1p-23 > 2)
        #expect(abs(Double(fast.derivative) + 1e-5 - exact.derivative) / 0x1p-23 > 40)
    }

    /// `activate` (GELU, GELU′ over whole rows at once) meets the same bounds entry by entry, and
    /// `fill` repeats the bias exactly, for widths that are and are not multiples of eight.
    @Test(arguments: [1, 5, 8, 11, 44, 160])
    func activateMatchesTheFormulaEntryByEntry(hidden: Int) {
        let rows = 7
        var random = SplitMix64(seed: UInt64(hidden))
        let pre = (0..<(rows * hidden)).map { _ in Float(3 * random.normal()) }
        let bias = (0..<hidden).map { _ in Float(random.normal()) }
        var activation = (0..<(rows * hidden)).map { pre[$0] + bias[$0 % hidden] }
        var derivative = [Float](repeating: .nan, count: rows * hidden)
        MultiLayerPerceptron.activate(&activation, derivative: &derivative, count: rows * hidden, σ: .gelu)
        var filled = [Float](repeating: .nan, count: rows * hidden)
        MultiLayerPerceptron.fill(&filled, rows: rows, with: bias, hidden)
        #expect(filled == (0..<(rows * hidden)).map { bias[$0 % hidden] })
        for j in pre.indices {
            let exact = MultiLayerPerceptron.geluWithDerivative(Double(pre[j] + bias[j % hidden]))
            let scale = 0x1p-23 * max(1, abs(Double(pre[j] + bias[j % hidden])))
            #expect(abs(Double(activation[j]) - exact.value) <= 2 * scale, "entry \(j)")
            #expect(abs(Double(derivative[j]) - exact.derivative) <= 40 * 0x1p-23, "entry \(j)")
        }
    }

    /// `sumRows` in Float gives the scalar loop's bits (rows in order), scaled entries included,
    /// for every column count's mix of 32-wide, 8-wide and part-filled groups and of 16-row blocks.
    @Test(arguments: [1, 3, 8, 11, 40, 44, 45, 64, 65, 160])
    func sumRowsEqualsTheScalarLoop(columns: Int) {
        for rows in [1, 2, 7, 130] {  // 130: nine blocks of rows, the last part-filled
            var random = SplitMix64(seed: UInt64(100 * columns + rows))
            let x = (0..<(rows * columns)).map { _ in Float(random.normal()) }
            let scale = (0..<(rows * columns)).map { _ in Float(random.normal()) }
            let start = (0..<columns).map { _ in Float(random.normal()) }
            var scaled = x, expectedScaled = x, expectedSum = start, expectedPlain = start
            for r in 0..<rows {
                for k in 0..<columns {
                    expectedScaled[r * columns + k] *= scale[r * columns + k]
                    expectedSum[k] += expectedScaled[r * columns + k]
                    expectedPlain[k] += x[r * columns + k]
                }
            }
            var sum = start, plainSum = start, plain = x
            MultiLayerPerceptron.sumRows(&scaled, scaledBy: scale, rows: rows, columns: columns, into: &sum)
            MultiLayerPerceptron.sumRows(&plain, rows: rows, columns: columns, into: &plainSum)
            #expect(sum == expectedSum, "rows \(rows)")
            #expect(scaled == expectedScaled, "rows \(rows)")
            #expect(plainSum == expectedPlain && plain == x, "rows \(rows)")
        }
    }

    /// Backward with `dTokens` = `G` (the residual block's use) leaves `G + dX`.
    @Test func theTokensGradientMayBeAddedOntoG() {
        let shape = MultiLayerPerceptronCase(rows: 5, tokenDim: 4, hidden: 8)
        let parameters = shape.randomParameters(seed: 21), tokens = shape.randomTokens(seed: 22)
        let probe = GradientCheck.probe(count: shape.tokenEntries, seed: 23)
        let (dParameters, dTokens) = shape.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let t = shape.tensors, (_, cache) = shape.run(parameters: parameters, tokens: tokens)
        var scratch = [Double](repeating: 0, count: MultiLayerPerceptron.scratchSize(rows: 5, hidden: 8))
        var G = probe, dAliased = [Double](repeating: 0, count: shape.parameterCount)
        parameters.withUnsafeBufferPointer { p in
            dAliased.withUnsafeMutableBufferPointer { dp in
                G.withUnsafeMutableBufferPointer { g in
                    let (base, dBase, gBase) = (p.baseAddress!, dp.baseAddress!, g.baseAddress!)
                    MultiLayerPerceptron.backward(
                        dDelta: gBase, tokens: tokens, rows: 5, tokenDim: 4, hidden: 8,
                        W_1: base + t[0].range.lowerBound, b_1: base + t[1].range.lowerBound,
                        W_2: base + t[2].range.lowerBound, cache: cache, scratch: &scratch, dTokens: gBase,
                        dW_1: dBase + t[0].range.lowerBound, dB_1: dBase + t[1].range.lowerBound,
                        dW_2: dBase + t[2].range.lowerBound, dB_2: dBase + t[3].range.lowerBound)
                }
            }
        }
        #expect(dAliased == dParameters)
        for k in G.indices { #expect(abs(G[k] - (probe[k] + dTokens[k])) <= 1e-12, "entry \(k)") }
    }

    /// The whole backward in Float against Double at the 12-block model's widths (gradients 1e-4).
    @Test func floatAndDoubleGradientsAgree() {
        let shape = MultiLayerPerceptronCase(rows: 11, tokenDim: 11, hidden: 44)
        let parameters = shape.randomParameters(seed: 31, std: 0.3), tokens = shape.randomTokens(seed: 32)
        let probe = GradientCheck.probe(count: shape.tokenEntries, seed: 33)
        let double = shape.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let float = shape.gradients(
            parameters: parameters.map { Float($0) }, tokens: tokens.map { Float($0) }, probe: probe.map { Float($0) })
        for (a, b) in [(float.parameters, double.parameters), (float.tokens, double.tokens)] {
            let scale = b.map { abs($0) }.max()!
            for k in b.indices { #expect(abs(Double(a[k]) - b[k]) <= 1e-4 * scale, "entry \(k)") }
        }
    }
}

