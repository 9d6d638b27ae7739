import Foundation
import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import ICLTraining

enum Measure {
    /// The models timed: the zoo's recipes (only their shapes matter for speed).
    static let modelNames = ["lsa-1", "lsa-recurrent-2", "lsa-5", "softmax-2head", "mlp-12-4head", "sine-mlp-lsa"]

    static func models(zoo: String) throws -> [(String, Recipe)] {
        try modelNames.map { name in (name, try Recipe.load("\(zoo)/\(name).json")) }
    }

    struct StepResult {
        var name: String
        var median: Double, sample: Double, model: Double, adam: Double
        /// CPU time of the whole process (all threads) per timed step: on a loaded machine, where the
        /// wall clock also counts other processes' turns, this divided by the cores used bounds the
        /// quiet-machine step time from below (a waiting thread spins, so it is counted too).
        var cpu: Double
        var flops: Double
        var gflops: Double { flops / (model * 1e6) }

        func dictionary(gemm: Double) -> [String: Any] {
            [
                "name": name, "ms_per_step": median, "sample_ms": sample, "forward_backward_ms": model, "adam_ms": adam,
                "cpu_ms_per_step": cpu, "flops_per_step": flops, "gflops": gflops,
                "fraction_of_gemm": Measure.json(gflops / gemm),
            ]
        }
    }

