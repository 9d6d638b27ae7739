import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

@Suite("Repeating one layer with dampened target updates (Appendix A.6)")
struct RolloutTests {
    let batch = LinearRegressionTasks().sample(count: 200, seed: 2, stream: RandomStream.evaluation, as: Float.self)

    @Test(arguments: [0.75, 1.0, 0.3])
    func theGDConstructionRolledOutIsDampedGradientDescent(lambda: Double) throws {
        let eta = 1.7
        let layer = gdModel(ModelConfig { $0.layers = 1 }, etas: [eta])
        let steps = 12
        let rolled = Rollout.predictions(layer, on: batch, steps: steps, lambda: lambda)
        #expect(rolled.count == steps + 1)
        #expect(rolled[0].allSatisfy { $0 == 0 })
        let exact = batch.converted(to: Double.self)
        for k in 1...steps {
            // k steps of GD with learning rate λη, computed directly in Double.
            let gd = GradientDescent.predict(exact, inputDim: 10, etas: Array(repeating: lambda * eta, count: k))
            var worst = 0.0
            for b in gd.indices { worst = max(worst, abs(Double(rolled[k][b]) - gd[b]) / max(1, abs(gd[b]))) }
            #expect(worst <= 1e-5, "step \(k): largest relative difference \(worst)")
        }
        let curve = Rollout.curve(name: "gd", layer, on: batch, steps: steps, lambda: lambda)
        let direct = GradientDescent.predict(exact, inputDim: 10, etas: Array(repeating: lambda * eta, count: steps))
        #expect(
            close(
                curve.losses[steps], GradientDescent.loss(predictions: direct, targets: exact.targets, count: 200), 1e-5
            ))
        #expect(curve.losses[steps] < curve.losses[1])
    }

    @Test func oneLayerIsTakenOutOfASeparateLayerStack() throws {
        let stack = gdModel(ModelConfig { $0.layers = 3 }, etas: [0.5, 2, 4])
        let second = try Rollout.singleLayer(stack, layer: 1)
        #expect(second.config.layers == 1)
        #expect(second.parameters == gdModel(ModelConfig { $0.layers = 1 }, etas: [2]).parameters)
        #expect(throws: AnalysisError.self) { try Rollout.singleLayer(stack, layer: 3) }
    }

    @Test func onlyTheTargetsMove() throws {
        // Random weights move x too when applied normally; the rollout keeps x and damps only y.
        let config = ModelConfig { $0.layers = 1 }
        let model = TrainedModel(
            config: config, parameters: AttentionStack(config).layout.initialValues(seed: 5, scale: 1))
        let one = Rollout.predictions(model, on: batch, steps: 1, lambda: 0.5)[1]
        let full = model.stack.forward(
            parameters: model.parameters, tokens: batch.tokens, count: batch.count,
            workspace: model.stack.makeWorkspace(batchSize: batch.count, as: Float.self))
        // After one application ŷ = −(0 + λ·Δy_q) = λ·(−Δy_q) = λ·ŷ_full (the query's y starts at 0).
        for b in 0..<batch.count { #expect(abs(one[b] - 0.5 * full[b]) <= 1e-5 * max(1, abs(full[b]))) }
    }
}
