import Foundation
import ICLModels
import ICLTasks

/// Everything that defines a trained model: architecture, task family, optimisation. A recipe file
/// in `zoo/` is JSON with the sections below; fields left out take the paper's defaults, and fields
/// left `null` are derived from the others when the recipe is resolved (e.g. the learning rate from
/// the depth). The checkpoint stores the resolved recipe, so every value that made it is on record.
public struct Recipe: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var model: ModelSection
    public var task: TaskSection
    public var training: TrainingSection

    public init(name: String = "lsa-1", description: String = "", model: ModelSection = ModelSection(),
                task: TaskSection = TaskSection(), training: TrainingSection = TrainingSection()) {
        self.name = name
        self.description = description
        self.model = model
        self.task = task
        self.training = training
    }

    public struct ModelSection: Codable, Equatable, Sendable {
        public var architecture: ModelConfig.Architecture = .lsa
        public var layers = 1
        public var heads = 1
        public var recurrent = false
        /// Key/query/value width per head; null: the token width (the authors' square matrices).
        public var keyDim: Int?
        /// Clip token values to ±this after every layer; null: 10 when layers > 3, else none.
        public var clipTokens: Double?
        /// Attention of each parameter layer, "linear" or "softmax"; null: all linear (all softmax
        /// for architecture "softmax").
        public var attention: [ModelConfig.AttentionKind]?
        public var layerNorm = false
        /// Hidden width of an MLP block in every layer; 0: no MLP.
        public var mlpHidden = 0
        public var mlpFirst = false
        public var embeddingDim = 0
        public var tokenLayout: ModelConfig.TokenLayout = .paired
        public var positionalDim = 0
        /// Gradient-descent models: the initial η of every step (γ starts at η/N², the authors' choice).
        public var etaInit = 1.0
        /// mlp_gd: the learning rate of the frozen GD step (the authors: 0.1).
        public var fixedEta = 0.1
        public init() {}
    }

    public struct TaskSection: Codable, Equatable, Sendable {
        public var family = TaskFamily.linearRegression
        public var inputDim = 10
        public var outputDim = 1
        public var contextSize = 10
        /// Inputs `x ~ U(−r/2, r/2)`: 1 is the authors' code, 2 the paper's text.
        public var inputRange = 1.0
        public var weightScale = 1.0
        /// Target noise: `y = W x + ε`, `ε ~ N(0, noise_std²)` (0: the paper's noiseless tasks).
        public var noiseStd = 0.0
        /// Sine family: amplitude range and whether the phase is drawn from the amplitude's number.
        public var amplitudeMin = 0.1
        public var amplitudeMax = 5.0
        public var correlatedPhase = false
        public init() {}
    }

    public struct TrainingSection: Codable, Equatable, Sendable {
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
    }

    public enum Optimizer: String, Codable, CaseIterable, Sendable {
        case adam, continuation
    }

    // MARK: Derived values, computed where they are used (never frozen into the struct)

    public var modelConfig: ModelConfig {
        ModelConfig(architecture: model.architecture, layers: model.layers, heads: model.heads,
                    recurrent: model.recurrent, inputDim: task.inputDim, outputDim: task.outputDim,
                    contextSize: task.contextSize, keyDim: model.keyDim,
                    clipTokens: model.clipTokens ?? (model.layers > 3 ? 10 : nil), attention: model.attention,
                    layerNorm: model.layerNorm, mlpHidden: model.mlpHidden, mlpFirst: model.mlpFirst,
                    embeddingDim: model.embeddingDim, tokenLayout: model.tokenLayout, positionalDim: model.positionalDim,
                    fixedEta: model.fixedEta)
    }

    /// Draws this recipe's tasks in the model's token layout.
    public var taskSource: TaskSource {
        let family: TaskSource.Family
        switch task.family {
        case .sine:
            family = .sine(SineTasks(contextSize: task.contextSize, inputRange: task.inputRange, amplitudeMin: task.amplitudeMin,
                                     amplitudeMax: task.amplitudeMax, correlatedPhase: task.correlatedPhase))
        case .linearRegression:
            family = .linearRegression(tasks)
        }
        return TaskSource(family: family, layout: model.tokenLayout, positionalDim: model.positionalDim)
    }

    /// The linear-regression family with this recipe's settings (for the sine family: unused).
    public var tasks: LinearRegressionTasks {
        LinearRegressionTasks(inputDim: task.inputDim, outputDim: task.outputDim, contextSize: task.contextSize,
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
            if task.inputDim != 1 || task.outputDim != 1 { out.append("task.input_dim and task.output_dim must be 1 for the sine family") }
            if !(task.amplitudeMin < task.amplitudeMax) { out.append("task.amplitude_min must be below task.amplitude_max") }
        }
        if let n = training.fixedTasks, n < 1 { out.append("training.fixed_tasks must be at least 1 (got \(n))") }
        if let k = training.snapshotEvery, k < 1 { out.append("training.snapshot_every must be at least 1 (got \(k))") }
        if training.optimizer == .continuation && !(model.architecture.isGradientDescent && model.tokenLayout == .paired
                                                    && training.fixedTasks == nil && training.snapshotEvery == nil) {
            out.append("training.optimizer 'continuation' needs architecture 'gd' or 'gdpp', paired tokens, no fixed_tasks (batch_size is its fixed set) and no snapshot_every")
        }
        if model.architecture.isGradientDescent, task.family != .linearRegression {
            out.append("model.architecture '\(model.architecture.rawValue)' needs task.family 'linear-regression'")
        }
        if !(task.inputRange > 0) { out.append("task.input_range must be positive (got \(task.inputRange))") }
        if !(task.weightScale > 0) { out.append("task.weight_scale must be positive (got \(task.weightScale))") }
        if !(task.noiseStd >= 0) || !task.noiseStd.isFinite { out.append("task.noise_std must be zero or positive (got \(task.noiseStd))") }
        if task.noiseStd > 0, task.family != .linearRegression { out.append("task.noise_std applies to the linear-regression family only") }
        if training.steps < 0 { out.append("training.steps must not be negative (got \(training.steps))") }
        if training.batchSize < 1 { out.append("training.batch_size must be at least 1 (got \(training.batchSize))") }
        if !(learningRate > 0) { out.append("training.learning_rate must be positive (got \(learningRate))") }
        if !(clipNorm > 0) { out.append("training.clip_norm must be positive (got \(clipNorm))") }
        if !(initScale > 0) { out.append("training.init_scale must be positive (got \(initScale))") }
        if !(0..<1).contains(training.adamBeta1) { out.append("training.adam_beta1 must be in [0, 1) (got \(training.adamBeta1))") }
        if !(0..<1).contains(training.adamBeta2) { out.append("training.adam_beta2 must be in [0, 1) (got \(training.adamBeta2))") }
        if !(training.adamEpsilon > 0) { out.append("training.adam_epsilon must be positive (got \(training.adamEpsilon))") }
        if training.evalEvery < 1 { out.append("training.eval_every must be at least 1 (got \(training.evalEvery))") }
        if training.validationTasks < 1 { out.append("training.validation_tasks must be at least 1 (got \(training.validationTasks))") }
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
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, !(context.underlyingError is RecipeError) {
                throw RecipeError("\(prefix)not valid JSON (\(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription))")
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
        let data = try! encoder.encode(self)   // plain value types: encoding cannot fail
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: Codable with snake_case keys and strict unknown-field checks

extension Recipe {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, description, model, task, training }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? name
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? description
        model = try c.decodeIfPresent(ModelSection.self, forKey: .model) ?? model
        task = try c.decodeIfPresent(TaskSection.self, forKey: .task) ?? task
        training = try c.decodeIfPresent(TrainingSection.self, forKey: .training) ?? training
    }
}

