import Foundation
import ICLMath
import ICLModels
import ICLRecipe
import ICLTasks

/// The exact expected loss of K steps of GD or GD++ on a fixed set of tasks, given only the
/// eigenvalues λ of each task's `X Xᵀ` (Appendix A.10's eigen-direction view).
///
/// In the eigenbasis of `H = X Xᵀ` every step acts on each direction alone. With `u_k = λ s_k²`
/// (the eigenvalue after the input transformations of the steps before k) and `R_k` the fraction of
/// the teacher not yet fitted in that direction:
///
///     R_{k+1} = R_k (1 − (η_k/N) u_k),     u_{k+1} = u_k (1 − γ_k u_k)²,     u_0 = λ, R_0 = 1
///
/// and the query's error is `−x_qᵀ R_K(H) w`. Averaging over the teacher `w ~ N(0, s² I)` and the
/// query `x_q ~ U(−r/2, r/2)^d` (independent of the context) gives the loss of a task as
/// `0.5 · o · s² · r²/12 · Σ_i R_K(λ_i)²` — the model's loss on these tasks without the sampling
/// noise of teacher and query, and without the token clipping of deep stacks.
public struct SpectralLoss: Sendable {
    /// Every task's eigenvalues, one after the other.
    public let eigenvalues: [Double]
    public let taskCount: Int
    public let contextSize: Int
    /// `0.5 · o · s² · r²/12`: the loss of one task per unit of `Σ_i R(λ_i)²`.
    public let scale: Double

    public init(eigenvalues: [[Double]], tasks: LinearRegressionTasks) {
        self.eigenvalues = eigenvalues.flatMap { $0 }
        taskCount = eigenvalues.count
        contextSize = tasks.contextSize
        scale =
            0.5 * Double(tasks.outputDim) * tasks.weightScale * tasks.weightScale * tasks.inputRange * tasks.inputRange
            / 12
    }

    /// Which entry of the variables gives each applied step its η and (GD++) its γ.
    public struct Steps: Sendable, Equatable {
        public var eta: [Int]
        public var gamma: [Int?]
        public var count: Int { eta.count }
        public init(eta: [Int], gamma: [Int?]) {
            precondition(eta.count == gamma.count, "one γ entry per step")
            self.eta = eta
            self.gamma = gamma
        }
    }

