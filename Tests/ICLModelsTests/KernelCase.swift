import ICLTestSupport
import Testing

/// One kernel at one shape, probed through `L = Σ output ⊙ probe` (LayerNorm, MLP and softmax
/// attention cases): what the checks every kernel gets need from it.
protocol KernelCase {
    var tokenEntries: Int { get }
    func loss(parameters: [Double], tokens: [Double], probe: [Double]) -> Double
    /// Gradients from one forward and `repeats` backward passes into zeroed buffers.
    func gradients(parameters: [Double], tokens: [Double], probe: [Double], repeats: Int) -> (
        parameters: [Double], tokens: [Double]
    )
}

extension KernelCase {
    /// The backward adds into its gradient buffers: run twice, every gradient doubles.
    func expectBackwardTwiceDoubles(
        parameters: [Double], tokens: [Double], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let probe = GradientCheck.probe(count: tokenEntries, seed: 3)
        let once = gradients(parameters: parameters, tokens: tokens, probe: probe, repeats: 1)
        let twice = gradients(parameters: parameters, tokens: tokens, probe: probe, repeats: 2)
        #expect(
            GradientCheck.firstNotDoubled(once: once.parameters, twice: twice.parameters) == nil,
            sourceLocation: sourceLocation)
        #expect(
            GradientCheck.firstNotDoubled(once: once.tokens, twice: twice.tokens) == nil, sourceLocation: sourceLocation
        )
    }

    /// The finite-difference checker is sharp enough: a gradient entry made 1 % wrong, in the
    /// parameters (`parameter`) and in the tokens (`token`), is flagged, and nothing else is.
    func expectCheckerCatchesOnePercent(
        parameters: [Double], tokens: [Double], parameter k: Int, token t: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let probe = GradientCheck.probe(count: tokenEntries, seed: 6)
        var (dParameters, dTokens) = gradients(parameters: parameters, tokens: tokens, probe: probe, repeats: 1)
        let check = GradientCheck()
        dParameters[k] *= 1.01
        #expect(
            check.compare(tensor: "parameters", values: parameters, analytic: dParameters) {
                loss(parameters: $0, tokens: tokens, probe: probe)
            }.map(\.index) == [k], sourceLocation: sourceLocation)
        dTokens[t] *= 1.01
        #expect(
            check.compare(tensor: "tokens", values: tokens, analytic: dTokens) {
                loss(parameters: parameters, tokens: $0, probe: probe)
            }.map(\.index) == [t], sourceLocation: sourceLocation)
    }
}

extension LayerNormCase: KernelCase {}
extension MultiLayerPerceptronCase: KernelCase {}
extension SoftmaxAttentionCase: KernelCase {}
