import ICLAnalysis
import ICLModels
import ICLTasks
import Testing

@Suite("Spectrum of X Xᵀ and the GD++ eigenvalue map (Appendix A.10)")
struct SpectrumTests {
    @Test func eigenvaluesOfADiagonalGramMatrixAreItsDiagonal() {
        // Inputs x_i = a_i e_i: X Xᵀ = diag(a_i²).
        let d = 4
        let a = [3.0, -0.5, 2.0, 0.1]
        var inputs = [Double](repeating: 0, count: d * d)
        for i in 0..<d { inputs[i * d + i] = a[i] }
        let values = Spectrum.gramEigenvalues(inputs: inputs, count: d, inputDim: d)
        for (v, e) in zip(values, a.map { $0 * $0 }.sorted()) { #expect(abs(v - e) <= 1e-12) }
    }

    @Test func eigenvaluesOfARotatedGramMatrix() {
        // Two inputs (1, 1) and (1, −1): X Xᵀ = 2 I; one input (3, 4): eigenvalues 0 and 25.
        let twice = Spectrum.gramEigenvalues(inputs: [1, 1, 1, -1], count: 2, inputDim: 2)
        #expect(twice.allSatisfy { abs($0 - 2) <= 1e-12 })
        let single = Spectrum.gramEigenvalues(inputs: [3, 4], count: 1, inputDim: 2)
        #expect(abs(single[0]) <= 1e-12 && abs(single[1] - 25) <= 1e-12)
    }

    @Test func theGDPlusPlusMapOnKnownValues() {
        #expect(Spectrum.map(2, gamma: 0) == 2)
        #expect(Spectrum.map(2, gamma: 0.25) == 0.5)  // 2 − 2·0.25·4 + 0.0625·8
        #expect(abs(Spectrum.map(10, gamma: 0.1)) <= 1e-12)  // the root 1/γ
        #expect(abs(Spectrum.map(1 / 0.3, gamma: 0.1) - 4 / 2.7) <= 1e-12)  // the peak f(1/(3γ)) = 4/(27γ)
        #expect(Spectrum.map(3, gamma: 0.5) == 0.75)  // 3 − 9 + 6.75
    }

    @Test func conditionNumbersBeforeAndAfter() {
        #expect(Spectrum.conditionNumber(eigenvalues: [1, 2, 4], gamma: 0) == 4)
        // γ = 0.1: f(1) = 0.81, f(2) = 1.28, f(4) = 1.44.
        #expect(abs(Spectrum.conditionNumber(eigenvalues: [1, 2, 4], gamma: 0.1) - 1.44 / 0.81) <= 1e-12)
        // Over [1, 4] with γ = 0.1 the peak 1/(3γ) = 3.33 is inside: max f = 4/2.7, min f = f(1).
        #expect(abs(Spectrum.conditionBound(low: 1, high: 4, gamma: 0.1) - (4 / 2.7) / 0.81) <= 1e-12)
        // With the root 1/γ = 2 inside [1, 4] some eigenvalue can map to 0: the bound is capped by the floor.
        #expect(Spectrum.conditionBound(low: 1, high: 4, gamma: 0.5) > 1e9)
        #expect(Spectrum.conditionBound(low: 1, high: 4, gamma: 0) == 4)
    }

    @Test func theSpectrumOfTrainingTasksMatchesThePaperScale() {
        // The paper's N = 100 range is [2.87, 17.2] over 10,000 tasks; 500 tasks lie inside a looser one.
        let values = Spectrum.eigenvalues(LinearRegressionTasks(contextSize: 100), count: 500, seed: 0)
        let s = Spectrum.summary(values, contextSize: 100)
        #expect(s.minEigenvalue > 2 && s.maxEigenvalue < 18 && s.medianCondition > 1)
        let curve = Spectrum.conditionCurve(values, contextSize: 100, gammas: [0, 0.03, 0.2])
        #expect(curve.bound[0] == s.conditionBound)
        #expect(curve.bound[1] < curve.bound[0])  // GD++ conditions better at a small γ
        #expect(curve.bestGamma == 0.03)
    }

    @Test func gammaIsReadFromARecurrentGDPlusPlusLayerUpToScale() throws {
        // GD++: W_KQ x-block I, W_PV x-block −γ I and last entry −η/N; stored with W_Q·c, P/c.
        let config = ModelConfig {
            $0.layers = 2; $0.recurrent = true; $0.inputDim = 3; $0.contextSize = 6
        }
        let gd = gdModel(config, etas: [1])
        var parameters = gd.parameters
        let layout = gd.stack.layout
        let (gamma, c): (Float, Float) = (0.12, 2.5)
        let W_V = layout.entry(named: "layer_0/attention/head_0/W_V")!,
            P = layout.entry(named: "layer_0/attention/head_0/P")!
        let W_Q = layout.entry(named: "layer_0/attention/head_0/W_Q")!
        for i in 0..<3 { parameters[W_V.offset + i * 4 + i] = 1; parameters[P.offset + i * 4 + i] = -gamma }
        for k in W_Q.range { parameters[k] *= c }
        for k in P.range { parameters[k] /= c }
        let reading = try Spectrum.gamma(of: TrainedModel(config: config, parameters: parameters))
        #expect(abs(reading.gamma - Double(gamma)) <= 1e-6)
        #expect(abs(reading.beta - Double(c)) <= 1e-6)
        #expect(reading.residual <= 1e-6 && reading.contextSize == 6)
        // Plain GD reads γ = 0 exactly.
        #expect(try Spectrum.gamma(of: gd).gamma == 0)
    }

    @Test func gammaIsNotReadWhereTheModelNeverUsesIt() {
        #expect(throws: AnalysisError.self) {
            try Spectrum.gamma(
                of: gdModel(
                    ModelConfig {
                        $0.layers = 1
                    }, etas: [1]))
        }
        #expect(throws: AnalysisError.self) {
            try Spectrum.gamma(
                of: gdModel(
                    ModelConfig {
                        $0.layers = 2
                    }, etas: [1, 1]))
        }
    }
}