    /// A number for JSON, or null for what was not measured (NaN, which JSON cannot hold).
    static func json(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The trainer's step, timed in parts: sampling tasks, forward + backward, Adam.
    static func trainingStep(name: String, recipe: Recipe, steps: Int, warmup: Int) throws -> StepResult {
        let trainer = try Trainer(recipe: recipe)
        let r = trainer.recipe, stack = trainer.stack, B = r.training.batchSize
        var parameters = trainer.initialParameters()
        var adam = Adam(
            count: parameters.count, learningRate: r.learningRate, beta2: r.training.adamBeta2, clipNorm: r.clipNorm)
        let workspace = stack.makeWorkspace(batchSize: B, as: Float.self)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dPredictions = [Float](repeating: 0, count: B * r.task.outputDim)
        var total: [Double] = [], sample: [Double] = [], model: [Double] = [], update: [Double] = []
        var batch = r.taskSource.sample(count: B, seed: 0, stream: RandomStream.training, as: Float.self)
        var cpuStart = 0.0
        for step in 0..<(warmup + steps) {
            if step == warmup { cpuStart = processTime() }
            let t0 = now()
            r.taskSource.sample(into: &batch, seed: 0, stream: RandomStream.training + UInt64(step))
            let t1 = now()
            let y = stack.forward(parameters: parameters, tokens: batch.tokens, count: B, workspace: workspace)
            _ = queryLoss(predictions: y, targets: batch.targets, count: B, gradient: &dPredictions)
            for k in gradients.indices { gradients[k] = 0 }
            stack.backward(
                parameters: parameters, dPredictions: dPredictions, workspace: workspace, gradients: &gradients)
            let t2 = now()
            adam.update(&parameters, gradients: gradients)
            let t3 = now()
            if step >= warmup {
                total.append(t3 - t0); sample.append(t1 - t0); model.append(t2 - t1); update.append(t3 - t2)
            }
        }
        let cpu = (processTime() - cpuStart) / Double(steps)
        let f = stack.flops(count: B)
        return StepResult(
            name: name, median: median(total), sample: median(sample), model: median(model),
            adam: median(update), cpu: cpu, flops: f.forward + f.backward)
    }

    /// SGEMM n³ through OpenBLAS on one and on two threads: what this CPU can do on dense products.
    static func gemmGFLOPs(size n: Int) -> (one: Double, two: Double) {
        var random = SplitMix64(seed: 1)
        let a = (0..<(n * n)).map { _ in Float(random.uniform(-1, 1)) }
        let b = (0..<(n * n)).map { _ in Float(random.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: n * n)
        func rate(threads: Int) -> Double {
            BLAS.setThreads(threads)
            var times: [Double] = []
            for _ in 0..<7 {
                let t0 = now()
                c.withUnsafeMutableBufferPointer { BLAS.sgemm(n, n, n, a, b, $0.baseAddress!) }
                times.append(now() - t0)
            }
            return 2 * Double(n * n * n) / (median(times) * 1e6)
        }
        let result = (rate(threads: 1), rate(threads: 2))
        BLAS.setThreads(1)
        return result
    }

    /// `compare` on 10,000 tasks: forward and backward (sensitivities) of two 1-layer LSA models.
    static func compare(tasks: Int) -> (milliseconds: Double, gflops: Double) {
        let config = ModelConfig()
        let stack = AttentionStack(config)
        let a = TrainedModel(config: config, parameters: stack.layout.initialValues(seed: 1, scale: 0.5))
        let b = TrainedModel(
            config: config, parameters: Construction.gradientDescent(config, etas: [1]).map { Float($0) })
        let batch = LinearRegressionTasks().sample(
            count: tasks, seed: 0, stream: RandomStream.evaluation, as: Float.self)
        var times: [Double] = []
        for _ in 0..<7 {
            let t0 = now()
            _ = Alignment.compare(a, b, on: batch)
            times.append(now() - t0)
        }
        let f = stack.flops(count: tasks, tokenGradients: true)
        let ms = median(times)
        return (ms, 2 * (f.forward + f.backward) / (ms * 1e6))
    }

    /// A product shape the training steps are made of (one chunk: 128 tasks × 11 tokens = 1,408 rows).
    struct Shape {
        var name: String
        var m: Int, n: Int, k: Int
        var transposeA = false, transposeB = false
    }

    static let stepShapes = [
        Shape(name: "per task: 11x11 times 11x11 (U C, X C)", m: 11, n: 11, k: 11),
        Shape(name: "per task: (10x11)^T 10x11 (C = E^T E)", m: 11, n: 11, k: 10, transposeA: true),
        Shape(name: "chunk: 1408x11 times (11x11)^T (E K^T)", m: 1408, n: 11, k: 11, transposeB: true),
        Shape(name: "chunk: (1408x11)^T 1408x11 (dM, dK, dW)", m: 11, n: 11, k: 1408, transposeA: true),
        Shape(name: "MLP: 1408x11 times (44x11)^T (W_1)", m: 1408, n: 44, k: 11, transposeB: true),
        Shape(name: "MLP: 1408x44 times (11x44)^T (W_2)", m: 1408, n: 11, k: 44, transposeB: true),
        Shape(name: "MLP: (1408x44)^T 1408x11 (dW_1)", m: 44, n: 11, k: 1408, transposeA: true),
        Shape(name: "sine MLP: 1408x40 times (160x40)^T", m: 1408, n: 160, k: 40, transposeB: true),
    ]

    /// GFLOP/s of OpenBLAS (one thread, operands in cache) on `shape`: what the step's products can
    /// reach at best on one core, whatever the code around them does.
    static func rate(_ shape: Shape) -> Double {
        var random = SplitMix64(seed: 2)
        let a = (0..<(shape.m * shape.k)).map { _ in Float(random.uniform(-1, 1)) }
        let b = (0..<(shape.k * shape.n)).map { _ in Float(random.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: shape.m * shape.n)
        let flops = 2 * Double(shape.m * shape.n * shape.k)
        let calls = max(1, Int(2e7 / flops))  // ≈ 20 MFLOP a measurement
        var times: [Double] = []
        c.withUnsafeMutableBufferPointer { cb in
            for _ in 0..<7 {
                let t0 = now()
                for _ in 0..<calls {
                    BLAS.sgemm(
                        shape.m, shape.n, shape.k, a, transposeA: shape.transposeA, b, transposeB: shape.transposeB,
                        beta: 1, cb.baseAddress!)
                }
                times.append(now() - t0)
            }
        }
        return Double(calls) * flops / (median(times) * 1e6)
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(
            separator: " ") ?? "?"
    }
}
