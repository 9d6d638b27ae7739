import ICLMath
import ICLModels
import ICLTasks

/// The loss of a model made of one layer applied again and again (Appendix A.6, Figures 1 and 10).
/// `losses[k]` is the loss after k applications; `losses[0]` is before any (ŷ = 0).
public struct RolloutCurve: Codable, Equatable, Sendable {
    public var name: String
    public var lambda: Double
    public var tasks: Int
    public var losses: [Double]

    public init(name: String, lambda: Double, tasks: Int, losses: [Double]) {
        self.name = name
        self.lambda = lambda
        self.tasks = tasks
        self.losses = losses
    }
}

/// Repeating one trained linear self-attention layer with dampening (Appendix A.6).
///
/// Each application computes the layer's update `Δe_j` of every token (context and query, as in
/// training), then moves only the targets: `y_j ← y_j + λ·Δy_j`; the inputs `x_j` stay as they were.
/// This is the paper's `y_test + λ P V Kᵀ W_Q x_test`: the update rule the layer learned, damped,
/// and nothing else — a trained layer's x-rows of `W_PV` are never used in training (the query's x
/// is not read after the last layer) and would otherwise drift the inputs over 50 applications.
/// For the GD construction `Δx = 0` anyway, and k applications are exactly k steps of GD with
/// learning rate `λ·η` (the context targets become the residuals `y_i − W x_i`).
public enum Rollout {
    /// Layer `layer` of `model` as a one-layer model (its weights renamed to `layer_0`). Throws for
    /// models that are not linear self-attention only, or for a layer that does not exist.
    public static func singleLayer(_ model: TrainedModel, layer: Int) throws -> TrainedModel {
        let config = model.config
        if config.architecture != .lsa {
            throw AnalysisError(
                "rollout repeats one linear self-attention layer; this model is '\(config.architecture.rawValue)'")
        }
        guard (0..<config.parameterLayers).contains(layer) else {
            throw AnalysisError(
                "the model has \(config.parameterLayers) parameter layer(s); there is no layer \(layer)")
        }
        var single = config
        single.layers = 1
        single.recurrent = false
        // An lsa model's weights are its parameters (weightLayout == layout): copy layer `layer`'s
        // views onto the one-layer model's, weight by weight.
        let stack = AttentionStack(single)
        var parameters = [Float](repeating: 0, count: stack.layout.count)
        for (target, source) in zip(stack.weights.layers[0].all, model.stack.weights.layers[layer].all) {
            let range = stack.layout.entry(at: target)!.range
            parameters.replaceSubrange(range, with: model.parameters[source..<(source + range.count)])
        }
        return TrainedModel(config: single, parameters: parameters)
    }

    /// Predictions `[B, outputDim]` after 0, 1, …, `steps` applications of the one-layer `model`
    /// with dampening `lambda` (see the type's comment).
    public static func predictions(
        _ model: TrainedModel, on batch: TaskBatch<Float>, steps: Int, lambda: Double,
        sliceSize: Int = 4_096
    ) -> [[Float]] {
        let c = model.config
        precondition(c.layers == 1, "Rollout.predictions: a one-layer model (see singleLayer)")
        precondition(steps >= 0, "Rollout.predictions: steps must not be negative")
        let D = c.tokenDim, T = c.tokenCount, d = c.inputDim, o = c.outputDim
        let damping = Float(lambda)
        var out = [[Float]](repeating: [], count: steps + 1)
        let workspace = model.stack.makeWorkspace(batchSize: min(sliceSize, batch.count), as: Float.self)
        workspace.computeAllTokens = true
        for part in batch.slices(of: sliceSize) {
            var tokens = part.tokens
            func record(_ k: Int) {
                for b in 0..<part.count {
                    let query = (b * T + c.contextSize) * D + d
                    for j in 0..<o { out[k].append(-tokens[query + j]) }
                }
            }
            record(0)
            if steps > 0 {
                for k in 1...steps {
                    _ = model.stack.forward(
                        parameters: model.parameters, tokens: tokens, count: part.count, workspace: workspace)
                    let next = workspace.outputTokens()
                    for row in 0..<(part.count * T) {
                        for j in d..<(d + o) {
                            let i = row * D + j
                            tokens[i] += damping * (next[i] - tokens[i])
                        }
                    }
                    record(k)
                }
            }
        }
        return out
    }

    /// The loss after 0, 1, …, `steps` applications (see `predictions`).
    public static func curve(
        name: String, _ model: TrainedModel, on batch: TaskBatch<Float>,
        steps: Int, lambda: Double
    ) -> RolloutCurve {
        let losses = predictions(model, on: batch, steps: steps, lambda: lambda).map {
            Evaluation.loss(predictions: $0, on: batch)
        }
        return RolloutCurve(name: name, lambda: lambda, tasks: batch.count, losses: losses)
    }
}
