import ICLMath
import ICLModels
import ICLTasks

/// The eigenvalues of the in-context loss Hessian `X Xᵀ = Σ_{i≤N} x_i x_iᵀ` (d × d, unnormalised,
/// as in Appendix A.10) over many tasks with N context points.
public struct SpectrumSummary: Codable, Equatable, Sendable {
    public var contextSize: Int
    public var tasks: Int
    /// Smallest and largest eigenvalue over all tasks (the smallest floored at `Spectrum.eigenvalueFloor`).
    public var minEigenvalue: Double
    public var maxEigenvalue: Double
    /// `κ = λ_max/λ_min` of each task, its median over tasks.
    public var medianCondition: Double
    /// `maxEigenvalue / minEigenvalue`: the worst case the paper plots at γ = 0.
    public var conditionBound: Double

    enum CodingKeys: String, CodingKey {
        case contextSize = "context_size", tasks, minEigenvalue = "min_eigenvalue", maxEigenvalue = "max_eigenvalue"
        case medianCondition = "median_condition", conditionBound = "condition_bound"
    }
}

/// Condition numbers after the GD++ input transformation, for a range of γ, at one N.
public struct ConditionCurve: Codable, Equatable, Sendable {
    public var contextSize: Int
    public var gammas: [Double]
    /// `max f / min f` of the map over `[λ_min, λ_max]` of all tasks (Figure 13, centre).
    public var bound: [Double]
    /// Median over tasks of each task's `κ⁺⁺` (Figure 13, right, summarised).
    public var medianPerTask: [Double]
    /// The γ of the grid with the smallest bound, and that bound.
    public var bestGamma: Double
    public var bestBound: Double

    enum CodingKeys: String, CodingKey {
        case contextSize = "context_size", gammas, bound, medianPerTask = "median_per_task"
        case bestGamma = "best_gamma", bestBound = "best_bound"
    }
}

/// γ as read from a model (see `Spectrum.gamma(of:)`).
public struct GammaReading: Codable, Equatable, Sendable {
    public var gamma: Double
    /// The scale correction β of the layer the reading comes from.
    public var beta: Double
    /// `‖corrected W_PV x-block + γ I‖_F / ‖γ I‖_F`: how far the block is from `−γ I` (0 for GD++).
    public var residual: Double
    public var contextSize: Int

    enum CodingKeys: String, CodingKey { case gamma, beta, residual, contextSize = "context_size" }
}

/// Appendix A.10: how GD++'s input transformation `x ← (I − γ X Xᵀ) x` reshapes the Hessian's
/// spectrum. An eigenvalue λ of `X Xᵀ` becomes `f(λ, γ) = λ − 2γλ² + γ²λ³ = λ(1 − γλ)²`, so the
/// condition number of the transformed Hessian follows from the original eigenvalues.
public enum Spectrum {
    /// Smallest eigenvalue kept (the paper cuts N = 10's smallest eigenvalue at 1e-10): below it
    /// an eigenvalue is round-off of a (near-)singular `X Xᵀ` and condition numbers are capped.
    public static let eigenvalueFloor = 1e-10

    /// Eigenvalues (ascending) of `X Xᵀ = Σ_i x_i x_iᵀ` (see `LinearRegressionTasks.gramEigenvalues`).
    public static func gramEigenvalues(inputs: [Double], count: Int, inputDim d: Int) -> [Double] {
        LinearRegressionTasks.gramEigenvalues(inputs: inputs, count: count, inputDim: d)
    }

    /// The GD++ eigenvalue map `f(λ, γ) = λ − 2γλ² + γ²λ³`.
    @inlinable
    public static func map(_ lambda: Double, gamma: Double) -> Double {
        lambda - 2 * gamma * lambda * lambda + gamma * gamma * lambda * lambda * lambda
    }

    /// The condition number after the map for one task: `max_i f(λ_i) / max(min_i f(λ_i), floor)`.
    public static func conditionNumber(eigenvalues: [Double], gamma: Double) -> Double {
        let mapped = eigenvalues.map { map(max($0, 0), gamma: gamma) }
        return mapped.max()! / max(mapped.min()!, eigenvalueFloor)
    }

    /// The worst-case condition number after the map when every eigenvalue lies in `[low, high]`:
    /// the largest over the smallest value of `f` on that interval. `f` rises to its local maximum
    /// `f(1/(3γ)) = 4/(27γ)`, falls to its root at `1/γ`, then rises again, so the extremes are at
    /// the ends or at those two points when they lie inside. Where `1/(3γ) ∈ [low, high] ≤ 1/γ`
    /// this is the paper's `f(1/(3γ)) / min(f(λ_1), f(λ_n))`; outside it the paper's formula
    /// overstates the maximum (its `f(1/(3γ))` is not attained).
    public static func conditionBound(low: Double, high: Double, gamma: Double) -> Double {
        let lo = max(low, 0)
        var largest = max(map(lo, gamma: gamma), map(high, gamma: gamma))
        var smallest = min(map(lo, gamma: gamma), map(high, gamma: gamma))
        if gamma > 0 {
            let peak = 1 / (3 * gamma), root = 1 / gamma
            if peak > lo && peak < high { largest = max(largest, map(peak, gamma: gamma)) }
            if root > lo && root < high { smallest = 0 }
        }
        return largest / max(smallest, eigenvalueFloor)
    }

