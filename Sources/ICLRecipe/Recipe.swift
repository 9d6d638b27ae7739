import Foundation
@_exported import ICLDescription
import ICLModels
import ICLTasks

/// Everything that defines a trained model: architecture, task family, optimisation. A recipe file
/// in `zoo/` is JSON with the sections below; fields left out take the paper's defaults, and fields
/// left `null` are derived from the others when the recipe is resolved (e.g. the learning rate from
/// the depth). The checkpoint stores the resolved recipe, so every value that made it is on record.
public struct Recipe: Described, Equatable, Sendable {
    public var name: String
    public var description: String
    public var model: ModelDescription
    public var task: TaskDescription
    public var training: TrainingSection

    public init(
        name: String, description: String = "", model: ModelDescription = ModelDescription(),
        task: TaskDescription = TaskDescription(), training: TrainingSection = TrainingSection()
    ) {
        self.name = name
        self.description = description
        self.model = model
        self.task = task
        self.training = training
    }

    public init() { self.init(name: "lsa-1") }

    public static let fields: [Field<Recipe>] = [
        Field("name", \.name), Field("description", \.description), Field("model", \.model),
        Field("task", \.task), Field("training", \.training),
    ]

    public struct TrainingSection: Described, Equatable, Sendable {
        public var seed: UInt64 = 0
        public var steps = 5_000
        public var batchSize = 2_048
        /// null: 1e-3, or 5e-4 when layers > 3.
        public var learningRate: Double?
        public var adamBeta1 = 0.9
        public var adamBeta2 = 0.98
        public var adamEpsilon = 1e-8
        /// Global gradient-norm clip; null: 0.001 when layers ≤ 2, else 10 (the authors' values).
        public var clipNorm: Double?
        /// Variance-scaling initialisation scale; null: 0.002 / layers.
        public var initScale: Double?
        /// Record train and validation loss every this many steps (and at the last step).
        public var evalEvery = 100
        /// Size of the fixed held-out validation set.
        public var validationTasks = 10_000
        /// Train on one fixed set of this many tasks, every step (Appendix A.12, Figure 16); null:
        /// fresh tasks every step.
        public var fixedTasks: Int?
        /// Store the parameters every this many steps (and at step 0) under `/snapshots`; null: none.
        public var snapshotEvery: Int?
        /// "adam" on fresh batches, or "continuation" for GD and GD++: fit step by step on the exact
        /// loss of one fixed batch of `batch_size` tasks (`GDPlusPlusFit`; `steps` is then L-BFGS
        /// iterations per start).
        public var optimizer: Optimizer = .adam
        public init() {}

        public static let fields: [Field<TrainingSection>] = [
            Field("seed", \.seed), Field("steps", \.steps), Field("batch_size", \.batchSize),
            Field("learning_rate", \.learningRate), Field("adam_beta1", \.adamBeta1), Field("adam_beta2", \.adamBeta2),
            Field("adam_epsilon", \.adamEpsilon), Field("clip_norm", \.clipNorm), Field("init_scale", \.initScale),
            Field("eval_every", \.evalEvery), Field("validation_tasks", \.validationTasks),
            Field("fixed_tasks", \.fixedTasks), Field("snapshot_every", \.snapshotEvery),
            Field("optimizer", \.optimizer),
        ]
    }

    public enum Optimizer: String, Choice, Sendable {
        case adam, continuation
    }

    // MARK: Derived values, computed where they are used (never frozen into the struct)

    public var modelConfig: ModelConfig {
        var m = model
        m.clipTokens = model.clipTokens ?? (model.layers > 3 ? 10 : nil)
        return ModelConfig(m, task: task)
    }

    /// Draws this recipe's tasks in the model's token layout.
    public var taskSource: TaskSource {
        let family: TaskSource.Family
        switch task.family {
        case .sine:
            family = .sine(
                SineTasks(
                    contextSize: task.contextSize, inputRange: task.inputRange, amplitudeMin: task.amplitudeMin,
                    amplitudeMax: task.amplitudeMax, correlatedPhase: task.correlatedPhase))
        case .linearRegression:
            family = .linearRegression(tasks)
        }
        return TaskSource(family: family, layout: model.tokenLayout, positionalDim: model.positionalDim)
    }

    /// The linear-regression family with this recipe's settings (for the sine family: unused).
    public var tasks: LinearRegressionTasks {
        LinearRegressionTasks(
            inputDim: task.inputDim, outputDim: task.outputDim, contextSize: task.contextSize,
            inputRange: task.inputRange, weightScale: task.weightScale, noiseStd: task.noiseStd)
    }

    public var learningRate: Double { training.learningRate ?? (model.layers > 3 ? 5e-4 : 1e-3) }
    public var clipNorm: Double { training.clipNorm ?? (model.layers <= 2 ? 0.001 : 10) }
    public var initScale: Double { training.initScale ?? 0.002 / Double(model.layers) }