    /// The loss at `eta`, `gamma` (one per applied step; the variables are their logarithms, so the
    /// gradient is with respect to `log η`, `log γ`), over the first `limit` tasks.
    public func evaluate(logValues: [Double], steps: Steps, limit: Int? = nil, gradient: Bool) -> (
        loss: Double, gradient: [Double]
    ) {
        let values = logValues.map { exp($0) }
        let K = steps.count, n = min(limit ?? taskCount, taskCount) * (eigenvalues.count / max(taskCount, 1))
        let chunks = min(16, max(n / 4_096, 1))
        var losses = [Double](repeating: 0, count: chunks)
        var gradients = [[Double]](repeating: [], count: chunks)
        let invN = 1 / Double(contextSize)
        // Per applied step: η_k/N and γ_k (0 where the step has no γ: u is then unchanged).
        let etaOverN = steps.eta.map { values[$0] * invN }, gammas = steps.gamma.map { $0.map { values[$0] } ?? 0 }
        eigenvalues.withUnsafeBufferPointer { lambdas in
            losses.withUnsafeMutableBufferPointer { lossBuffer in
                gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                    let lossOut = SharedPointer(lossBuffer.baseAddress!),
                        gradientOut = SharedPointer(gradientBuffer.baseAddress!)
                    parallelFor(chunks: chunks) { chunk in
                        let (sum, dEta, dGamma) = Self.evaluate(
                            lambdas.baseAddress!, chunkRange(chunk, of: chunks, count: n), etaOverN: etaOverN,
                            gammas: gammas, invN: invN, gradient: gradient)
                        lossOut.base[chunk] = sum
                        // ∂/∂log v = v ∂/∂v, summed over the steps that share a variable.
                        var g = [Double](repeating: 0, count: values.count)
                        for k in 0..<K {
                            g[steps.eta[k]] += dEta[k] * values[steps.eta[k]]
                            if let j = steps.gamma[k] { g[j] += dGamma[k] * values[j] }
                        }
                        gradientOut.base[chunk] = g
                    }
                }
            }
        }
        let tasks = Double(n) / Double(eigenvalues.count / max(taskCount, 1))
        let factor = scale / tasks
        var total = 0.0
        var g = [Double](repeating: 0, count: values.count)
        for c in 0..<chunks {
            total += losses[c]
            if gradient { for k in g.indices { g[k] += gradients[c][k] * factor } }
        }
        let loss = total * factor
        return (loss.isFinite ? loss : .infinity, g)
    }

    /// Sixteen eigenvalues at a time (one `SIMD16<Double>` each step, no bounds checks; four
    /// independent vectors keep the units busy while each waits on its own chain): the recursion
    /// is the same per eigenvalue, so it runs across them, with the same operations in the same
    /// order as one at a time. The sums are not taken per lane: each eigenvalue's terms are added
    /// one after the other in the order of the eigenvalues, as one at a time, so the loss and the
    /// gradient are the same to the last bit. They have to be: a 12-step fit by continuation
    /// (gdpp-12) that saw per-lane sums (a relative 1e-13 off) ended at other η, γ from step 10 on.
    typealias Lanes = SIMD16<Double>

    /// `Σ R_K(λ_i)²` over `range` and, with `gradient`, its derivatives by every step's η_k and γ_k.
    static func evaluate(
        _ lambdas: UnsafePointer<Double>, _ range: Range<Int>, etaOverN: [Double], gammas: [Double], invN: Double,
        gradient: Bool
    ) -> (sum: Double, dEta: [Double], dGamma: [Double]) {
        let K = etaOverN.count, W = Lanes.scalarCount
        // u_k, R_k; each step's terms of the η and γ derivatives, per lane.
        let state = UnsafeMutablePointer<Lanes>.allocate(capacity: 2 * (K + 1) + 2 * K)
        // The derivatives' sums, then η_k/N and γ_k (read without bounds checks).
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 4 * K)
        sums.initialize(repeating: 0, count: 2 * K)
        (sums + 2 * K).initialize(from: etaOverN, count: K)
        (sums + 3 * K).initialize(from: gammas, count: K)
        defer { state.deallocate(); sums.deallocate() }
        let u = state, R = u + K + 1, termsEta = R + K + 1, termsGamma = termsEta + K
        let etaTerm = UnsafeRawPointer(termsEta).assumingMemoryBound(to: Double.self),
            gammaTerm = UnsafeRawPointer(termsGamma).assumingMemoryBound(to: Double.self)
        let dEta = sums, dGamma = sums + K, etaOverN = UnsafePointer(sums + 2 * K), gammas = UnsafePointer(sums + 3 * K)
        var sum = 0.0
        var i = range.lowerBound
        while i < range.upperBound {
            let m = min(W, range.upperBound - i)
            var lambda = Lanes()
            if m == W {
                lambda = UnsafeRawPointer(lambdas + i).loadUnaligned(as: Lanes.self)
            } else {
                for lane in 0..<m { lambda[lane] = lambdas[i + lane] }
            }
            i += W
            // u_k and R_k ride in registers and are stored for the backward: read back from memory,
            // each step's load waited on the store before it.
            var uk = lambda, Rk = Lanes(repeating: 1)
            for k in 0..<K {
                u[k] = uk; R[k] = Rk
                Rk = Rk * (1 - etaOverN[k] * uk)
                let b = 1 - gammas[k] * uk
                uk = uk * b * b
            }
            u[K] = uk; R[K] = Rk
            let squares = Rk * Rk
            for lane in 0..<m { sum += squares[lane] }
            guard gradient else { continue }
            // Backward through the recursion: dR (of R_{k+1}) and du (of u_{k+1}).
            var dR = 2 * R[K], du = Lanes()
            for k in (0..<K).reversed() {  // (a `stride` here stayed an unspecialised iterator call)
                let b = 1 - gammas[k] * u[k]
                let db = du * 2 * u[k] * b
                du = du * b * b - db * gammas[k]
                termsGamma[k] = db * u[k]
                let da = dR * R[k]
                dR *= 1 - etaOverN[k] * u[k]
                du -= da * etaOverN[k]
                termsEta[k] = da * u[k] * invN
            }
            // Step by step, each sum in a register through the group's lanes (in memory, every add
            // waited for the store before it). Raw pointers, not arrays: an array's uniqueness check
            // and closure per group took a third of the fit's time (gdpp-12, perf).
            for k in 0..<K {
                var (e, g) = (dEta[k], dGamma[k])
                for lane in 0..<m { g -= gammaTerm[k * W + lane]; e -= etaTerm[k * W + lane] }
                (dEta[k], dGamma[k]) = (e, g)
            }
        }
        return (
            sum, Array(UnsafeBufferPointer(start: dEta, count: K)), Array(UnsafeBufferPointer(start: dGamma, count: K))
        )
    }
}

