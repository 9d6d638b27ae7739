import Foundation
import ICLMath
import ICLTasks

/// The learning algorithms a trained model is set beside, to ask which one it runs in context
/// (Akyürek et al. 2022: least squares, ridge, GD; Garg et al. 2022: nearest neighbours, averaging;
/// Fu et al. 2023: iterative Newton). Each sees a task's context `X` (N × d, rows `x_iᵀ`) and `y`
/// (N) and predicts the query's target; all but nearest neighbours predict `ŷ = wᵀ x_q` with a `w`
/// computed from the context, so their sensitivity `∂ŷ/∂x_q` is that `w`.
///
/// λ means the same thing everywhere: the ridge solution `(XᵀX + λI)⁻¹ Xᵀ y`, the minimiser of
/// `½ Σ_i (wᵀx_i − y_i)² + ½ λ ‖w‖²` — for `w ~ N(0, s² I)` and noise `ε ~ N(0, σ²)` the posterior
/// mean at `λ = σ²/s²` (Bayes-optimal).
public enum Algorithm: Equatable, Sendable {
    /// `w = X⁺ y` (LAPACK `dgelss`): ordinary least squares, the minimum-norm solution when N < d.
    case leastSquares
    /// `w = (XᵀX + λI)⁻¹ Xᵀ y` (LAPACK `dposv`), λ > 0.
    case ridge(lambda: Double)
    /// `steps` steps of gradient descent from `w_0 = 0` on `1/(2N) (Σ_i (wᵀx_i − y_i)² + λ‖w‖²)`:
    /// `w ← w − (η/N) (Xᵀ(Xw − y) + λ w)`. With λ = 0 this is the paper's GD (`GradientDescent`),
    /// with λ > 0 GD on the ridge objective, whose fixed point is `ridge(λ)`.
    case gradientDescent(steps: Int, eta: Double, lambda: Double)
    /// `steps` iterations of Newton–Schulz for the pseudo-inverse of `S = XᵀX = Σ_i x_i x_iᵀ`:
    /// `M_0 = α S` with `α = 1/λ_max(S)²` (LAPACK `dsyev`; every eigenvalue of `α S²` in (0, 1]),
    /// `M_{k+1} = 2 M_k − M_k S M_k`, and `w = M_K Xᵀ y` (Fu et al. 2023). `I − M_k S = (I − α S²)^(2^k)`,
    /// so `M_k → S⁺` and `w` → the minimum-norm least-squares solution.
    case newton(steps: Int)
    /// The mean target of the `k` context inputs nearest to `x_q` (Euclidean; ties to the earlier
    /// example), all N when k ≥ N. Piecewise constant in `x_q`: its sensitivity is 0.
    case nearestNeighbours(k: Int)
    /// `w = (1/N) Σ_i y_i x_i` (Garg et al.'s averaging; one GD step with η = 1).
    case averaging

    /// A short name for tables and legends.
    public var name: String {
        switch self {
        case .leastSquares: return "least squares"
        case .ridge(let lambda): return "ridge λ=\(short(lambda))"
        case .gradientDescent(let steps, let eta, let lambda):
            return "GD \(steps) step\(steps == 1 ? "" : "s") η=\(short(eta))"
                + (lambda > 0 ? " λ=\(short(lambda))" : "")
        case .newton(let steps): return "Newton \(steps) iteration\(steps == 1 ? "" : "s")"
        case .nearestNeighbours(let k): return "\(k)-NN"
        case .averaging: return "averaging"
        }
    }

    /// The prediction for one task and, for the algorithms linear in `x_q`, the `w` it used (nil for
    /// nearest neighbours). `x` is `[N, d]` row-major; nil when LAPACK fails (reported as NaN).
    public func predict(x: [Double], y: [Double], query: [Double]) -> (prediction: Double, weights: [Double]?)? {
        let d = query.count, N = y.count
        if case .nearestNeighbours(let k) = self {
            let distances = (0..<N).map { i in
                (0..<d).reduce(0.0) { $0 + (x[i * d + $1] - query[$1]) * (x[i * d + $1] - query[$1]) }
            }
            let nearest = (0..<N).sorted { (distances[$0], $0) < (distances[$1], $1) }.prefix(max(min(k, N), 1))
            return (nearest.reduce(0.0) { $0 + y[$1] } / Double(nearest.count), nil)
        }
        guard let w = weights(x: x, y: y, d: d) else { return nil }
        return ((0..<d).reduce(0.0) { $0 + w[$1] * query[$1] }, w)
    }

