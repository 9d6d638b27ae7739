import ICLMath
import ICLModels
import ICLTestSupport
import Testing

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

    func gradients(parameters: [Double], tokens: [Double], probe: [Double], repeats: Int = 1)
        -> (parameters: [Double], tokens: [Double])
    {
        let t = tensors
        let (_, cache) = run(parameters: parameters, tokens: tokens)
        var scratch = [Double](repeating: .nan, count: MultiLayerPerceptron.scratchSize(rows: rows, hidden: hidden))
        var dParameters = [Double](repeating: 0, count: parameterCount)
        var dTokens = [Double](repeating: 0, count: tokenEntries)
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
