import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath
import ICLTraining

struct CopyingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copying",
        abstract:
            "How strongly the first layer's output tokens depend on their own, their right neighbour's and the other input tokens, over training (Figure 5).",
        discussion: """
            For every snapshot in the checkpoint (recipes with snapshot_every, e.g. zoo/alternating-2.json) and for the final \
            weights: how the feature sum t_k of each first-layer output token k depends on input token j = k (own), k + 1 \
            (next) and the others, over --tasks evaluation tasks (a few hundred suffice). --measure authors (default, the \
            authors' code and the paper's Figure 5): the gradient ∂t_k/∂(raw token j) is averaged over the tasks first, then \
            its L2 norm taken, for k = 0 … 2N − 2; others = the sum over j ≠ k divided by 2N − 1; the residual alone gives \
            own = √d. --measure per-task: the mean over tasks of each task's gradient norm (all features), others the mean \
            over j ∉ {k, k + 1} (larger wherever gradients change sign between tasks). The validation loss at the same \
            steps is shown beside it.
            """)

    @Argument(help: "A trained attention checkpoint, ideally with snapshots (.h5).")
    var checkpoint: String

    @Option(
        help:
            "How tasks are averaged: authors (norm of the task-mean gradient, the paper's) or per-task (mean of per-task norms)."
    )
    var measure: CopyingMeasure = .authors

    @OptionGroup var output: OutputOptions

    func run() throws {
        let loaded = try LoadedModel(checkpoint)
        let c = loaded.checkpoint
        // On paired tokens (x_k, y_k) each y already sits in its x's token: there is nothing to copy,
        // and "the next token" is the next example.
        if c.config.tokenLayout == .paired {
            throw UserError(
                "\(checkpoint): its tokens are paired (x and y in one token), so there is no target to copy; "
                    + "the copying analysis needs alternating tokens (token_layout alternating or alternating_onehot)")
        }
        var points: [CopyingPoint] = []
        let tasks = c.recipe.taskSource.sample(
            count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
        var weights: [(Int, [Float])] = []
        if case .trained(let record) = c.origin {
            weights = record.snapshots.map { ($0.step, $0.parameters) }
            if weights.last?.0 != c.recipe.training.steps { weights.append((c.recipe.training.steps, c.parameters)) }
        } else {
            weights = [(0, c.parameters)]
        }
        do {
            for (step, parameters) in weights {
                points.append(
                    Copying.sensitivities(
                        of: try Copying.firstLayer(c.config, parameters), on: tasks, step: step, measure: measure))
            }
        } catch let error as AnalysisError {
            throw UserError("\(checkpoint): \(error.message)")
        }
        let history = c.history
        func loss(at step: Int) -> Double? {
            guard let h = history, let k = h.step.firstIndex(of: Int64(step)) else { return nil }
            return h.validationLoss[k]
        }
        if output.json {
            struct Report: Encodable {
                let file: String; let measure: CopyingMeasure; let tasks: Int; let seed: UInt64;
                let points: [CopyingPoint]
            }
            try output.printJSON(
                Report(file: checkpoint, measure: measure, tasks: output.tasks, seed: output.seed, points: points))
        } else {
            print(
                "first-layer sensitivities of \(checkpoint) on \(output.tasks) tasks (seed \(output.seed)), measure \(measure.rawValue):"
            )
            print("  step      own       next      others    validation loss")
            for p in points {
                print(
                    String(
                        format: "  %-8d  %-8.4f  %-8.4f  %-8.4f  %@", p.step, p.own, p.next, p.others,
                        loss(at: p.step).map { String(format: "%.5f", $0) } ?? "-"))
            }
        }
        try output.writeCSV(
            header: ["step", "own", "next", "others", "validation_loss"],
            rows: points.map {
                [
                    String($0.step), String($0.own), String($0.next), String($0.others),
                    loss(at: $0.step).map { String($0) } ?? "",
                ]
            })
        try output.writeFigure {
            let validation = history.map { h in
                (name: c.recipe.name, steps: h.step.map(Double.init), losses: h.validationLoss)
            }
            var construction = false
            if case .constructed = c.origin { construction = true }
            return Figures.copying(points, measure: measure, validation: validation, construction: construction)
        }
    }
}

extension CopyingMeasure: ExpressibleByArgument {}
