import ICLMath
import ICLTasks
import Testing

@Suite("Task families and layouts")
struct TaskTests {
    @Test func linearRegressionTokensHoldTheTeachersTargets() {
        let tasks = LinearRegressionTasks(inputDim: 3, outputDim: 1, contextSize: 5, inputRange: 1)
        let batch = tasks.sample(count: 20, seed: 1, stream: 2, as: Double.self)
        #expect(batch.tokens.count == 20 * 6 * 4 && batch.targets.count == 20)
        for b in 0..<20 {
            // The query's target slot is hidden; inputs are in (−0.5, 0.5).
            #expect(batch.tokens[(b * 6 + 5) * 4 + 3] == 0)
            for j in 0..<6 { for k in 0..<3 { #expect(abs(batch.tokens[(b * 6 + j) * 4 + k]) <= 0.5) } }
        }
        // y is linear in x with the same teacher across a task: least squares on the context
        // recovers it and predicts the query's target.
        let gd = GradientDescent.predict(batch, inputDim: 3, etas: Array(repeating: 5, count: 3000))
        var worst = 0.0
        for b in 0..<20 { worst = max(worst, abs(gd[b] - batch.targets[b])) }
        #expect(worst < 1e-3)
    }

    @Test func noisyTargetsAreTheTeachersPlusNoiseOfTheGivenSpread() {
        // σ = 0 draws nothing: the paper's tasks, bit for bit. With σ > 0, least squares on many
        // examples leaves residuals of standard deviation ≈ σ (the normal equations, written out for d = 2).
        let clean = LinearRegressionTasks(inputDim: 2, contextSize: 400)
        #expect(
            clean.sample(count: 3, seed: 1, stream: 2, as: Double.self).tokens
                == LinearRegressionTasks(inputDim: 2, contextSize: 400, noiseStd: 0).sample(
                    count: 3, seed: 1, stream: 2, as: Double.self
                ).tokens)
        let noisy = LinearRegressionTasks(inputDim: 2, contextSize: 400, noiseStd: 0.5).sample(
            count: 3, seed: 1, stream: 2, as: Double.self)
        var squares = 0.0, count = 0.0
        for b in 0..<3 {
            // Fit w on the context by the normal equations (2 × 2), then look at the context residuals.
            var s = [0.0, 0, 0], m = [0.0, 0]
            for i in 0..<400 {
                let t = (b * 401 + i) * 3, (x0, x1, y) = (noisy.tokens[t], noisy.tokens[t + 1], noisy.tokens[t + 2])
                s[0] += x0 * x0; s[1] += x0 * x1; s[2] += x1 * x1; m[0] += x0 * y; m[1] += x1 * y
            }
            let det = s[0] * s[2] - s[1] * s[1],
                w = [(s[2] * m[0] - s[1] * m[1]) / det, (s[0] * m[1] - s[1] * m[0]) / det]
            for i in 0..<400 {
                let t = (b * 401 + i) * 3
                let r = noisy.tokens[t + 2] - w[0] * noisy.tokens[t] - w[1] * noisy.tokens[t + 1]
                squares += r * r; count += 1
            }
        }
        let std = (squares / count).squareRoot()
        #expect(abs(std - 0.5) < 0.03, "residual std \(std)")
    }

    @Test func theSameSeedGivesTheSameTasksInFloatAndDouble() {
        let tasks = LinearRegressionTasks()
        let a = tasks.sample(count: 300, seed: 9, stream: 1, as: Float.self)
        let b = tasks.sample(count: 300, seed: 9, stream: 1, as: Float.self)
        let c = tasks.sample(count: 300, seed: 9, stream: 1, as: Double.self)
        #expect(a.tokens == b.tokens && a.targets == b.targets)
        #expect(zip(a.tokens, c.tokens).allSatisfy { $0 == Float($1) })
        // One task alone is the same task as inside a batch.
        let alone = tasks.sample(count: 1, seed: 9, stream: 1, as: Float.self)
        #expect(Array(a.tokens[0..<121]) == alone.tokens)
    }

    @Test func sineTasksWithCorrelatedPhase() {
        let sine = SineTasks(contextSize: 10, amplitudeMin: 0.1, amplitudeMax: 0.5, correlatedPhase: true)
        let batch = sine.sample(count: 50, seed: 2, stream: 3, as: Double.self)
        for b in 0..<50 {
            // Recover a and ρ from two context points is awkward; check the range instead:
            // |y| ≤ a_max and x ∈ [−5, 5].
            for j in 0..<10 {
                #expect(abs(batch.tokens[(b * 11 + j) * 2]) <= 5)
                #expect(abs(batch.tokens[(b * 11 + j) * 2 + 1]) <= 0.5)
            }
            #expect(batch.tokens[(b * 11 + 10) * 2 + 1] == 0)
        }
    }

    /// `functions` gives each task's a and ρ from the sampler's own draws: every point of the task,
    /// context and query, lies on `a·sin(x + ρ)`, with a and ρ in their ranges (ρ tied to a or not).
    @Test(arguments: [false, true]) func sineFunctionsAreTheSampledTasks(correlatedPhase: Bool) {
        let sine = SineTasks(contextSize: 10, amplitudeMin: 0.1, amplitudeMax: 5, correlatedPhase: correlatedPhase)
        let batch = sine.sample(count: 40, seed: 7, stream: 3, as: Double.self)
        let functions = sine.functions(count: 40, seed: 7, stream: 3)
        #expect(functions.count == 40)
        for (b, f) in functions.enumerated() {
            #expect(f.amplitude >= 0.1 && f.amplitude <= 5 && f.phase >= 0 && f.phase <= Double.pi)
            if correlatedPhase { #expect(abs(f.phase - Double.pi * (f.amplitude - 0.1) / 4.9) < 1e-12) }
            for j in 0..<11 {
                let x = batch.tokens[(b * 11 + j) * 2]
                let y = j < 10 ? batch.tokens[(b * 11 + j) * 2 + 1] : batch.targets[b]
                #expect(abs(y - f.amplitude * _sin(x + f.phase)) < 1e-12, "task \(b), point \(j)")
            }
        }
        // Another seed gives other functions.
        #expect(sine.functions(count: 1, seed: 8, stream: 3)[0].amplitude != functions[0].amplitude)
    }

    @Test func alternatingLayoutPlacesXYAndPositions() {
        let paired = LinearRegressionTasks(inputDim: 4, outputDim: 1, contextSize: 3).sample(
            count: 2, seed: 1, stream: 1, as: Double.self)
        let alternating = AlternatingTokens.make(from: paired, inputDim: 4, positionalDim: 4)
        #expect(alternating.tokenCount == 7 && alternating.tokenDim == 8)
        let pe = AlternatingTokens.positionalEncoding(positions: 7, width: 4)
        #expect(abs(pe[0 * 4 + 0] - 0) < 1e-15 && abs(pe[0 * 4 + 1] - 1) < 1e-15)  // sin 0, cos 0
        #expect(abs(pe[3 * 4 + 0] - _sin(3)) < 1e-15)
        for b in 0..<2 {
            for j in 0..<3 {
                let x = (b * 7 + 2 * j) * 8, y = x + 8, p = (b * 4 + j) * 5
                for k in 0..<4 { #expect(alternating.tokens[x + k] == paired.tokens[p + k]) }
                #expect(alternating.tokens[y + 3] == paired.tokens[p + 4])  // y in the last data slot
                for k in 0..<3 { #expect(alternating.tokens[y + k] == 0) }
            }
            let query = (b * 7 + 6) * 8
            for k in 0..<4 { #expect(alternating.tokens[query + k] == paired.tokens[(b * 4 + 3) * 5 + k]) }
        }
    }

    /// Into a reused batch (the training loop's), every entry is overwritten: a batch full of NaN
    /// comes out equal to a fresh one, in Float as in the training loop.
    @Test func alternatingLayoutIntoAReusedBatchOverwritesEverything() {
        let paired = LinearRegressionTasks(inputDim: 4, outputDim: 1, contextSize: 3).sample(
            count: 5, seed: 2, stream: 1, as: Float.self)
        for oneHot in [false, true] {
            let P = oneHot ? 7 : 4
            let fresh = AlternatingTokens.make(from: paired, inputDim: 4, positionalDim: P, oneHot: oneHot)
            var reused = TaskBatch<Float>(count: 5, tokenCount: 7, tokenDim: 4 + P, outputDim: 1)
            reused.tokens = [Float](repeating: .nan, count: reused.tokens.count)
            reused.targets = [Float](repeating: .nan, count: reused.targets.count)
            AlternatingTokens.make(from: paired, into: &reused, inputDim: 4, positionalDim: P, oneHot: oneHot)
            #expect(reused.tokens == fresh.tokens && reused.targets == fresh.targets)
            #expect(fresh.tokens.contains { $0 != 0 } && !fresh.tokens.contains { $0.isNaN })
        }
    }
}

@Suite struct TaskBatchSliceTests {
    /// 10 tasks in slices of 4: sizes 4, 4, 2, and put back together they are the batch.
    @Test func slicesCoverTheBatchInOrder() {
        let batch = LinearRegressionTasks(inputDim: 2, contextSize: 3).sample(
            count: 10, seed: 5, stream: 1, as: Float.self)
        let parts = Array(batch.slices(of: 4))
        #expect(parts.map(\.count) == [4, 4, 2])
        #expect(parts.flatMap(\.tokens) == batch.tokens && parts.flatMap(\.targets) == batch.targets)
        #expect(Array(batch.slices(of: 10)).map(\.count) == [10] && Array(batch.slices(of: 64)).map(\.count) == [10])
    }
}
