import ICLMath
import ICLModels
import ICLTasks

/// GD, the trained models and their interpolation at one problem size (Figure 2 centre right:
/// "identical loss of GD, the LSA layer model as well as the model obtained by interpolating
/// between the construction and the optimized LSA layer weights for different N = N_x").
/// `trained[k]` and `interpolated[k]` belong to `members[k]` (one seed each).
public struct ProblemSizePoint: Codable, Equatable, Sendable {
    public var name: String
    /// N, the context size, and d (N_x), the input dimension, of the tasks.
    public var contextSize: Int
    public var inputDim: Int
    public var tasks: Int
    /// GD's steps (the models' layers) and η, line-searched on the evaluation tasks.
    public var steps: Int
    public var eta: Double
    /// The loss of `steps` GD steps with that η, computed directly (not through a model).
    public var gdLoss: Double
    public var members: [String]
    /// Each model's own loss.
    public var trained: [Double]
    /// The loss of θ₁ = (θ + θ_GD)/2 of the scale-corrected products (Appendix A.3), per model.
    public var interpolated: [Double]
    /// The loss of the GD construction with η, per model: the interpolation's end at α = 1, which
    /// must equal `gdLoss` (it is the same function).
    public var construction: [Double]

    public init(
        name: String, contextSize: Int, inputDim: Int, tasks: Int, steps: Int, eta: Double, gdLoss: Double,
        members: [String], trained: [Double], interpolated: [Double], construction: [Double]
    ) {
        self.name = name
        self.contextSize = contextSize
        self.inputDim = inputDim
        self.tasks = tasks
        self.steps = steps
        self.eta = eta
        self.gdLoss = gdLoss
        self.members = members
        self.trained = trained
        self.interpolated = interpolated
        self.construction = construction
    }

    enum CodingKeys: String, CodingKey {
        case name, contextSize = "context_size", inputDim = "input_dim", tasks, steps, eta, gdLoss = "gd_loss"
        case members, trained, interpolated, construction
    }
}

public enum ProblemSize {
    /// The models of one problem size (same tasks, same stack) against GD on `batch`: η line-searched
    /// on `batch` as the paper does (10⁴ tasks), the GD construction with that η (Proposition 1) as the
    /// other end of each model's interpolation. `models` pairs each model with its name.
    public static func point(
        name: String, models: [(name: String, model: TrainedModel)], on batch: TaskBatch<Float>
    ) throws -> ProblemSizePoint {
        precondition(!models.isEmpty, "ProblemSize.point: no models")
        let config = models[0].model.config
        for m in models {
            if let reason = Interpolation.inapplicability(m.model.config) {
                throw AnalysisError("\(m.name): \(reason)")
            }
            if let problem = Interpolation.incompatibility(config, m.model.config) {
                throw AnalysisError("\(m.name): \(problem) (the first model is \(models[0].name))")
            }
        }
        let steps = config.layers
        let eta = Baselines.lineSearchedEta(batch, steps: steps, lambda: 0)
        let gd = construction(config, eta: eta)
        var trained: [Double] = [], interpolated: [Double] = [], ends: [Double] = []
        for m in models {
            let curve = try Interpolation.curve(m.model, gd, alphas: [], on: batch)
            trained.append(curve.lossA)
            interpolated.append(curve.midpointLoss)
            ends.append(curve.lossB)
        }
        return ProblemSizePoint(
            name: name, contextSize: config.contextSize, inputDim: config.inputDim, tasks: batch.count, steps: steps,
            eta: eta,
            gdLoss: Evaluation.loss(Algorithm.gradientDescent(steps: steps, eta: eta, lambda: 0), on: batch),
            members: models.map(\.name), trained: trained, interpolated: interpolated, construction: ends)
    }

    /// The Proposition 1 construction with `config`'s tasks and stack (L layers, or one applied L
    /// times) and one η for every step.
    public static func construction(_ config: ModelConfig, eta: Double) -> TrainedModel {
        var c = config
        c.keyDim = c.tokenDim
        return TrainedModel(
            config: c,
            parameters: Construction.gradientDescent(c, etas: Array(repeating: eta, count: c.parameterLayers)).map {
                Float($0)
            })
    }
}
