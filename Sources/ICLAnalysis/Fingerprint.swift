import ICLMath
import ICLModels
import ICLTasks

/// "Which algorithm does this model run?" in one table: for each family of algorithms, the member
/// whose predictions are closest to the model's (smallest mean |ŷ_model − ŷ_algorithm|), with its
/// sensitivity cosine; and for a deep model the same after every layer (the prediction read out of
/// the query token after layer l, set beside K-step algorithms).
public struct Fingerprint: Codable, Sendable {
    /// One algorithm set beside the model.
    public struct Member: Codable, Sendable {
        public var family: String
        /// The `--against` spelling that reproduces it (e.g. `gd:3`, `ridge:0.1`).
        public var spelling: String
        /// What it resolved to (GD's line-searched η).
        public var name: String
        /// A is the model (or its readout after a layer), B the algorithm.
        public var report: AlignmentReport
    }

    public struct Family: Codable, Sendable {
        public var family: String
        public var best: Member
        public var members: [Member]
    }

    /// The readout after layer `layer` (1-based) against the per-layer families.
    public struct Layer: Codable, Sendable {
        public var layer: Int
        public var loss: Double
        public var best: [Member]
    }

    public var tasks: Int
    public var seed: UInt64
    public var loss: Double
    public var families: [Family]
    public var layers: [Layer]
    /// Why there is no per-layer table, when there is none for a deep model.
    public var layersNote: String?

    enum CodingKeys: String, CodingKey { case tasks, seed, loss, families, layers, layersNote = "layers_note" }
}

public enum Fingerprinting {
    /// The families and their members, as `--against` spellings: least squares; ridge with λ from
    /// 10⁻³ to 10² (two per decade); GD with K = 1…maxSteps steps (η line-searched for each K);
    /// Newton–Schulz with K = 0…maxSteps iterations; k-nearest neighbours for k = 1…N; averaging; and
    /// with `ridgeSteps` K (noisy tasks: the model's depth), GD on the ridge objective, K steps, with
    /// λ from 10⁻² to 10¹ (two per decade).
    public static func families(contextSize N: Int, maxSteps: Int, ridgeSteps: Int? = nil) -> [(
        family: String, members: [String]
    )] {
        let lambdas = { (from: Double, to: Double) in
            stride(from: from, through: to, by: 0.5).map { short(Baselines.pow10($0)) }
        }
        var out = [
            ("least squares", ["ols"]),
            ("ridge", lambdas(-3, 2).map { "ridge:\($0)" }),
            ("GD", (1...maxSteps).map { "gd:\($0)" }),
            ("Newton", (0...maxSteps).map { "newton:\($0)" }),
            ("k-NN", (1...N).map { "knn:\($0)" }),
            ("averaging", ["averaging"]),
        ]
        if let K = ridgeSteps { out.append(("ridge-GD", lambdas(-2, 1).map { "gd:\(K):\($0)" })) }
        return out
    }

    /// The families compared with each layer's readout.
    public static let layerFamilies: Set<String> = ["least squares", "GD", "Newton"]

    /// The fingerprint of `model` on `count` tasks of `tasks` (evaluation stream, `seed`); `extra`
    /// baselines (e.g. a GD++ checkpoint) are families of one member each. Tasks with noise add the
    /// ridge-GD family with the model's depth (two layers or more).
    public static func fingerprint(
        _ model: TrainedModel, tasks: LinearRegressionTasks, count: Int, seed: UInt64, maxSteps: Int,
        extra: [(name: String, baseline: Baseline)] = []
    ) throws -> Fingerprint {
        guard tasks.outputDim == 1 else {
            throw AnalysisError("the fingerprint needs a single output (output_dim is \(tasks.outputDim))")
        }
        let batch = tasks.sample(count: count, seed: seed, stream: RandomStream.evaluation, as: Float.self)
        var candidates: [(family: String, spelling: String, baseline: Baseline)] = []
        // One step from w₀ = 0 is plain GD whatever λ: the family needs two layers or more.
        let ridgeSteps = tasks.noiseStd > 0 && model.config.layers > 1 ? model.config.layers : nil
        for (family, members) in families(contextSize: tasks.contextSize, maxSteps: maxSteps, ridgeSteps: ridgeSteps) {
            for spelling in members {
                candidates.append((family, spelling, .algorithm(try BaselineSpec(parsing: spelling))))
            }
        }
        for (name, baseline) in extra { candidates.append((name, name, baseline)) }
        let outputs = try candidates.map { candidate in
            let resolved = try candidate.baseline.predictor(
                tasks: tasks, batch: batch, seed: seed, defaultSteps: model.config.layers)
            return (name: resolved.name, output: resolved.predictor.predictionsAndSensitivities(batch))
        }

        /// Every candidate of `families` against `readout`, and the closest of each family.
        func match(_ readout: (predictions: [Float], sensitivities: [Float]), families: Set<String>?) -> [Fingerprint
            .Family]
        {
            var result: [Fingerprint.Family] = []
            for (k, candidate) in candidates.enumerated() where families?.contains(candidate.family) ?? true {
                let member = Fingerprint.Member(
                    family: candidate.family, spelling: candidate.spelling, name: outputs[k].name,
                    report: Alignment.compare(readout, outputs[k].output, on: batch))
                if let i = result.firstIndex(where: { $0.family == candidate.family }) {
                    result[i].members.append(member)
                    if member.report.predictionDiff < result[i].best.report.predictionDiff { result[i].best = member }
                } else {
                    result.append(Fingerprint.Family(family: candidate.family, best: member, members: [member]))
                }
            }
            return result
        }

        let whole = model.predictionsAndSensitivities(batch)
        var layers: [Fingerprint.Layer] = []
        var note: String?
        if model.config.layers > 1 {
            do {
                for l in 1...model.config.layers {
                    let readout =
                        l == model.config.layers
                        ? whole : try truncated(model, layers: l).predictionsAndSensitivities(batch)
                    layers.append(
                        Fingerprint.Layer(
                            layer: l, loss: Evaluation.loss(predictions: readout.predictions, on: batch),
                            best: match(readout, families: layerFamilies).map(\.best)))
                }
            } catch let error as AnalysisError {
                layers = []
                note = error.message
            }
        }
        return Fingerprint(
            tasks: count, seed: seed, loss: Evaluation.loss(predictions: whole.predictions, on: batch),
            families: match(whole, families: nil), layers: layers, layersNote: note)
    }

    /// The model's first `layers` layer applications, read out as the model reads its output (the
    /// query token's target slot): the same weights, fewer layers.
    public static func truncated(_ model: TrainedModel, layers: Int) throws -> TrainedModel {
        var c = model.config
        precondition((1...c.layers).contains(layers), "truncated: \(layers) of \(c.layers) layers")
        c.layers = layers
        if c.recurrent { return TrainedModel(config: c, parameters: model.parameters) }
        c.attention = Array(c.attention.prefix(layers))
        let full = model.stack.layout, stack = AttentionStack(c)
        var parameters = [Float](repeating: 0, count: stack.layout.count)
        for entry in stack.layout.entries {
            guard let source = full.entry(named: entry.name), source.shape == entry.shape else {
                throw AnalysisError(
                    "the readout after each layer needs per-layer weights; \(c.architecture.rawValue) with separate layers stores '\(entry.name)' for all layers at once"
                )
            }
            parameters.replaceSubrange(entry.range, with: model.parameters[source.range])
        }
        return TrainedModel(config: c, parameters: parameters)
    }
}
