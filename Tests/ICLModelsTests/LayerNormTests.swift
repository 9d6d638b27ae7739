import ICLMath
import ICLModels
import ICLTestSupport
import Testing

/// One LayerNorm shape, with its parameters in one flat buffer `[scale (D), offset (D)]`.
struct LayerNormCase: CustomStringConvertible, Sendable {
    let tokenCount: Int, tokenDim: Int

    var description: String { "T=\(tokenCount) D=\(tokenDim)" }
    var tokenEntries: Int { tokenCount * tokenDim }
    var scaleRange: Range<Int> { 0..<tokenDim }
    var offsetRange: Range<Int> { tokenDim..<(2 * tokenDim) }

    /// Scale near 1 and offset near 0, both varying by feature.
    func randomParameters(seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<tokenDim).map { _ in 1 + 0.3 * random.normal() } + (0..<tokenDim).map { _ in 0.3 * random.normal() }
    }

    /// Tokens with their own mean and spread, so that centring and scaling both matter.
    func randomTokens(seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        var tokens: [Double] = []
        for _ in 0..<tokenCount {
            let (shift, spread) = (2 * random.normal(), 0.5 + random.uniform())
            tokens += (0..<tokenDim).map { _ in shift + spread * random.normal() }
        }
        return tokens
    }

    /// Normalised tokens and the cache; output and cache start as NaN, so the kernel must write them.
    func run<Scalar: BinaryFloatingPoint>(parameters: [Scalar], tokens: [Scalar]) -> (out: [Scalar], cache: [Scalar]) {
        var cache = [Scalar](repeating: .nan, count: LayerNorm.cacheSize(tokenCount: tokenCount, tokenDim: tokenDim))
        var out = [Scalar](repeating: .nan, count: tokenEntries)
        parameters.withUnsafeBufferPointer { p in
            LayerNorm.forward(
                tokens: tokens, tokenCount: tokenCount, tokenDim: tokenDim,
                scale: p.baseAddress!, offset: p.baseAddress! + tokenDim, cache: &cache, out: &out)
        }
        return (out, cache)
    }

    func loss(parameters: [Double], tokens: [Double], probe: [Double]) -> Double {
        zip(run(parameters: parameters, tokens: tokens).out, probe).reduce(0) { $0 + $1.0 * $1.1 }
    }

    func gradients(parameters: [Double], tokens: [Double], probe: [Double], repeats: Int = 1)
        -> (parameters: [Double], tokens: [Double])
    {
        let (_, cache) = run(parameters: parameters, tokens: tokens)
        var dParameters = [Double](repeating: 0, count: 2 * tokenDim)
        var dTokens = [Double](repeating: 0, count: tokenEntries)
        dParameters.withUnsafeMutableBufferPointer { dp in
            for _ in 0..<repeats {
                LayerNorm.backward(
                    dOut: probe, tokens: tokens, tokenCount: tokenCount, tokenDim: tokenDim,
                    scale: parameters, cache: cache, dTokens: &dTokens,
                    dScale: dp.baseAddress!, dOffset: dp.baseAddress! + tokenDim)
            }
        }
        return (dParameters, dTokens)
    }
}

@Suite("LayerNorm: gradients against finite differences and known values")
struct LayerNormTests {
    static let cases = [
        LayerNormCase(tokenCount: 5, tokenDim: 4),
        LayerNormCase(tokenCount: 3, tokenDim: 7),
        LayerNormCase(tokenCount: 4, tokenDim: 2),
    ]

    @Test(arguments: cases)
    func everyParameterAndTokenMatchesFiniteDifferences(shape: LayerNormCase) {
        let parameters = shape.randomParameters(seed: 41)
        let tokens = shape.randomTokens(seed: 42)
        let probe = GradientCheck.probe(count: shape.tokenEntries, seed: 43)
        let (dParameters, dTokens) = shape.gradients(parameters: parameters, tokens: tokens, probe: probe)
        let mismatches = GradientCheck().compareAll(
            tensors: [("scale", shape.scaleRange), ("offset", shape.offsetRange)], parameters: parameters,
            dParameters: dParameters,
            tokens: tokens, dTokens: dTokens
        ) { shape.loss(parameters: $0, tokens: $1, probe: probe) }
        #expect(mismatches.isEmpty, "\(shape): \(mismatches.prefix(3))")
    }