extension Recipe.ModelSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, layers, heads, recurrent, keyDim = "key_dim", clipTokens = "clip_tokens"
        case attention, layerNorm = "layer_norm", mlpHidden = "mlp_hidden", mlpFirst = "mlp_first"
        case embeddingDim = "embedding_dim", tokenLayout = "token_layout", positionalDim = "positional_dim"
        case etaInit = "eta_init", fixedEta = "fixed_eta"
    }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        architecture = try decodeChoice(c, .architecture, "model.architecture") ?? architecture
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? layers
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? heads
        recurrent = try c.decodeIfPresent(Bool.self, forKey: .recurrent) ?? recurrent
        keyDim = try c.decodeIfPresent(Int.self, forKey: .keyDim)
        clipTokens = try c.decodeIfPresent(Double.self, forKey: .clipTokens)
        if let raw = try c.decodeIfPresent([String].self, forKey: .attention) {
            attention = try raw.map { name in
                guard let kind = ModelConfig.AttentionKind(rawValue: name) else {
                    throw RecipeError("model.attention: unknown attention '\(name)' (known: linear, softmax)")
                }
                return kind
            }
        }
        layerNorm = try c.decodeIfPresent(Bool.self, forKey: .layerNorm) ?? layerNorm
        mlpHidden = try c.decodeIfPresent(Int.self, forKey: .mlpHidden) ?? mlpHidden
        mlpFirst = try c.decodeIfPresent(Bool.self, forKey: .mlpFirst) ?? mlpFirst
        embeddingDim = try c.decodeIfPresent(Int.self, forKey: .embeddingDim) ?? embeddingDim
        tokenLayout = try decodeChoice(c, .tokenLayout, "model.token_layout") ?? tokenLayout
        positionalDim = try c.decodeIfPresent(Int.self, forKey: .positionalDim) ?? positionalDim
        etaInit = try c.decodeIfPresent(Double.self, forKey: .etaInit) ?? etaInit
        fixedEta = try c.decodeIfPresent(Double.self, forKey: .fixedEta) ?? fixedEta
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(recurrent, forKey: .recurrent)
        try c.encode(keyDim, forKey: .keyDim)
        try c.encode(clipTokens, forKey: .clipTokens)
        try c.encode(attention, forKey: .attention)
        try c.encode(layerNorm, forKey: .layerNorm)
        try c.encode(mlpHidden, forKey: .mlpHidden)
        try c.encode(mlpFirst, forKey: .mlpFirst)
        try c.encode(embeddingDim, forKey: .embeddingDim)
        try c.encode(tokenLayout, forKey: .tokenLayout)
        try c.encode(positionalDim, forKey: .positionalDim)
        try c.encode(etaInit, forKey: .etaInit)
        try c.encode(fixedEta, forKey: .fixedEta)
    }
}