    /// Each task's eigenvalues of `X Xᵀ` over its N context inputs, for `count` tasks of `tasks`
    /// drawn with `seed` from the evaluation stream (the same tasks the other analyses use).
    public static func eigenvalues(_ tasks: LinearRegressionTasks, count: Int, seed: UInt64) -> [[Double]] {
        tasks.contextEigenvalues(count: count, seed: seed, stream: RandomStream.evaluation)
    }

    /// Summary of per-task eigenvalues (ascending within each task).
    public static func summary(_ eigenvalues: [[Double]], contextSize: Int) -> SpectrumSummary {
        let low = max(eigenvalues.map { $0.first! }.min()!, eigenvalueFloor)
        let high = eigenvalues.map { $0.last! }.max()!
        let conditions = eigenvalues.map { conditionNumber(eigenvalues: $0, gamma: 0) }
        return SpectrumSummary(
            contextSize: contextSize, tasks: eigenvalues.count, minEigenvalue: low, maxEigenvalue: high,
            medianCondition: median(conditions), conditionBound: high / low)
    }

    /// Condition numbers over `gammas` for the tasks whose eigenvalues are given.
    public static func conditionCurve(_ eigenvalues: [[Double]], contextSize: Int, gammas: [Double]) -> ConditionCurve {
        let s = summary(eigenvalues, contextSize: contextSize)
        let bound = gammas.map { conditionBound(low: s.minEigenvalue, high: s.maxEigenvalue, gamma: $0) }
        let medians = gammas.map { gamma in median(eigenvalues.map { conditionNumber(eigenvalues: $0, gamma: gamma) }) }
        let best = bound.indices.min { bound[$0] < bound[$1] }!
        return ConditionCurve(
            contextSize: contextSize, gammas: gammas, bound: bound, medianPerTask: medians,
            bestGamma: gammas[best], bestBound: bound[best])
    }

    /// The median (mean of the middle two for an even count).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// The γ a model's weights implement, read as follows.
    ///
    /// GD++ (Appendix A.10) is one linear self-attention head with `W_KQ = [[I, 0], [0, 0]]` and
    /// `W_PV = [[−γ I, 0], [0, −η/N]]`: its x-block update is `x_j ← x_j − γ X Xᵀ x_j`, with the same
    /// unnormalised `X Xᵀ = Σ_{i≤N} x_i x_iᵀ` as above. A trained layer holds the same up to the
    /// scale ambiguity, so its products are first scale-corrected (Appendix A.3: `W_KQ/β`, `W_PV·β`,
    /// β the mean of `W_KQ`'s first d diagonal entries), and then
    ///
    ///     γ = − mean of the first d diagonal entries of the corrected W_PV  = −β · mean diag(W_PV[:d, :d])
    ///
    /// `residual` says how far that block is from `−γ I`. γ can only be read where the x-update is
    /// used: a recurrent stack applied at least twice (each application after the first sees the
    /// transformed inputs). A one-layer model's x-rows of `W_PV` never reach its prediction (the
    /// query's x is not read after the last layer), so they hold whatever initialisation left
    /// there; separate layers each have their own γ (not read here). Single-head linear attention only.
    public static func gamma(of model: TrainedModel) throws -> GammaReading {
        let c = model.config
        if let reason = Interpolation.inapplicability(c, for: "reading γ") { throw AnalysisError(reason) }
        guard c.recurrent, c.layers >= 2 else {
            throw AnalysisError(
                "γ is read from a recurrent stack applied at least twice (this one has \(c.layers) "
                    + "\(c.recurrent ? "application(s)" : "separate layer(s)")): elsewhere the W_PV x-block that holds γ "
                    + "never reaches the prediction, or there is one γ per layer (`icl-zoo show` prints a GD++ checkpoint's η_k, γ_k)"
            )
        }
        let corrected = try Interpolation.correctedProducts(model)[0]
        let d = c.inputDim, D = c.tokenDim
        let gamma = -HeadProducts.meanDiagonal(corrected.W_PV, tokenDim: D, first: d)
        var residual = 0.0
        for i in 0..<d {
            for j in 0..<d {
                let e = corrected.W_PV[i * D + j] + (i == j ? gamma : 0)
                residual += e * e
            }
        }
        let scale = abs(gamma) * Double(d).squareRoot()
        return GammaReading(
            gamma: gamma, beta: corrected.scaleCorrection ?? 1,
            residual: scale > 0 ? residual.squareRoot() / scale : (residual == 0 ? 0 : .infinity),
            contextSize: c.contextSize)
    }
}
