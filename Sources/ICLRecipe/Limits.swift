import ICLModels

/// The largest value each declared size may take, in a recipe or a checkpoint: far above the paper's
/// models (12 layers, 4 heads, widths ≤ 44, N ≤ 100, 8,192 tasks), low enough that no recipe or file
/// can make the tools overflow an integer or allocate without bound before anything is checked.
/// Documented in docs/checkpoint-format.md ("Limits").
public enum Limits {
    public static let layers = 256
    public static let heads = 256
    /// input_dim, output_dim, key_dim, mlp_hidden, embedding_dim, positional_dim.
    public static let width = 16_384
    public static let contextSize = 100_000
    /// Trainable values of one model (2^26: 256 MiB as float32).
    public static let parameters = 1 << 26
    /// batch_size, fixed_tasks, validation_tasks.
    public static let tasks = 1 << 20
    /// Values of one batch of tokens (tasks × T × D; 2^31: 8 GiB as float32).
    public static let batchValues = 1 << 31
    /// Optimisation steps of one run.
    public static let steps = 1 << 40
    /// Entries of the training curve (records at step 0, every eval_every steps and the last).
    public static let curveRecords = 1 << 24
    /// Values of all snapshots together (2^28: 1 GiB as float32).
    public static let snapshotValues = 1 << 28

    /// Each size outside 0 … its limit, named; checked before any of them is used in arithmetic.
    public static func problems(_ sizes: [(name: String, value: Int64, limit: Int)]) -> [String] {
        sizes.compactMap { size in
            size.value >= 0 && size.value <= Int64(size.limit)
                ? nil
                : "\(size.name) is \(size.value), outside 0 … \(size.limit) (the documented limit)"
        }
    }

    /// The trainable values of a model of these sizes, counted in Double (no overflow) and from
    /// above: attention, MLP, LayerNorms, embedding and GD's η, γ of every parameter layer.
    public static func parameterEstimate(_ c: ModelConfig) -> Double {
        let D = Double(c.modelDim), Dk = Double(c.keyDim), Dh = Double(c.mlpHidden)
        let perLayer = Double(c.heads) * 4 * Dk * D + 2 * Dh * D + Dh + D + 4 * D + 2
        return Double(c.parameterLayers) * perLayer + D * Double(c.tokenDim)
    }

    /// Records of the curve of `steps` steps recorded every `evalEvery`: step 0, the multiples, the last.
    public static func curveRecords(steps: Int, evalEvery: Int) -> Int {
        steps == 0 ? 1 : 1 + steps / evalEvery + (steps % evalEvery == 0 ? 0 : 1)
    }
}

extension Recipe {
    /// The model's sizes against `Limits`, first, so that no derived value is computed from a size
    /// that would overflow; then what those sizes make (parameters, batch values, curve, snapshots).
    func sizeProblems() -> [String] {
        let m = model, k = task, t = training
        let sizes: [(String, Int, Int)] = [
            ("model.layers", m.layers, Limits.layers), ("model.heads", m.heads, Limits.heads),
            ("model.key_dim", m.keyDim ?? 0, Limits.width), ("model.mlp_hidden", m.mlpHidden, Limits.width),
            ("model.embedding_dim", m.embeddingDim, Limits.width),
            ("model.positional_dim", m.positionalDim, Limits.width),
            ("task.input_dim", k.inputDim, Limits.width), ("task.output_dim", k.outputDim, Limits.width),
            ("task.context_size", k.contextSize, Limits.contextSize),
            ("training.batch_size", t.batchSize, Limits.tasks),
            ("training.fixed_tasks", t.fixedTasks ?? 0, Limits.tasks),
            ("training.validation_tasks", t.validationTasks, Limits.tasks), ("training.steps", t.steps, Limits.steps),
        ]
        // Negative values are the other checks' to name; here only what is too large.
        let tooLarge = Limits.problems(sizes.map { ($0.0, Int64(max($0.1, 0)), $0.2) })
        if !tooLarge.isEmpty { return tooLarge }
        var out: [String] = []
        let c = modelConfig
        if Limits.parameterEstimate(c) > Double(Limits.parameters) {
            out.append(
                "model: about \(Int(Limits.parameterEstimate(c))) parameters, above the limit of \(Limits.parameters)")
        }
        let batch = max(t.fixedTasks ?? t.batchSize, t.validationTasks)
        if Double(batch) * Double(c.tokenCount) * Double(c.modelDim) > Double(Limits.batchValues) {
            out.append(
                "training: \(batch) tasks of \(c.tokenCount) tokens of width \(c.modelDim) exceed the limit of \(Limits.batchValues) values"
            )
        }
        if t.steps > 0, t.evalEvery > 0,
            Limits.curveRecords(steps: t.steps, evalEvery: t.evalEvery) > Limits.curveRecords
        {
            out.append(
                "training: \(t.steps) steps recorded every \(t.evalEvery) exceed the limit of \(Limits.curveRecords) curve records"
            )
        }
        if let every = t.snapshotEvery, every > 0, t.steps > 0,
            Double(t.steps / every + 1) * Limits.parameterEstimate(c) > Double(Limits.snapshotValues)
        {
            out.append(
                "training.snapshot_every: \(t.steps / every + 1) snapshots exceed the limit of \(Limits.snapshotValues) stored values"
            )
        }
        return out
    }

    /// A recipe's name is a folder name under `--models`: one path component, not hidden.
    func nameProblems() -> [String] {
        if name.isEmpty || name.count > 200 || name.contains("/") || name.contains("\0") || name.hasPrefix(".") {
            return ["name '\(name)' must be a file name: 1 to 200 characters, no '/', not starting with '.'"]
        }
        return []
    }
}