extension Recipe.TaskSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case family, inputDim = "input_dim", outputDim = "output_dim", contextSize = "context_size"
        case inputRange = "input_range", weightScale = "weight_scale", noiseStd = "noise_std"
        case amplitudeMin = "amplitude_min", amplitudeMax = "amplitude_max", correlatedPhase = "correlated_phase"
    }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        family = try decodeChoice(c, .family, "task.family") ?? family
        inputDim = try c.decodeIfPresent(Int.self, forKey: .inputDim) ?? inputDim
        outputDim = try c.decodeIfPresent(Int.self, forKey: .outputDim) ?? outputDim
        contextSize = try c.decodeIfPresent(Int.self, forKey: .contextSize) ?? contextSize
        inputRange = try c.decodeIfPresent(Double.self, forKey: .inputRange) ?? inputRange
        weightScale = try c.decodeIfPresent(Double.self, forKey: .weightScale) ?? weightScale
        noiseStd = try c.decodeIfPresent(Double.self, forKey: .noiseStd) ?? noiseStd
        amplitudeMin = try c.decodeIfPresent(Double.self, forKey: .amplitudeMin) ?? amplitudeMin
        amplitudeMax = try c.decodeIfPresent(Double.self, forKey: .amplitudeMax) ?? amplitudeMax
        correlatedPhase = try c.decodeIfPresent(Bool.self, forKey: .correlatedPhase) ?? correlatedPhase
    }
}

extension Recipe.TrainingSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, steps, batchSize = "batch_size", learningRate = "learning_rate"
        case adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon"
        case clipNorm = "clip_norm", initScale = "init_scale", evalEvery = "eval_every"
        case validationTasks = "validation_tasks", fixedTasks = "fixed_tasks", snapshotEvery = "snapshot_every"
        case optimizer
    }
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? steps
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
        adamBeta1 = try c.decodeIfPresent(Double.self, forKey: .adamBeta1) ?? adamBeta1
        adamBeta2 = try c.decodeIfPresent(Double.self, forKey: .adamBeta2) ?? adamBeta2
        adamEpsilon = try c.decodeIfPresent(Double.self, forKey: .adamEpsilon) ?? adamEpsilon
        clipNorm = try c.decodeIfPresent(Double.self, forKey: .clipNorm)
        initScale = try c.decodeIfPresent(Double.self, forKey: .initScale)
        evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? evalEvery
        validationTasks = try c.decodeIfPresent(Int.self, forKey: .validationTasks) ?? validationTasks
        fixedTasks = try c.decodeIfPresent(Int.self, forKey: .fixedTasks)
        snapshotEvery = try c.decodeIfPresent(Int.self, forKey: .snapshotEvery)
        optimizer = try decodeChoice(c, .optimizer, "training.optimizer") ?? optimizer
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(steps, forKey: .steps)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(adamBeta1, forKey: .adamBeta1)
        try c.encode(adamBeta2, forKey: .adamBeta2)
        try c.encode(adamEpsilon, forKey: .adamEpsilon)
        try c.encode(clipNorm, forKey: .clipNorm)
        try c.encode(initScale, forKey: .initScale)
        try c.encode(evalEvery, forKey: .evalEvery)
        try c.encode(validationTasks, forKey: .validationTasks)
        try c.encode(fixedTasks, forKey: .fixedTasks)
        try c.encode(snapshotEvery, forKey: .snapshotEvery)
        try c.encode(optimizer, forKey: .optimizer)
    }
}