/// Limited-memory BFGS with a backtracking (Armijo) line search: a deterministic minimiser for the
/// few smooth variables of GD and GD++, which converges where Adam on noisy batches stalls.
public enum LBFGS {
    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var iterations: Int
    }

    /// Minimises `f` (value and gradient) from `x0` for at most `iterations` steps; stops early when
    /// the value has not fallen by a relative 1e-12 in 10 steps, no step along the search direction
    /// decreases it, or `stop` answers true (checked before every iteration).
    public static func minimize(
        _ f: ([Double]) -> (Double, [Double]), from x0: [Double], iterations: Int,
        memory: Int = 10, stop: () -> Bool = { false }
    ) -> Result {
        var x = x0
        var (value, g) = f(x)
        var s: [[Double]] = [], y: [[Double]] = []
        var done = 0, stalled = 0
        while done < iterations, value.isFinite, !stop() {
            // Two-loop recursion: d = −H g.
            var q = g
            var alphas = [Double](repeating: 0, count: s.count)
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                alphas[i] = dot(s[i], q) / dot(y[i], s[i])
                for k in q.indices { q[k] -= alphas[i] * y[i][k] }
            }
            let scaling = s.isEmpty ? 1 / max(norm(g), 1e-300) : dot(s.last!, y.last!) / dot(y.last!, y.last!)
            for k in q.indices { q[k] *= scaling }
            for i in s.indices {
                let beta = dot(y[i], q) / dot(y[i], s[i])
                for k in q.indices { q[k] += s[i][k] * (alphas[i] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, g)
            if !(slope < 0) {  // not a descent direction: restart from steepest descent
                s.removeAll(); y.removeAll()
                direction = g.map { -$0 / max(norm(g), 1e-300) }
                slope = dot(direction, g)
            }
            var step = 1.0, accepted = false
            var next = x, nextValue = value, nextGradient = g
            for _ in 0..<50 {
                next = zip(x, direction).map { $0 + step * $1 }
                (nextValue, nextGradient) = f(next)
                if nextValue.isFinite && nextValue <= value + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted, slope < 0 else { break }
            done += 1
            let sk = zip(next, x).map { $0 - $1 }, yk = zip(nextGradient, g).map { $0 - $1 }
            if dot(sk, yk) > 1e-300 {
                s.append(sk); y.append(yk)
                if s.count > memory { s.removeFirst(); y.removeFirst() }
            }
            stalled = value - nextValue <= 1e-12 * abs(value) ? stalled + 1 : 0
            x = next; value = nextValue; g = nextGradient
            if stalled >= 10 { break }
        }
        return Result(x: x, value: value, iterations: done)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}

/// Fits GD or GD++ (η_k and γ_k of every step) to its optimum on a fixed set of training tasks:
/// the recipe's `"optimizer": "continuation"`.
///
/// The loss of K GD++ steps is a polynomial of very high degree in its 2K parameters; at good optima
/// η_k and γ_k grow by about an order of magnitude per step, which Adam from GD-like starting values
/// does not reach (it stalls at 0.030 for five steps). Instead:
/// - the objective is the exact expected loss given each training task's context spectrum
///   (`SpectralLoss`), in Double, over one fixed batch of `batch_size` tasks (100,000 in the zoo) of stream
///   `trainingFixedSet`: the tail of rare tasks with large eigenvalues, where a polynomial in
///   them explodes, has to be in the sample, or the fit is good on it and explodes on new tasks;
/// - variables are `log η`, `log γ` (positive, and steps of one size move small and large values
///   alike);
/// - continuation: step k is added to the optimum of k − 1 steps; its η_k and the γ_{k−1} it makes
///   matter (the last step's γ changes no prediction) start from a grid line search, 31 × 31 values
///   over six decades around the previous step's, on the first twentieth of the tasks;
/// - the best `starts` grid points are each minimised by L-BFGS (at most `steps` iterations), and
///   the one with the lowest loss of the real model on the validation tasks is kept.
/// A recurrent model shares one η and γ: one stage, the grid over both.
public struct GDPlusPlusFit {
    public let trainer: Trainer
    /// Grid points refined at each stage.
    public var starts = 3
    /// Grid: this many points per variable, over `decades` decades starting `below` decades under the reference.
    public var gridPoints = 31
    public var decades = 6.0
    public var below = 2.0

    public init(trainer: Trainer) { self.trainer = trainer }

    var config: ModelConfig { trainer.recipe.modelConfig }
    var hasGamma: Bool { config.architecture == .gdpp }

    /// The steps of stage `active` (non-recurrent: the first `active` steps; recurrent: all, shared).
    /// Variables: η of each stage step, then γ of each step but the last.
    func steps(active: Int) -> SpectralLoss.Steps {
        if config.recurrent {
            let L = config.layers
            return .init(eta: Array(repeating: 0, count: L), gamma: (0..<L).map { hasGamma && $0 < L - 1 ? 1 : nil })
        }
        return .init(
            eta: Array(0..<active), gamma: (0..<active).map { hasGamma && $0 < active - 1 ? active + $0 : nil })
    }

    /// The model's parameters (η of every parameter layer, then γ; steps not yet added are 0).
    func parameters(logValues: [Double], active: Int) -> [Float] {
        let Lp = config.parameterLayers
        var p = [Float](repeating: 0, count: hasGamma ? 2 * Lp : Lp)
        let stageSteps = steps(active: active)
        for k in 0..<(config.recurrent ? 1 : active) {
            p[k] = Float(exp(logValues[stageSteps.eta[k]]))
            if let j = stageSteps.gamma[k] { p[Lp + k] = Float(exp(logValues[j])) }
        }
        return p
    }

    /// Candidate starts of stage `active`: the previous optimum with the new variables on a log grid,
    /// best first by the loss on the first twentieth of the tasks.
    func gridStarts(previous: [Double], active: Int, loss: SpectralLoss) -> [[Double]] {
        let etaInit = log(trainer.recipe.model.etaInit), N2 = 2 * log(Double(config.contextSize))
        // (index in the new variables, log of the reference value) of each searched variable.
        var searched: [(Int, Double)] = []
        var base: [Double]
        if config.recurrent || active == 1 {
            base = hasGamma && config.recurrent ? [etaInit, etaInit - N2] : [etaInit]
            searched = base.indices.map { ($0, base[$0]) }
        } else {
            let old = active - 1
            // η of the old steps, the new η, γ of the old steps but the last, the new γ_{old−1}.
            base = Array(previous[0..<old]) + [previous[old - 1]]
            if hasGamma {
                base += Array(previous[old..<(old + max(old - 1, 0))])
                let gammaReference = old >= 2 ? previous[old + old - 2] : previous[0] - N2
                base.append(gammaReference)
                searched = [(old, previous[old - 1]), (base.count - 1, gammaReference)]
            } else {
                searched = [(old, previous[old - 1])]
            }
        }
        let offsets = (0..<gridPoints).map { (Double($0) / Double(gridPoints - 1) * decades - below) * log(10.0) }
        var candidates: [(Double, [Double])] = []
        let stageSteps = steps(active: active), probe = max(loss.taskCount / 20, 1)
        func visit(_ depth: Int, _ x: inout [Double]) {
            if depth == searched.count {
                candidates.append(
                    (loss.evaluate(logValues: x, steps: stageSteps, limit: probe, gradient: false).loss, x))
                return
            }
            let (index, reference) = searched[depth]
            for offset in offsets {
                x[index] = reference + offset
                visit(depth + 1, &x)
            }
        }
        var x = base
        visit(0, &x)
        candidates.sort { $0.0 < $1.0 }
        var chosen: [[Double]] = []
        for (_, x) in candidates where chosen.count < starts && !chosen.contains(x) { chosen.append(x) }
        return chosen
    }

    /// Throws `TrainingStopped` (no state saved) as soon as `stop` answers true.
    public func run(stop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) throws
        -> TrainingResult
    {
        let recipe = trainer.recipe, t = recipe.training
        let started = Date()
        let tasks = recipe.tasks
        let loss = SpectralLoss(
            eigenvalues: tasks.contextEigenvalues(
                count: t.batchSize, seed: trainer.seed,
                stream: RandomStream.trainingFixedSet),
            tasks: tasks)
        let validation = trainer.validationSet()
        var history = TrainingHistory()
        let stages = config.recurrent ? 1 : config.layers
        // One record per stage k of K, at step k · steps / K (0: predicting 0; the last at `steps`); with
        // fewer steps than stages, the later of two stages at one step is kept.
        func record(_ parameters: [Float], stage: Int, trainLoss: Double) {
            let v = Trainer.loss(trainer.stack, parameters: parameters, on: validation)
            let step = Int64(stage * t.steps / stages)
            if history.step.last == step {
                history.step.removeLast(); history.trainLoss.removeLast(); history.validationLoss.removeLast()
            }
            history.step.append(step)
            history.trainLoss.append(trainLoss)
            history.validationLoss.append(v)
            progress(
                TrainingProgress(
                    step: Int(step), steps: t.steps, trainLoss: trainLoss, validationLoss: v,
                    elapsed: Date().timeIntervalSince(started)))
        }
        var parameters = [Float](repeating: 0, count: trainer.initialParameters().count)
        record(
            parameters, stage: 0,
            trainLoss: loss.evaluate(logValues: [], steps: .init(eta: [], gamma: []), gradient: false).loss)
        var best: [Double] = []
        for active in 1...stages {
            let stageSteps = steps(active: active)
            var kept: (validation: Double, x: [Double], value: Double)?
            for start in gridStarts(previous: best, active: active, loss: loss) {
                let result = LBFGS.minimize(
                    { x in
                        let r = loss.evaluate(logValues: x, steps: stageSteps, gradient: true)
                        return (r.loss, r.gradient)
                    }, from: start, iterations: t.steps, stop: stop)
                if stop() { throw TrainingStopped(step: Int(history.step.last ?? 0), savedState: false) }
                var v = Trainer.loss(
                    trainer.stack, parameters: self.parameters(logValues: result.x, active: active), on: validation)
                if !v.isFinite { v = .infinity }
                if kept == nil || v < kept!.validation { kept = (v, result.x, result.value) }
            }
            best = kept!.x
            parameters = self.parameters(logValues: best, active: active)
            record(parameters, stage: active, trainLoss: kept!.value)
        }
        return TrainingResult(
            recipe: recipe, parameters: parameters, history: history,
            seconds: Date().timeIntervalSince(started))
    }
}