    @Test func backwardTwiceDoublesTheGradients() {
        let shape = LayerNormCase(tokenCount: 5, tokenDim: 4)
        shape.expectBackwardTwiceDoubles(
            parameters: shape.randomParameters(seed: 1), tokens: shape.randomTokens(seed: 2))
    }

    @Test func theCheckerCatchesAGradientOffByOnePercent() {
        let shape = LayerNormCase(tokenCount: 5, tokenDim: 4)
        shape.expectCheckerCatchesOnePercent(
            parameters: shape.randomParameters(seed: 4), tokens: shape.randomTokens(seed: 5),
            parameter: 1, token: 6)  // scale[1]
    }

    /// With a constant scale s and offset o, each normalised token has mean o and (biased) variance
    /// s² σ²/(σ² + eps) — s² up to the eps.
    @Test func constantScaleAndOffsetGiveMeanOffsetAndVarianceScaleSquared() {
        let shape = LayerNormCase(tokenCount: 6, tokenDim: 9)
        let (s, o) = (1.7, -0.4)
        let parameters = [Double](repeating: s, count: 9) + [Double](repeating: o, count: 9)
        let tokens = shape.randomTokens(seed: 7)
        let (out, _) = shape.run(parameters: parameters, tokens: tokens)
        for t in 0..<6 {
            let row = Array(out[(t * 9)..<(t * 9 + 9)]), input = Array(tokens[(t * 9)..<(t * 9 + 9)])
            let mean = row.reduce(0, +) / 9
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 9
            let inputMean = input.reduce(0, +) / 9
            let inputVariance = input.reduce(0) { $0 + ($1 - inputMean) * ($1 - inputMean) } / 9
            #expect(abs(mean - o) <= 1e-12, "token \(t): mean \(mean)")
            #expect(abs(variance - s * s * inputVariance / (inputVariance + LayerNorm.epsilon)) <= 1e-12, "token \(t)")
            #expect(abs(variance - s * s) <= 1e-4 * s * s, "token \(t): variance \(variance)")
        }
    }

    /// A constant token has zero variance: the output is the offset, finite thanks to eps.
    @Test func aConstantTokenMapsToTheOffset() {
        let shape = LayerNormCase(tokenCount: 1, tokenDim: 5)
        let parameters = shape.randomParameters(seed: 8)
        let (out, _) = shape.run(parameters: parameters, tokens: [Double](repeating: 3.25, count: 5))
        for k in 0..<5 { #expect(abs(out[k] - parameters[5 + k]) <= 1e-12) }
    }

    @Test func floatAndDoubleAgree() {
        let shape = LayerNormCase(tokenCount: 11, tokenDim: 11)
        let parameters = shape.randomParameters(seed: 9), tokens = shape.randomTokens(seed: 10)
        let outD = shape.run(parameters: parameters, tokens: tokens).out
        let outF = shape.run(parameters: parameters.map { Float($0) }, tokens: tokens.map { Float($0) }).out
        for k in outD.indices {
            #expect(abs(Double(outF[k]) - outD[k]) <= 1e-5 * max(1, abs(outD[k])), "entry \(k)")
        }
    }

    @Test func sizesAndFlopsFollowTheShapes() {
        #expect(LayerNorm.cacheSize(tokenCount: 5, tokenDim: 4) == 10)
        let flops = LayerNorm.flops(tokenCount: 5, tokenDim: 4)
        #expect(flops.forward == 185)  // 5·(8·4 + 5)
        #expect(flops.backward == 350)  // 5·(17·4 + 2)
    }
}
