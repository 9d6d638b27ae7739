import ICLMath
import ICLModels
import ICLTasks

/// Loss against the number of in-context examples (Garg et al. 2022's main figure): models and
/// baselines on the same tasks at every context size n, and each model's alignment with each baseline.
public struct ContextLengthSweep: Codable, Sendable {
    public struct Curve: Codable, Sendable {
        public var name: String
        public var losses: [Double]
        /// For a baseline: what it resolved to at each n (GD's η is line-searched per n).
        public var resolved: [String]?
    }

    /// One model against one baseline, at every n.
    public struct Pair: Codable, Sendable {
        public var model: String
        public var baseline: String
        public var predictionDiff: [Double]
        public var sensitivityCosine: [Double]

        enum CodingKeys: String, CodingKey {
            case model, baseline, predictionDiff = "prediction_diff", sensitivityCosine = "sensitivity_cosine"
        }
    }

    public var lengths: [Int]
    /// The training N (of the first model), marked in tables and figures.
    public var trainingContextSize: Int
    public var tasks: Int
    public var seed: UInt64
    public var models: [Curve]
    public var baselines: [Curve]
    public var alignment: [Pair]

    enum CodingKeys: String, CodingKey {
        case lengths, trainingContextSize = "training_context_size", tasks, seed, models, baselines, alignment
    }
}

public enum ContextLength {
    /// `model` reading tasks with `n` context examples. The attention weights do not depend on N,
    /// so any model on paired tokens can (linear attention sums over more examples; GD models'
    /// derived `P = η/N` follows n); alternating tokens carry positions made for one length.
    public static func model(_ model: TrainedModel, contextSize n: Int) throws -> TrainedModel {
        var c = model.config
        if n == c.contextSize { return model }
        guard c.tokenLayout == .paired else {
            throw AnalysisError(
                "a model on \(c.tokenLayout.rawValue) tokens reads N = \(c.contextSize) examples only (its positions are made for that length)"
            )
        }
        guard n >= 1 else { throw AnalysisError("the context size must be at least 1 (got \(n))") }
        c.contextSize = n
        let resized = AttentionStack(c)
        precondition(
            resized.layout == model.stack.layout, "the parameter layout of a paired-token model does not depend on N")
        return TrainedModel(config: c, parameters: model.parameters)
    }

    /// Every model and baseline on `count` tasks of `base` with n context examples, for each n of
    /// `lengths` (evaluation stream, `seed`). Baselines are resolved at each n; GD's K defaults to
    /// the first model's number of layers.
    public static func sweep(
        models: [(name: String, model: TrainedModel)], baselines: [(name: String, baseline: Baseline)],
        base: LinearRegressionTasks, lengths: [Int], count: Int, seed: UInt64
    ) throws -> ContextLengthSweep {
        precondition(!lengths.isEmpty, "ContextLength.sweep: no lengths")
        for (name, model) in models {
            var own = base
            own.contextSize = model.config.contextSize
            if let problem = Evaluation.mismatch(model.config, own) { throw AnalysisError("\(name): \(problem)") }
        }
        let defaultSteps = models.first?.model.config.layers ?? 1
        var modelCurves = models.map { ContextLengthSweep.Curve(name: $0.name, losses: [], resolved: nil) }
        var baselineCurves = baselines.map { ContextLengthSweep.Curve(name: $0.name, losses: [], resolved: []) }
        var pairs: [ContextLengthSweep.Pair] = []
        for m in models {
            for b in baselines {
                pairs.append(.init(model: m.name, baseline: b.name, predictionDiff: [], sensitivityCosine: []))
            }
        }
        for n in lengths {
            var tasks = base
            tasks.contextSize = n
            let batch = tasks.sample(count: count, seed: seed, stream: RandomStream.evaluation, as: Float.self)
            let modelOutputs = try models.map { entry in
                let resized: TrainedModel
                do { resized = try model(entry.model, contextSize: n) } catch let error as AnalysisError {
                    throw AnalysisError("\(entry.name): \(error.message)")
                }
                return resized.predictionsAndSensitivities(batch)
            }
            let baselineOutputs = try baselines.indices.map { k in
                let resolved = try baselines[k].baseline.predictor(
                    tasks: tasks, batch: batch, seed: seed, defaultSteps: defaultSteps)
                baselineCurves[k].resolved!.append(resolved.name)
                return resolved.predictor.predictionsAndSensitivities(batch)
            }
            for k in models.indices {
                modelCurves[k].losses.append(Evaluation.loss(predictions: modelOutputs[k].predictions, on: batch))
            }
            for k in baselines.indices {
                baselineCurves[k].losses.append(Evaluation.loss(predictions: baselineOutputs[k].predictions, on: batch))
            }
            for i in models.indices {
                for j in baselines.indices {
                    let report = Alignment.compare(modelOutputs[i], baselineOutputs[j], on: batch)
                    pairs[i * baselines.count + j].predictionDiff.append(report.predictionDiff)
                    pairs[i * baselines.count + j].sensitivityCosine.append(report.sensitivityCosine)
                }
            }
        }
        return ContextLengthSweep(
            lengths: lengths, trainingContextSize: models.first?.model.config.contextSize ?? base.contextSize,
            tasks: count, seed: seed, models: modelCurves, baselines: baselineCurves, alignment: pairs)
    }
}
