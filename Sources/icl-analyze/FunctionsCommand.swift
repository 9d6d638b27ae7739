import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath
import ICLModels
import ICLTasks

struct FunctionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "functions",
        abstract: "The functions models on sine tasks learned: initial and adjusted by the context (Figure 4 left).",
        discussion: """
            For each of the first --plots evaluation tasks (the first checkpoint's sine settings, evaluation stream, \
            --seed), over --points query inputs x spanning the input range: the true function a·sin(x + ρ), the task's \
            N context points, and per model its initial function and its adjusted function. \
            Initial: the prediction before the in-context step, with every attention head's output projection P set to \
            0, so the query passes through the embedding and the MLP alone and reads no context: the paper's "initial \
            (meta-learned) prediction, read out after the MLP". For linear attention this is the prediction given an \
            empty context (the update is linear in C = Σ_i e_i e_iᵀ); for sine-mlp-gd, the meta-learned MLP's output \
            before its GD step. Adjusted: the model's prediction for the query x given the N context points (after the \
            self-attention layer or the GD step). The table gives both functions' losses on --tasks evaluation tasks \
            and, for each later model, the mean |ŷ − ŷ_first| of each function against the first model's.
            """)

    @Argument(help: "Checkpoints of models on sine tasks (.h5), e.g. sine-mlp-lsa and sine-mlp-gd, on one figure.")
    var checkpoints: [String]

    @Option(help: "Tasks drawn, one plot each: the first ones of the evaluation tasks.")
    var plots = 3

    @Option(help: "Query inputs x per plot, evenly spaced over the input range.")
    var points = 200

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one checkpoint") }
        if plots < 1 || plots > 12 { throw ValidationError("--plots must be from 1 to 12 (got \(plots))") }
        if points < 2 { throw ValidationError("--points must be at least 2 (got \(points))") }
    }

    /// One model's numbers in the table and the JSON.
    struct ModelSummary: Encodable {
        let name: String
        let legend: String
        let path: String
        let lossInitial: Double
        let lossAdjusted: Double
        /// Mean |ŷ − ŷ_first| over the evaluation tasks, of the initial and the adjusted functions
        /// (nil for the first model).
        let initialDiff: Double?
        let adjustedDiff: Double?

        enum CodingKeys: String, CodingKey {
            case name, legend, path, lossInitial = "loss_initial", lossAdjusted = "loss_adjusted"
            case initialDiff = "initial_diff", adjustedDiff = "adjusted_diff"
        }
    }

    struct Report: Encodable {
        let tasks: Int
        let seed: UInt64
        let models: [ModelSummary]
        let functions: [LearnedFunctions]
    }

    func run() throws {
        let models = try LoadedModel.all(checkpoints)
        var sineTasks: SineTasks?
        for m in models {
            guard case .sine(let tasks) = m.checkpoint.recipe.taskSource.family else {
                throw UserError(
                    "\(m.path): a model of the '\(m.checkpoint.recipe.task.family)' task family; `functions` draws "
                        + "sine tasks (Figure 4): give sine-mlp-lsa or sine-mlp-gd checkpoints")
            }
            sineTasks = sineTasks ?? tasks
        }
        try requireSameTasks(models)
        let tasks = sineTasks!
        let legends = legendNames(models)
        let functions = try models[0].analyse {
            try LearnedFunctions.measure(
                zip(legends, models).map { ($0, $1.model) }, tasks: tasks, count: plots, seed: output.seed,
                stream: RandomStream.evaluation, points: points)
        }
        // Both functions' losses on the evaluation tasks, and how far each is from the first model's.
        let batch: TaskBatch<Float> = tasks.sample(
            count: output.tasks, seed: output.seed, stream: RandomStream.evaluation)
        let predictions = models.map { m in
            (initial: LearnedFunctions.initialModel(m.model).predictions(batch), adjusted: m.model.predictions(batch))
        }
        func meanDifference(_ a: [Float], _ b: [Float]) -> Double {
            zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(a.count)
        }
        let summaries = models.indices.map { k in
            ModelSummary(
                name: models[k].name, legend: legends[k], path: models[k].path,
                lossInitial: Evaluation.loss(predictions: predictions[k].initial, on: batch),
                lossAdjusted: Evaluation.loss(predictions: predictions[k].adjusted, on: batch),
                initialDiff: k == 0 ? nil : meanDifference(predictions[k].initial, predictions[0].initial),
                adjustedDiff: k == 0 ? nil : meanDifference(predictions[k].adjusted, predictions[0].adjusted))
        }

        if output.json {
            try output.printJSON(
                Report(tasks: output.tasks, seed: output.seed, models: summaries, functions: functions))
        } else {
            print("learned functions on sine tasks; losses on \(output.tasks) evaluation tasks (seed \(output.seed)):")
            let labels = summaries.map { $0.legend == $0.name ? $0.name : "\($0.legend) (\($0.name))" }
            let width = max(5, labels.map(\.count).max()!)
            print(
                "  " + "model".padding(toLength: width, withPad: " ", startingAt: 0)
                    + "  initial loss  adjusted loss  initial diff  adjusted diff")
            for (s, label) in zip(summaries, labels) {
                let diffs = [s.initialDiff, s.adjustedDiff].map { $0.map(number) ?? "-" }
                print(
                    "  \(label.padding(toLength: width, withPad: " ", startingAt: 0))  \(pad(number(s.lossInitial), 12))  "
                        + "\(pad(number(s.lossAdjusted), 13))  \(pad(diffs[0], 12))  \(pad(diffs[1], 13))")
            }
            print(
                "  (diff: mean |ŷ − ŷ_first| against the first model; initial: no context, adjusted: given the N points)"
            )
            for f in functions {
                print(
                    "  plotted task \(f.task + 1): y = \(String(format: "%.4g", f.amplitude))·sin(x + "
                        + "\(String(format: "%.4g", f.phase))), \(f.contextX.count) context points")
            }
        }
        try output.writeCSV(
            header: ["task", "amplitude", "phase", "point", "x", "y_true"]
                + legends.flatMap { [csvField("\($0): initial"), csvField("\($0): adjusted")] },
            rows: functions.flatMap { f -> [[String]] in
                let head = [String(f.task + 1), String(f.amplitude), String(f.phase)]
                let grid = f.x.indices.map { g in
                    head + ["grid", String(f.x[g]), String(f.truth[g])]
                        + f.models.flatMap { [String($0.initial[g]), String($0.adjusted[g])] }
                }
                let context = f.contextX.indices.map { i in
                    head + ["context", String(f.contextX[i]), String(f.contextY[i])]
                        + Array(repeating: "", count: 2 * f.models.count)
                }
                return grid + context
            })
        let title =
            "Learned functions: "
            + zip(legends, models).map { $0 == $1.name ? $0 : "\($0) = \($1.name)" }.joined(separator: ", ")
        try output.writeFigure { Figures.learnedFunctions(functions, names: legends, title: title) }
    }

    /// Legend names: "TF" and "MLP + GD" as the paper calls the two models (the checkpoints' names
    /// when two models would share one).
    func legendNames(_ models: [LoadedModel]) -> [String] {
        let roles = models.map { $0.checkpoint.config.architecture == .mlpGD ? "MLP + GD" : "TF" }
        return models.indices.map { k in roles.filter { $0 == roles[k] }.count > 1 ? models[k].name : roles[k] }
    }
}
