import ICLAnalysis
import ICLModels
import Testing

@Suite("W_KQ = W_Kᵀ W_Q and W_PV = P W_V per layer and head (Figures 9, 11)")
struct WeightProductsTests {
    @Test func theGDConstructionHasTheProposition1Products() throws {
        let config = ModelConfig {
            $0.layers = 2; $0.inputDim = 3; $0.contextSize = 5
        }
        let products = try WeightProducts.of(gdModel(config, etas: [0.5, 2]))
        #expect(products.map(\.layer) == [0, 1])
        let D = 4
        for (p, eta) in zip(products, [0.5, 2.0]) {
            for i in 0..<D {
                for j in 0..<D {
                    #expect(p.W_KQ[i * D + j] == (i == j && i < 3 ? 1 : 0))
                    let pv = i == 3 && j == 3 ? -eta / 5 : 0
                    #expect(abs(p.W_PV[i * D + j] - pv) <= 1e-7)
                }
            }
        }
    }

    @Test func productsFollowThePaperOrientation() throws {
        // W_K, W_Q with distinct entries: W_KQ[i][j] = Σ_k W_K[k][i] W_Q[k][j], W_PV[i][j] = Σ_k P[i][k] W_V[k][j].
        let config = ModelConfig {
            $0.layers = 1; $0.inputDim = 1; $0.outputDim = 1; $0.contextSize = 2; $0.keyDim = 3
        }
        let layout = AttentionStack(config).layout
        var parameters = [Float](repeating: 0, count: layout.count)
        for k in parameters.indices { parameters[k] = Float(k % 7) - 3 }
        let model = TrainedModel(config: config, parameters: parameters)
        let p = try WeightProducts.of(model)[0]
        func weight(_ name: String, _ r: Int, _ c: Int, columns: Int) -> Double {
            Double(parameters[layout.entry(named: "layer_0/attention/head_0/" + name)!.offset + r * columns + c])
        }
        for i in 0..<2 {
            for j in 0..<2 {
                let kq = (0..<3).map { weight("W_K", $0, i, columns: 2) * weight("W_Q", $0, j, columns: 2) }.reduce(
                    0, +)
                let pv = (0..<3).map { weight("P", i, $0, columns: 3) * weight("W_V", $0, j, columns: 2) }.reduce(0, +)
                #expect(p.W_KQ[i * 2 + j] == kq)
                #expect(p.W_PV[i * 2 + j] == pv)
            }
        }
    }

    @Test func summingTwoHeadsWeighsEachW_KQByItsLastW_PVEntry() throws {
        // Head 0: the GD construction with η = 1 (W_PV[−1,−1] = −η/N); head 1: the same with W_Q·2
        // and P·(−3), so W_KQ,1 = 2·W_KQ,0 and W_PV,1[−1,−1] = +3η/N.
        let config = ModelConfig {
            $0.layers = 1; $0.heads = 2; $0.inputDim = 2; $0.contextSize = 4
        }
        let layout = AttentionStack(config).layout
        let single = Construction.gradientDescent(
            ModelConfig {
                $0.layers = 1; $0.inputDim = 2; $0.contextSize = 4
            }, etas: [1])
        let singleLayout = AttentionStack(
            ModelConfig {
                $0.layers = 1; $0.inputDim = 2; $0.contextSize = 4
            }
        ).layout
        var parameters = [Float](repeating: 0, count: layout.count)
        for head in 0..<2 {
            for name in ["W_Q", "W_K", "W_V", "P"] {
                let source = singleLayout.entry(named: "layer_0/attention/head_0/" + name)!
                let target = layout.entry(named: "layer_0/attention/head_\(head)/" + name)!
                let factor: Double = head == 0 ? 1 : (name == "W_Q" ? 2 : (name == "P" ? -3 : 1))
                for (s, t) in zip(source.range, target.range) { parameters[t] = Float(single[s] * factor) }
            }
        }
        let products = try WeightProducts.of(TrainedModel(config: config, parameters: parameters))
        let summed = try WeightProducts.sumHeads(products)
        #expect(summed.count == 1)
        #expect(summed[0].weights.map { ($0 * 1e6).rounded() / 1e6 } == [-0.25, 0.75])
        // Σ_h w_h W_KQ,h = −0.25·I_x + 0.75·2·I_x = 1.25·I_x
        let D = 3
        for i in 0..<D {
            for j in 0..<D { #expect(abs(summed[0].matrix[i * D + j] - (i == j && i < 2 ? 1.25 : 0)) <= 1e-6) }
        }

        #expect(throws: AnalysisError.self) {
            try WeightProducts.sumHeads(
                WeightProducts.of(
                    gdModel(
                        ModelConfig {
                            $0.layers = 1
                        }, etas: [1])))
        }
    }

    @Test func scaleCorrectionKeepsTheProductOfTheTwo() throws {
        var p = try WeightProducts.of(
            gdModel(
                ModelConfig {
                    $0.layers = 1; $0.inputDim = 2; $0.contextSize = 3
                }, etas: [1.5]))[0]
        p.W_KQ = p.W_KQ.map { $0 * -4 }
        let corrected = try p.scaleCorrected(inputDim: 2)
        #expect(corrected.scaleCorrection == -4)
        #expect(corrected.W_KQ[0] == 1 && corrected.W_PV[8] == -4 * p.W_PV[8])
    }
}

@Suite("Weight products of a model with an embedding")
struct EmbeddedWeightProductsTests {
    /// The sine models embed tokens before attention: the products live in the embedding's width
    /// (the bug was reading them at the token width and failing on W_Q's shape).
    @Test func productsUseTheEmbeddingWidth() throws {
        let config = ModelConfig {
            $0.architecture = .transformer; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 4
            $0.keyDim = 5; $0.mlpHidden = 7; $0.mlpFirst = true; $0.embeddingDim = 5
        }
        let layout = AttentionStack(config).layout
        let parameters = (0..<layout.count).map { Float($0 % 5) - 2 }
        let products = try WeightProducts.of(TrainedModel(config: config, parameters: parameters))
        #expect(products.count == 1)
        #expect(products[0].tokenDim == 5 && products[0].W_KQ.count == 25 && products[0].W_PV.count == 25)
    }
}
