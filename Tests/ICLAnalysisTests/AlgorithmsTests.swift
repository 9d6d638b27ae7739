import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

/// A task in Double: `x` is `[N, d]` row-major, `y = X w (+ noise)`, and a query.
private struct Task {
    var x: [Double], y: [Double], query: [Double], w: [Double]
    init(N: Int, d: Int, seed: UInt64, noise: Double = 0) {
        var random = SplitMix64(seed: seed, stream: 9, index: 0)
        w = (0..<d).map { _ in random.normal() }
        x = (0..<(N * d)).map { _ in random.uniform() - 0.5 }
        let (x, w) = (x, w)
        y = (0..<N).map { i in (0..<d).reduce(0.0) { $0 + x[i * d + $1] * w[$1] } + noise * random.normal() }
        query = (0..<d).map { _ in random.uniform() - 0.5 }
    }
    func weights(_ algorithm: Algorithm) throws -> [Double] {
        let result = try #require(algorithm.predict(x: x, y: y, query: query))
        return try #require(result.weights)
    }
}

private func maxDifference(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

@Suite("Algorithm baselines against direct computations")
struct AlgorithmsTests {
    @Test(arguments: [10, 25])
    func leastSquaresRecoversTheTeacherWithoutNoise(N: Int) throws {
        let task = Task(N: N, d: 10, seed: 1)
        #expect(maxDifference(try task.weights(.leastSquares), task.w) < 1e-10)
    }

    @Test func withFewerExamplesThanDimensionsLeastSquaresIsTheMinimumNormInterpolant() throws {
        let (N, d) = (4, 10)
        let task = Task(N: N, d: d, seed: 2)
        let w = try task.weights(.leastSquares)
        // It interpolates the context ...
        for i in 0..<N { #expect(abs((0..<d).reduce(0.0) { $0 + w[$1] * task.x[i * d + $1] } - task.y[i]) < 1e-10) }
        // ... and is Xᵀ (X Xᵀ)⁻¹ y, the interpolant in the row space (Cholesky, not SVD).
        var XXt = [Double](repeating: 0, count: N * N)
        for i in 0..<N {
            for j in 0..<N { XXt[i * N + j] = (0..<d).reduce(0.0) { $0 + task.x[i * d + $1] * task.x[j * d + $1] } }
        }
        let a = try #require(BLAS.solvePositiveDefinite(XXt, n: N, task.y))
        let expected = (0..<d).map { k in (0..<N).reduce(0.0) { $0 + task.x[$1 * d + k] * a[$1] } }
        #expect(maxDifference(w, expected) < 1e-10)
    }

    @Test func ridgeMatchesItsClosedFormInTwoDimensions() throws {
        let task = Task(N: 6, d: 2, seed: 3, noise: 0.3), lambda = 0.7
        // (XᵀX + λI)⁻¹ Xᵀy with the 2 × 2 inverse written out.
        var s = [0.0, 0, 0], b = [0.0, 0]
        for i in 0..<6 {
            let (x0, x1) = (task.x[2 * i], task.x[2 * i + 1])
            s[0] += x0 * x0; s[1] += x0 * x1; s[2] += x1 * x1
            b[0] += x0 * task.y[i]; b[1] += x1 * task.y[i]
        }
        let (p, q, r) = (s[0] + lambda, s[1], s[2] + lambda), det = p * r - q * q
        let expected = [(r * b[0] - q * b[1]) / det, (p * b[1] - q * b[0]) / det]
        #expect(maxDifference(try task.weights(.ridge(lambda: lambda)), expected) < 1e-12)
    }

    @Test(arguments: [(4, 10), (10, 10), (30, 10)])
    func newtonSchulzConvergesToThePseudoInverse(N: Int, d: Int) throws {
        let task = Task(N: N, d: d, seed: 4)
        let ols = try task.weights(.leastSquares)
        #expect(maxDifference(try task.weights(.newton(steps: 40)), ols) < 1e-8 * max(1, ols.map(abs).max()!))
        // Few iterations are far from it: the test can fail.
        #expect(maxDifference(try task.weights(.newton(steps: 1)), ols) > 1e-3)
    }

    @Test func newtonWithoutIterationsIsTheScaledMoment() throws {
        // M_0 = S / λ_max(S)², so w = S Xᵀy / λ_max².
        let task = Task(N: 5, d: 3, seed: 5), d = 3
        var S = [Double](repeating: 0, count: 9), b = [0.0, 0, 0]
        for i in 0..<5 {
            for r in 0..<d {
                b[r] += task.y[i] * task.x[i * d + r];
                for c in 0..<d { S[r * d + c] += task.x[i * d + r] * task.x[i * d + c] }
            }
        }
        let largest = try #require(BLAS.symmetricEigenvalues(S, n: d)?.last)
        let expected = (0..<d).map { r in (0..<d).reduce(0.0) { $0 + S[r * d + $1] * b[$1] } / (largest * largest) }
        #expect(maxDifference(try task.weights(.newton(steps: 0)), expected) < 1e-12)
    }

    @Test func gradientDescentIsThePackagesExactGD() throws {
        // K steps with λ = 0 against ICLTasks' GradientDescent (its own loop), on a batch in Double.
        let batch = LinearRegressionTasks(inputDim: 4, contextSize: 6).sample(
            count: 20, seed: 6, stream: 1, as: Double.self)
        let etas = [0.8, 0.8, 0.8]
        let exact = GradientDescent.predict(batch, inputDim: 4, etas: etas)
        for b in 0..<batch.count {
            let task = Array(batch.tokens[(b * 35)..<((b + 1) * 35)])
            let x = (0..<6).flatMap { i in task[(i * 5)..<(i * 5 + 4)] }, y = (0..<6).map { task[$0 * 5 + 4] }
            let result = try #require(
                Algorithm.gradientDescent(steps: 3, eta: 0.8, lambda: 0).predict(
                    x: x, y: y, query: Array(task[30..<34])))
            #expect(abs(result.prediction - exact[b]) < 1e-12)
        }
    }

    @Test func oneGDStepIsThePropositionOneConstruction() throws {
        // The Proposition 1 weights in an LSA layer predict what one GD step predicts (Float).
        let batch = LinearRegressionTasks().sample(count: 200, seed: 7, stream: RandomStream.evaluation, as: Float.self)
        let construction = gdModel(ModelConfig { $0.layers = 1 }, etas: [1.7])
        let (model, algorithm) = (
            construction.predictions(batch), Algorithm.gradientDescent(steps: 1, eta: 1.7, lambda: 0).predictions(batch)
        )
        for b in 0..<batch.count { #expect(abs(model[b] - algorithm[b]) < 1e-5) }
        let report = Alignment.compare(
            construction, Algorithm.gradientDescent(steps: 1, eta: 1.7, lambda: 0), on: batch)
        #expect(report.sensitivityCosine > 1 - 1e-6 && report.predictionDiff < 1e-5, "\(report)")
        // Averaging is one GD step with η = 1.
        let averaging = Alignment.compare(
            gdModel(
                ModelConfig {
                    $0.layers = 1
                }, etas: [1]), Algorithm.averaging, on: batch)
        #expect(averaging.predictionDiff < 1e-5, "\(averaging)")
    }

    @Test func ridgeGDConvergesToRidgeAndItsFirstStepIsPlainGD() throws {
        let task = Task(N: 8, d: 3, seed: 8, noise: 0.5), lambda = 0.4
        let ridge = try task.weights(.ridge(lambda: lambda))
        #expect(maxDifference(try task.weights(.gradientDescent(steps: 20_000, eta: 1, lambda: lambda)), ridge) < 1e-9)
        // From w₀ = 0 the penalty's gradient λ w₀ vanishes: one step is plain GD whatever λ.
        #expect(
            maxDifference(
                try task.weights(.gradientDescent(steps: 1, eta: 2, lambda: lambda)),
                try task.weights(.gradientDescent(steps: 1, eta: 2, lambda: 0))) < 1e-15)
        #expect(
            maxDifference(
                try task.weights(.gradientDescent(steps: 2, eta: 2, lambda: lambda)),
                try task.weights(.gradientDescent(steps: 2, eta: 2, lambda: 0))) > 1e-3)
    }

    @Test func nearestNeighboursAverageTheClosestTargets() throws {
        // One-dimensional inputs 0, 1, 2, 10 with targets 5, 6, 7, 8; query 1.4.
        let x: [Double] = [0, 1, 2, 10], y: [Double] = [5, 6, 7, 8]
        let one = try #require(Algorithm.nearestNeighbours(k: 1).predict(x: x, y: y, query: [1.4]))
        #expect(one.prediction == 6 && one.weights == nil)
        #expect(try #require(Algorithm.nearestNeighbours(k: 2).predict(x: x, y: y, query: [1.4])).prediction == 6.5)
        #expect(try #require(Algorithm.nearestNeighbours(k: 3).predict(x: x, y: y, query: [1.4])).prediction == 6)
        #expect(try #require(Algorithm.nearestNeighbours(k: 9).predict(x: x, y: y, query: [1.4])).prediction == 6.5)
    }

    @Test func predictionsAndSensitivitiesOnABatch() {
        // A linear algorithm's sensitivity is its w: ŷ = wᵀx_q, so ŷ equals the sensitivity dotted with the query.
        let batch = LinearRegressionTasks(inputDim: 3, contextSize: 5).sample(
            count: 50, seed: 9, stream: 1, as: Float.self)
        let (y, s) = Algorithm.ridge(lambda: 0.2).predictionsAndSensitivities(batch)
        for b in 0..<50 {
            let query = (b * 6 + 5) * 4
            let dot = (0..<3).reduce(Float(0)) { $0 + s[b * 3 + $1] * batch.tokens[query + $1] }
            #expect(abs(dot - y[b]) < 1e-5)
        }
        #expect(
            Algorithm.nearestNeighbours(k: 2).predictionsAndSensitivities(batch).sensitivities.allSatisfy { $0 == 0 })
    }
}