    /// `w` of the algorithms linear in the query.
    func weights(x: [Double], y: [Double], d: Int) -> [Double]? {
        let N = y.count
        switch self {
        case .leastSquares:
            return BLAS.leastSquares(x, rows: N, columns: d, y)
        case .ridge(let lambda):
            var a = gram(x, N: N, d: d)
            for k in 0..<d { a[k * d + k] += lambda }
            return BLAS.solvePositiveDefinite(a, n: d, moment(x, y, d: d))
        case .gradientDescent(let steps, let eta, let lambda):
            var w = [Double](repeating: 0, count: d)
            for _ in 0..<steps {
                var gradient = w.map { lambda * $0 }
                for i in 0..<N {
                    var residual = -y[i]
                    for k in 0..<d { residual += w[k] * x[i * d + k] }
                    for k in 0..<d { gradient[k] += residual * x[i * d + k] }
                }
                for k in 0..<d { w[k] -= eta / Double(N) * gradient[k] }
            }
            return w
        case .newton(let steps):
            let S = gram(x, N: N, d: d)
            guard let largest = BLAS.symmetricEigenvalues(S, n: d)?.last else { return nil }
            guard largest > 0 else { return [Double](repeating: 0, count: d) }  // all inputs zero
            var M = S.map { $0 / (largest * largest) }
            for _ in 0..<steps {
                let MS = multiply(M, S, d), MSM = multiply(MS, M, d)
                for k in M.indices { M[k] = 2 * M[k] - MSM[k] }
            }
            let b = moment(x, y, d: d)
            return (0..<d).map { r in (0..<d).reduce(0.0) { $0 + M[r * d + $1] * b[$1] } }
        case .averaging:
            return moment(x, y, d: d).map { $0 / Double(N) }
        case .nearestNeighbours:
            return nil
        }
    }

    /// `XᵀX = Σ_i x_i x_iᵀ` (d × d).
    private func gram(_ x: [Double], N: Int, d: Int) -> [Double] {
        var S = [Double](repeating: 0, count: d * d)
        for i in 0..<N { for r in 0..<d { for c in 0..<d { S[r * d + c] += x[i * d + r] * x[i * d + c] } } }
        return S
    }

    /// `Xᵀ y = Σ_i y_i x_i`.
    private func moment(_ x: [Double], _ y: [Double], d: Int) -> [Double] {
        var b = [Double](repeating: 0, count: d)
        for i in y.indices { for k in 0..<d { b[k] += y[i] * x[i * d + k] } }
        return b
    }

    private func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for r in 0..<d { for k in 0..<d { let v = a[r * d + k]; for j in 0..<d { c[r * d + j] += v * b[k * d + j] } } }
        return c
    }
}

extension Algorithm: InContextPredictor {
    public func predictionsAndSensitivities(_ batch: TaskBatch<Float>) -> (predictions: [Float], sensitivities: [Float])
    {
        precondition(batch.outputDim == 1, "the algorithm baselines predict one output")
        let d = batch.tokenDim - 1, N = batch.tokenCount - 1, D = batch.tokenDim
        var predictions = [Float](repeating: 0, count: batch.count)
        var sensitivities = [Float](repeating: 0, count: batch.count * d)
        let chunks = min(16, batch.count)
        predictions.withUnsafeMutableBufferPointer { p in
            sensitivities.withUnsafeMutableBufferPointer { s in
                let (out, sensitivity) = (SharedPointer(p.baseAddress!), SharedPointer(s.baseAddress!))
                parallelFor(chunks: chunks) { chunk in
                    for b in chunkRange(chunk, of: chunks, count: batch.count) {
                        let task = b * batch.tokenCount * D
                        var x = [Double](repeating: 0, count: N * d), y = [Double](repeating: 0, count: N)
                        for i in 0..<N {
                            for k in 0..<d { x[i * d + k] = Double(batch.tokens[task + i * D + k]) }
                            y[i] = Double(batch.tokens[task + i * D + d])
                        }
                        let query = (0..<d).map { Double(batch.tokens[task + N * D + $0]) }
                        guard let result = predict(x: x, y: y, query: query) else {
                            out.base[b] = .nan
                            continue
                        }
                        out.base[b] = Float(result.prediction)
                        if let w = result.weights { for k in 0..<d { sensitivity.base[b * d + k] = Float(w[k]) } }
                    }
                }
            }
        }
        return (predictions, sensitivities)
    }

    public func predictions(_ batch: TaskBatch<Float>) -> [Float] { predictionsAndSensitivities(batch).predictions }
}

/// `%.4g` without trailing noise, for names.
func short(_ value: Double) -> String {
    var text = String(format: "%.4g", value)
    if text.contains("e") { return text }
    while text.contains("."), text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
