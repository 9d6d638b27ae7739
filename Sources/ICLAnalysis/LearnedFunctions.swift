import Foundation
import ICLModels
import ICLTasks

/// Figure 4(a): the functions models on sine tasks have learned, for one task, over a grid of query
/// inputs x. Each model has two: its *initial* function, the prediction before the in-context step
/// (the paper: "the initial (meta-learned) prediction, read out after the MLP"; see `initialModel`),
/// and its *adjusted* function, the prediction for the query x given the task's N context points
/// (after "altering the output of the MLP through GD or the self-attention layer").
public struct LearnedFunctions: Sendable, Encodable {
    /// One model's two functions on the grid.
    public struct Model: Sendable, Encodable {
        public let name: String
        public let initial: [Double]
        public let adjusted: [Double]
    }

    /// Index of the task in the evaluation batch it was drawn from.
    public let task: Int
    /// The task's function `amplitude · sin(x + phase)`.
    public let amplitude: Double
    public let phase: Double
    /// The N context points `(x_i, y_i)`.
    public let contextX: [Double]
    public let contextY: [Double]
    /// The query inputs and the true function there.
    public let x: [Double]
    public let truth: [Double]
    public let models: [Model]

    enum CodingKeys: String, CodingKey {
        case task, amplitude, phase, contextX = "context_x", contextY = "context_y", x, truth, models
    }

    /// The functions of `models` on tasks `0 ..< count` of `tasks` drawn with `seed` from `stream`
    /// (the same tasks as the first `count` of a larger batch with that seed), each over `points`
    /// evenly spaced query inputs spanning the task's input range `[−r/2, r/2]`.
    public static func measure(
        _ models: [(name: String, model: TrainedModel)], tasks: SineTasks, count: Int, seed: UInt64, stream: UInt64,
        points: Int
    ) throws -> [LearnedFunctions] {
        precondition(count >= 1 && points >= 2, "at least one task and two query points")
        for (_, model) in models {
            let c = model.config
            guard c.inputDim == 1, c.outputDim == 1, c.tokenLayout == .paired, c.contextSize == tasks.contextSize else {
                throw AnalysisError(
                    "the model reads tasks with d = \(c.inputDim), \(c.outputDim) output(s), N = \(c.contextSize) "
                        + "(\(c.tokenLayout.rawValue) tokens); sine tasks have d = 1, one output, "
                        + "N = \(tasks.contextSize) (paired tokens)")
            }
        }
        let batch: TaskBatch<Float> = tasks.sample(count: count, seed: seed, stream: stream)
        let functions = tasks.functions(count: count, seed: seed, stream: stream)
        let half = tasks.inputRange / 2
        let x = (0..<points).map { -half + tasks.inputRange * Double($0) / Double(points - 1) }
        let initialModels = models.map { initialModel($0.model) }
        let N = tasks.contextSize
        return (0..<count).map { b in
            let (amplitude, phase) = functions[b]
            let context = (0..<N).map { j in
                (
                    Double(batch.tokens[(b * batch.tokenCount + j) * 2]),
                    Double(batch.tokens[(b * batch.tokenCount + j) * 2 + 1])
                )
            }
            let onGrid = queries(batch, task: b, inputs: x)
            return LearnedFunctions(
                task: b, amplitude: amplitude, phase: phase, contextX: context.map(\.0), contextY: context.map(\.1),
                x: x, truth: x.map { amplitude * sin($0 + phase) },
                models: zip(models, initialModels).map { named, initial in
                    Model(
                        name: named.name, initial: initial.predictions(onGrid).map(Double.init),
                        adjusted: named.model.predictions(onGrid).map(Double.init))
                })
        }
    }

    /// `model` before its in-context step: every attention head's output projection `P` set to 0, so
    /// no attention block adds anything and each token goes through the embedding and the MLPs alone
    /// — the prediction reads no context. For linear attention this is the prediction given an empty
    /// context (the layer's update is linear in `C = Σ_i e_i e_iᵀ`, which is then 0); for `mlp_gd` it
    /// is the meta-learned MLP's output before its GD step.
    public static func initialModel(_ model: TrainedModel) -> TrainedModel {
        let (config, parameters) =
            model.config.architecture.hasDerivedWeights
            ? GradientDescentWeights.attentionForm(model.config, model.parameters)
            : (model.config, model.parameters)
        let stack = AttentionStack(config)
        var weights = parameters
        let size = config.modelDim * config.keyDim
        for layer in stack.weights.layers {
            for head in layer.heads {
                weights.replaceSubrange(head.P..<(head.P + size), with: repeatElement(0, count: size))
            }
        }
        return TrainedModel(config: config, parameters: weights)
    }

    /// Task `b` of the paired sine tasks `batch` once per query input in `inputs`: the same N context
    /// tokens, the query token `(x, 0)` (its target is left 0: these tasks are only predicted).
    public static func queries(_ batch: TaskBatch<Float>, task b: Int, inputs: [Double]) -> TaskBatch<Float> {
        let T = batch.tokenCount, D = batch.tokenDim
        var out = TaskBatch<Float>(count: inputs.count, tokenCount: T, tokenDim: D, outputDim: batch.outputDim)
        let task = batch.tokens[(b * T * D)..<((b + 1) * T * D)]
        for (q, x) in inputs.enumerated() {
            out.tokens.replaceSubrange((q * T * D)..<((q + 1) * T * D), with: task)
            let query = (q * T + T - 1) * D
            out.tokens[query] = Float(x)
            out.tokens[query + 1] = 0
        }
        return out
    }
}
