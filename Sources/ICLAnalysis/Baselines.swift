import Foundation
import ICLMath
import ICLTasks

/// A baseline as the command line names it (`--against`), before what it takes from the tasks —
/// GD's line-searched η, ridge's held-out λ — is computed. Spellings: `ols`, `ridge:λ`, `ridge`
/// (λ chosen on held-out tasks), `gd`, `gd:K`, `gd:K:λ` (η line-searched; λ > 0: GD on the ridge
/// objective), `newton:K`, `knn:k`, `averaging`, and `gdpp:FILE` (a GD++ or any other checkpoint).
public enum BaselineSpec: Equatable, Sendable {
    case leastSquares
    case ridge(lambda: Double?)
    case gradientDescent(steps: Int?, lambda: Double)
    case newton(steps: Int)
    case nearestNeighbours(k: Int)
    case averaging
    /// A checkpoint, loaded by the caller (this module does not read files).
    case checkpoint(path: String)

    public static let spellings = "ols, ridge, ridge:λ, gd, gd:K, gd:K:λ, newton:K, knn:k, averaging, gdpp:FILE"

    public init(parsing text: String) throws {
        let parts = text.split(
            separator: ":", maxSplits: text.hasPrefix("gdpp:") ? 1 : 2, omittingEmptySubsequences: false
        ).map(String.init)
        func count(_ k: Int, _ what: String, minimum: Int = 1) throws -> Int {
            guard parts.count > k, let value = Int(parts[k]), value >= minimum else {
                throw AnalysisError("'\(text)': \(what) must be a whole number ≥ \(minimum)")
            }
            return value
        }
        func positive(_ k: Int, _ what: String) throws -> Double {
            guard let value = Double(parts[k]), value > 0, value.isFinite else {
                throw AnalysisError("'\(text)': \(what) must be a positive number (got '\(parts[k])')")
            }
            return value
        }
        switch (parts[0], parts.count) {
        case ("ols", 1): self = .leastSquares
        case ("averaging", 1): self = .averaging
        case ("ridge", 1): self = .ridge(lambda: nil)
        case ("ridge", 2): self = .ridge(lambda: try positive(1, "λ"))
        case ("gd", 1): self = .gradientDescent(steps: nil, lambda: 0)
        case ("gd", 2): self = .gradientDescent(steps: try count(1, "the number of steps K"), lambda: 0)
        case ("gd", 3):
            self = .gradientDescent(steps: try count(1, "the number of steps K"), lambda: try positive(2, "λ"))
        case ("newton", 2): self = .newton(steps: try count(1, "the number of iterations K", minimum: 0))
        case ("knn", 2): self = .nearestNeighbours(k: try count(1, "k"))
        case ("gdpp", 2) where !parts[1].isEmpty: self = .checkpoint(path: parts[1])
        default:
            throw AnalysisError("unknown baseline '\(text)' (known: \(BaselineSpec.spellings))")
        }
    }

    /// The algorithm this names, with η line-searched on `batch` (as the paper does) and ridge's λ
    /// chosen on `count(batch)` held-out tasks of `tasks` (the validation stream, `seed`).
    /// `defaultSteps` is GD's K when the spelling leaves it out (the model's number of layers).
    public func algorithm(tasks: LinearRegressionTasks, batch: TaskBatch<Float>, seed: UInt64, defaultSteps: Int)
        -> Algorithm
    {
        switch self {
        case .leastSquares: return .leastSquares
        case .averaging: return .averaging
        case .newton(let steps): return .newton(steps: steps)
        case .nearestNeighbours(let k): return .nearestNeighbours(k: k)
        case .ridge(let lambda?): return .ridge(lambda: lambda)
        case .ridge(nil):
            return .ridge(lambda: Baselines.heldOutRidge(tasks: tasks, count: batch.count, seed: seed).lambda)
        case .gradientDescent(let steps, let lambda):
            let K = steps ?? defaultSteps
            return .gradientDescent(
                steps: K, eta: Baselines.lineSearchedEta(batch, steps: K, lambda: lambda), lambda: lambda)
        case .checkpoint:
            preconditionFailure("a checkpoint baseline is loaded by the caller")
        }
    }
}

public enum Baselines {
    /// λ from 10⁻³ to 10², four per decade: the grid of the held-out search (in log₁₀ λ).
    public static let ridgeGrid: [Double] = stride(from: -3.0, through: 2.0, by: 0.25).map { $0 }

    /// The ridge λ with the lowest loss on `count` held-out tasks (validation stream): the grid,
    /// then golden-section search in log λ.
    public static func heldOutRidge(tasks: LinearRegressionTasks, count: Int, seed: UInt64) -> (
        lambda: Double, loss: Double
    ) {
        let heldOut = tasks.sample(count: count, seed: seed, stream: RandomStream.validation, as: Float.self)
        let result = LineSearch.minimise(grid: ridgeGrid) {
            Evaluation.loss(Algorithm.ridge(lambda: pow10($0)), on: heldOut)
        }
        return (pow10(result.best), result.bestLoss)
    }

    /// GD's η for `steps` steps, by the paper's line search on `batch`: the package's exact GD
    /// (`LineSearch.search`) for λ = 0, the same grid and refinement on ridge-GD's loss otherwise.
    public static func lineSearchedEta(_ batch: TaskBatch<Float>, steps: Int, lambda: Double) -> Double {
        if lambda == 0 {
            return LineSearch.search(
                batch.converted(to: Double.self), inputDim: batch.tokenDim - batch.outputDim, steps: steps
            ).bestEta
        }
        return LineSearch.minimise(grid: LineSearch.defaultGrid) { eta in
            let loss = Evaluation.loss(Algorithm.gradientDescent(steps: steps, eta: eta, lambda: lambda), on: batch)
            return loss.isFinite ? loss : .infinity
        }.best
    }

    static func pow10(_ exponent: Double) -> Double { exp(exponent * log(10)) }
}

/// A baseline ready to be set beside a model on any tasks: an algorithm (resolved on the tasks it
/// meets) or a loaded checkpoint (a GD++ model, rebuilt for the tasks' context size when needed).
public enum Baseline: Sendable {
    case algorithm(BaselineSpec)
    case model(name: String, TrainedModel)

    /// The predictor for `tasks` (`batch` drawn from them), and its name.
    public func predictor(
        tasks: LinearRegressionTasks, batch: TaskBatch<Float>, seed: UInt64,
        defaultSteps: Int
    ) throws -> (name: String, predictor: any InContextPredictor) {
        switch self {
        case .algorithm(let spec):
            guard tasks.outputDim == 1 else {
                throw AnalysisError("the algorithm baselines predict one output; these tasks have \(tasks.outputDim)")
            }
            let algorithm = spec.algorithm(tasks: tasks, batch: batch, seed: seed, defaultSteps: defaultSteps)
            return (algorithm.name, algorithm)
        case .model(let name, let model):
            let resized = try ContextLength.model(model, contextSize: tasks.contextSize)
            if let problem = Evaluation.mismatch(resized.config, tasks) { throw AnalysisError("\(name): \(problem)") }
            return (name, resized)
        }
    }
}