    /// The recipe with every derived field written out, as stored in checkpoints.
    public func resolved() -> Recipe {
        var r = self
        r.model.keyDim = modelConfig.keyDim
        r.model.clipTokens = modelConfig.clipTokens
        r.model.attention = modelConfig.attention
        r.training.learningRate = learningRate
        r.training.clipNorm = clipNorm
        r.training.initScale = initScale
        return r
    }

    /// Every problem with the recipe, each naming its field; empty when it can be trained.
    public func problems() -> [String] {
        let sizes = sizeProblems()
        if !sizes.isEmpty { return nameProblems() + sizes }
        var out = nameProblems() + modelConfig.problems()
        switch task.family {
        case .linearRegression: break
        case .sine:
            if task.inputDim != 1 || task.outputDim != 1 {
                out.append("task.input_dim and task.output_dim must be 1 for the sine family")
            }
            if !(task.amplitudeMin < task.amplitudeMax) {
                out.append("task.amplitude_min must be below task.amplitude_max")
            }
        }
        if let n = training.fixedTasks, n < 1 { out.append("training.fixed_tasks must be at least 1 (got \(n))") }
        if let k = training.snapshotEvery, k < 1 { out.append("training.snapshot_every must be at least 1 (got \(k))") }
        if training.optimizer == .continuation
            && !(model.architecture.isGradientDescent && model.tokenLayout == .paired
                && training.fixedTasks == nil && training.snapshotEvery == nil)
        {
            out.append(
                "training.optimizer 'continuation' needs architecture 'gd' or 'gdpp', paired tokens, no fixed_tasks (batch_size is its fixed set) and no snapshot_every"
            )
        }
        if model.architecture.isGradientDescent, task.family != .linearRegression {
            out.append("model.architecture '\(model.architecture.rawValue)' needs task.family 'linear-regression'")
        }
        if !(task.inputRange > 0) { out.append("task.input_range must be positive (got \(task.inputRange))") }
        if !(task.weightScale > 0) { out.append("task.weight_scale must be positive (got \(task.weightScale))") }
        if !(task.noiseStd >= 0) || !task.noiseStd.isFinite {
            out.append("task.noise_std must be zero or positive (got \(task.noiseStd))")
        }
        if task.noiseStd > 0, task.family != .linearRegression {
            out.append("task.noise_std applies to the linear-regression family only")
        }
        if training.steps < 0 { out.append("training.steps must not be negative (got \(training.steps))") }
        if training.batchSize < 1 { out.append("training.batch_size must be at least 1 (got \(training.batchSize))") }
        if !(learningRate > 0) { out.append("training.learning_rate must be positive (got \(learningRate))") }
        if !(clipNorm > 0) { out.append("training.clip_norm must be positive (got \(clipNorm))") }
        if !(initScale > 0) { out.append("training.init_scale must be positive (got \(initScale))") }
        if !(0..<1).contains(training.adamBeta1) {
            out.append("training.adam_beta1 must be in [0, 1) (got \(training.adamBeta1))")
        }
        if !(0..<1).contains(training.adamBeta2) {
            out.append("training.adam_beta2 must be in [0, 1) (got \(training.adamBeta2))")
        }
        if !(training.adamEpsilon > 0) {
            out.append("training.adam_epsilon must be positive (got \(training.adamEpsilon))")
        }
        if training.evalEvery < 1 { out.append("training.eval_every must be at least 1 (got \(training.evalEvery))") }
        if training.validationTasks < 1 {
            out.append("training.validation_tasks must be at least 1 (got \(training.validationTasks))")
        }
        return out
    }

    // MARK: JSON

    /// Parses and validates a recipe; errors name the field and, when given, the file.
    public static func decode(_ data: Data, file: String? = nil) throws -> Recipe {
        let prefix = file.map { "\($0): " } ?? ""
        let recipe: Recipe
        do {
            recipe = try JSONDecoder().decode(Recipe.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                !(context.underlyingError is RecipeError)
            {
                throw RecipeError(
                    "\(prefix)not valid JSON (\(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription))"
                )
            }
            throw RecipeError(prefix + describe(error))
        } catch let error as RecipeError {
            throw RecipeError(prefix + error.message)
        }
        let problems = recipe.problems()
        if !problems.isEmpty { throw RecipeError(prefix + problems.joined(separator: "; ")) }
        return recipe
    }

    public static func load(_ path: String) throws -> Recipe {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecipeError("\(path): no such recipe file")
        }
        return try decode(data, file: path)
    }

    /// Pretty, key-sorted JSON with `null` written out for unset optionals.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)  // plain value types: encoding cannot fail
        return String(decoding: data, as: UTF8.self)
    }
}

/// The sections are JSON objects inside the recipe, never checkpoint attributes of their own.
extension ModelDescription: RecipeOnlyValue {}
extension TaskDescription: RecipeOnlyValue {}
extension Recipe.TrainingSection: RecipeOnlyValue {}
