import ArgumentParser
import ICLAnalysis
import ICLCheckpoint

/// What `--against` (compare, ood, context-length, fingerprint) and `curves --baseline` say about
/// their values, in one place.
enum AgainstHelp {
    static let text =
        "A baseline algorithm: ols (least squares, minimum-norm when N < d), ridge:λ, ridge (λ chosen on held-out tasks), "
        + "gd (as many steps as the model has layers), gd:K, gd:K:λ (GD on the ridge objective; η line-searched on the evaluation tasks), "
        + "newton:K (Newton–Schulz iterations), knn:k, averaging, or gdpp:FILE (a GD++ checkpoint)"
}

extension BaselineSpec {
    /// Parses command-line spellings, failing validation with the reason.
    static func parseAll(_ values: [String], option: String) throws -> [BaselineSpec] {
        try values.map { text in
            do { return try BaselineSpec(parsing: text) } catch let error as AnalysisError {
                throw ValidationError("\(option): \(error.message)")
            }
        }
    }

    /// The baseline this names, loading the checkpoint of `gdpp:FILE`.
    func load() throws -> Baseline {
        guard case .checkpoint(let path) = self else { return .algorithm(self) }
        let loaded = try LoadedModel(path)
        guard loaded.checkpoint.recipe.task.family == .linearRegression else {
            throw UserError(
                "\(path): a model of the '\(loaded.checkpoint.recipe.task.family)' task family cannot be a linear-regression baseline"
            )
        }
        return .model(name: loaded.name, loaded.model)
    }
}

/// The baselines of `values`, each named by the spelling it was given (the key in tables and CSV),
/// a checkpoint by its model's name.
func loadBaselines(_ values: [String]) throws -> [(name: String, baseline: Baseline)] {
    try values.map { text in
        let baseline = try BaselineSpec(parsing: text).load()
        if case .model(let name, _) = baseline { return (name, baseline) }
        return (text, baseline)
    }
}
