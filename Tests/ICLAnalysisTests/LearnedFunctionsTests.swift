import Foundation
import ICLAnalysis
import ICLMath
import ICLModels
import ICLTasks
import Testing

/// Figure 4(a)'s functions on small sine models with random weights (embedding width 5, MLP 7,
/// N = 4), checked against the models' own forward pass and against the embedding and MLP
/// computed here in Double.
@Suite("Learned functions of sine models")
struct LearnedFunctionsTests {
    static let tasks = SineTasks(contextSize: 4, amplitudeMin: 0.1, amplitudeMax: 5)

    /// The sine model's shape (embedding, MLP first, one recurrent linear attention layer); `mlp_gd`
    /// with a large η so the GD step changes the prediction visibly.
    static func model(_ architecture: ModelConfig.Architecture, seed: UInt64) -> TrainedModel {
        let config = ModelConfig {
            $0.architecture = architecture; $0.layers = 1; $0.recurrent = true; $0.inputDim = 1; $0.contextSize = 4
            $0.keyDim = 5; $0.mlpHidden = 7; $0.mlpFirst = true; $0.embeddingDim = 5; $0.fixedEta = 0.7
        }
        let layout = AttentionStack(config).layout
        var parameters = layout.initialValues(seed: seed, scale: 1)
        // Non-zero biases, so the MLP's constant part is tested too.
        for entry in layout.entries where entry.name.hasSuffix("b_1") || entry.name.hasSuffix("b_2") {
            for k in entry.range { parameters[k] = Float(k % 7 - 3) * 0.1 }
        }
        return TrainedModel(config: config, parameters: parameters)
    }

    /// A token `(x, y)` after the embedding and the residual MLP, `h = W_E e + W_2 σ(W_1 W_E e + b_1) + b_2`,
    /// in Double from the named parameters: the "initial" read-out is `−h[D − 1]`.
    static func embedded(_ model: TrainedModel, x: Double, y: Double) -> [Double] {
        let layout = model.stack.layout, p = model.parameters.map(Double.init)
        let D = 5, Dh = 7
        let (E, W1, b1, W2, b2) = (
            layout.offset("embedding/W_E"), layout.offset("layer_0/mlp/W_1"), layout.offset("layer_0/mlp/b_1"),
            layout.offset("layer_0/mlp/W_2"), layout.offset("layer_0/mlp/b_2")
        )
        var h = (0..<D).map { i in p[E + i * 2] * x + p[E + i * 2 + 1] * y }
        let u = (0..<Dh).map { j in
            MultiLayerPerceptron.gelu((0..<D).reduce(p[b1 + j]) { $0 + p[W1 + j * D + $1] * h[$1] })
        }
        for i in 0..<D { h[i] += (0..<Dh).reduce(p[b2 + i]) { $0 + p[W2 + i * Dh + $1] * u[$1] } }
        return h
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-5) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(a), abs(b))
    }

    @Test func theAdjustedFunctionIsTheModelsPrediction() throws {
        let tf = Self.model(.transformer, seed: 1)
        let functions = try LearnedFunctions.measure(
            [("TF", tf)], tasks: Self.tasks, count: 3, seed: 5, stream: 9, points: 11)
        let batch: TaskBatch<Float> = Self.tasks.sample(count: 3, seed: 5, stream: 9)
        let sampled = tf.predictions(batch)
        for (b, f) in functions.enumerated() {
            #expect(f.task == b && f.x.count == 11 && f.x.first == -5 && f.x.last == 5)
            #expect(f.contextX.count == 4 && f.models[0].adjusted.count == 11)
            for (x, y) in zip(f.contextX, f.contextY) { #expect(Self.close(y, f.amplitude * sin(x + f.phase))) }
            for (x, y) in zip(f.x, f.truth) { #expect(y == f.amplitude * sin(x + f.phase)) }
            let grid = LearnedFunctions.queries(batch, task: b, inputs: f.x)
            #expect(f.models[0].adjusted == tf.predictions(grid).map(Double.init))
            // At the task's own query input, the prediction `compare` and the loss are computed from.
            let own = LearnedFunctions.queries(batch, task: b, inputs: [Double(batch.tokens[(b * 5 + 4) * 2])])
            #expect(own.tokens == Array(batch.tokens[(b * 10)..<((b + 1) * 10)]))
            #expect(tf.predictions(own)[0] == sampled[b])
        }
    }

    /// Initial: the embedding and MLP alone, read out at the query; the same whatever the context.
    @Test(arguments: [ModelConfig.Architecture.transformer, .mlpGD])
    func theInitialFunctionIsTheMLPReadout(architecture: ModelConfig.Architecture) throws {
        let model = Self.model(architecture, seed: 2)
        let f = try LearnedFunctions.measure(
            [("m", model)], tasks: Self.tasks, count: 1, seed: 3, stream: 9, points: 9)[0]
        for (x, initial) in zip(f.x, f.models[0].initial) {
            #expect(Self.close(initial, -Self.embedded(model, x: x, y: 0)[4]), "x = \(x)")
        }
        #expect(zip(f.models[0].initial, f.models[0].adjusted).contains { abs($0 - $1) > 1e-3 }, "the context matters")
        // Other context targets: the same initial function, another adjusted one.
        var batch: TaskBatch<Float> = Self.tasks.sample(count: 1, seed: 3, stream: 9)
        let initialModel = LearnedFunctions.initialModel(model)
        let before = initialModel.predictions(LearnedFunctions.queries(batch, task: 0, inputs: f.x))
        for j in 0..<4 { batch.tokens[j * 2 + 1] *= -2 }
        let grid = LearnedFunctions.queries(batch, task: 0, inputs: f.x)
        #expect(initialModel.predictions(grid) == before)
        #expect(model.predictions(grid).map(Double.init) != f.models[0].adjusted)
    }

    /// MLP + GD: the adjusted prediction is the initial one plus one GD step (η/N) on the output,
    /// `ŷ = ŷ₀ + (η/N) Σ_i h_i[−1] (m_i · m_q)`, with `h` the embedded tokens and `m` their features.
    @Test func theMLPGDAdjustmentIsOneGradientStep() throws {
        let model = Self.model(.mlpGD, seed: 4)
        let f = try LearnedFunctions.measure(
            [("MLP + GD", model)], tasks: Self.tasks, count: 2, seed: 6, stream: 9, points: 7)[1]
        let context = zip(f.contextX, f.contextY).map { Self.embedded(model, x: $0, y: $1) }
        for (g, x) in f.x.enumerated() {
            let query = Self.embedded(model, x: x, y: 0)
            let step = context.reduce(0.0) { sum, h in
                sum + h[4] * (0..<4).reduce(0.0) { $0 + h[$1] * query[$1] }
            }
            let initial = f.models[0].initial[g], adjusted = f.models[0].adjusted[g]
            #expect(Self.close(initial, -query[4]))
            #expect(Self.close(adjusted, initial + 0.7 / 4 * step), "x = \(x): \(adjusted) vs \(initial) + step")
        }
    }

    @Test func modelsOfOtherTasksAreRefused() {
        let linear = TrainedModel(
            config: ModelConfig {
                $0.inputDim = 3; $0.contextSize = 4
            },
            parameters: AttentionStack(
                ModelConfig {
                    $0.inputDim = 3; $0.contextSize = 4
                }
            ).layout.initialValues(
                seed: 0, scale: 1))
        #expect(throws: AnalysisError.self) {
            try LearnedFunctions.measure([("lsa", linear)], tasks: Self.tasks, count: 1, seed: 0, stream: 9, points: 5)
        }
    }
}
