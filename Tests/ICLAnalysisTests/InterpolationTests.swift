import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

/// A model of `config` with the GD construction's weights.
func gdModel(_ config: ModelConfig, etas: [Double]) -> TrainedModel {
    TrainedModel(config: config, parameters: Construction.gradientDescent(config, etas: etas).map { Float($0) })
}

/// `|a − b| ≤ tolerance · max(1, |a|, |b|)`.
func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

@Suite("Interpolation between scale-corrected products (Appendix A.3)")
struct InterpolationTests {
    let batch = LinearRegressionTasks().sample(count: 300, seed: 1, stream: RandomStream.evaluation, as: Float.self)

    @Test(arguments: [(1, false), (2, true), (2, false)])
    func theGDConstructionWithItselfIsFlat(layers: Int, recurrent: Bool) throws {
        let config = ModelConfig {
            $0.layers = layers; $0.recurrent = recurrent
        }
        let gd = gdModel(config, etas: Array(repeating: recurrent ? 0.8 : 0.9, count: config.parameterLayers))
        let curve = try Interpolation.curve(gd, gd, alphas: Interpolation.alphas(count: 5), on: batch)
        #expect(curve.betasA.allSatisfy { $0 == 1 })
        for loss in curve.losses + [curve.midpointLoss, curve.lossB] { #expect(close(loss, curve.lossA, 1e-6)) }
        #expect(close(curve.midpointAlignment.sensitivityCosine, 1, 1e-6))
    }

    @Test func theCorrectionUndoesARescaledConstruction() throws {
        // W_Q·s makes W_KQ·s, P/s makes W_PV/s: the same function with other products.
        let config = ModelConfig { $0.layers = 1 }
        let gd = gdModel(config, etas: [1.3])
        let s: Float = 0.37
        var parameters = gd.parameters
        for name in ["W_Q", "P"] {
            let entry = gd.stack.layout.entry(named: "layer_0/attention/head_0/" + name)!
            for k in entry.range { parameters[k] *= name == "W_Q" ? s : 1 / s }
        }
        let rescaled = TrainedModel(config: config, parameters: parameters)
        #expect(close(try WeightProducts.of(rescaled)[0].W_KQ[0], Double(s), 1e-6))
        let corrected = try Interpolation.correctedProducts(rescaled)[0]
        let reference = try WeightProducts.of(gd)[0]
        #expect(close(corrected.scaleCorrection!, Double(s), 1e-6))
        for k in reference.W_KQ.indices {
            #expect(abs(corrected.W_KQ[k] - reference.W_KQ[k]) <= 1e-6)
            #expect(abs(corrected.W_PV[k] - reference.W_PV[k]) <= 1e-6)
        }
        // And so interpolating it with the construction is flat.
        let curve = try Interpolation.curve(rescaled, gd, alphas: [0, 0.5, 1], on: batch)
        for loss in curve.losses { #expect(close(loss, curve.lossB, 1e-5)) }
    }

    @Test func theEndsOfTheCurveAreTheModelsThemselves() throws {
        // Random weights, not a construction: the product model at α = 0 computes A's function.
        let config = ModelConfig {
            $0.layers = 2; $0.recurrent = true
        }
        let a = TrainedModel(
            config: config, parameters: AttentionStack(config).layout.initialValues(seed: 3, scale: 0.5))
        let b = gdModel(config, etas: [0.6])
        let curve = try Interpolation.curve(a, b, alphas: [0, 1], on: batch)
        #expect(close(curve.losses[0], curve.lossA, 1e-4))
        #expect(close(curve.losses[1], curve.lossB, 1e-6))
        #expect(!close(curve.lossA, curve.lossB, 1e-2))
    }

    @Test func multiHeadAndMismatchedModelsAreRejectedWithTheReason() throws {
        let twoHeads = ModelConfig {
            $0.layers = 1; $0.heads = 2
        }
        let reason = try #require(Interpolation.inapplicability(twoHeads))
        #expect(reason.contains("single-head") && reason.contains("2 heads"))
        let model = TrainedModel(
            config: twoHeads, parameters: AttentionStack(twoHeads).layout.initialValues(seed: 1, scale: 1))
        #expect(throws: AnalysisError.self) { try Interpolation.correctedProducts(model) }

        let one = gdModel(ModelConfig { $0.layers = 1 }, etas: [1])
        let recurrent = gdModel(
            ModelConfig {
                $0.layers = 2; $0.recurrent = true
            }, etas: [1])
        let problem = try #require(Interpolation.incompatibility(one.config, recurrent.config))
        #expect(problem.contains("--recurrent"))
        #expect(throws: AnalysisError.self) { try Interpolation.curve(one, recurrent, alphas: [0, 1], on: batch) }
    }

    @Test func aZeroDiagonalCannotBeCorrected() {
        let config = ModelConfig { $0.layers = 1 }
        let zero = TrainedModel(
            config: config, parameters: [Float](repeating: 0, count: AttentionStack(config).layout.count))
        #expect(throws: AnalysisError.self) { try Interpolation.correctedProducts(zero) }
    }
}
