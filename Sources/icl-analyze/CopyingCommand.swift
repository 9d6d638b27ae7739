import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLRender
import ICLTraining

struct CopyingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copying",
        abstract: "How strongly the first layer's output tokens depend on their own, their right neighbour's and the other input tokens, over training (Figure 5).",
        discussion: """
        For every snapshot in the checkpoint (recipes with snapshot_every, e.g. zoo/alternating-2.json) and for the final \
        weights: the norm of the gradient of each first-layer output token's feature sum with respect to input token k \
        (own), k + 1 (next) and the mean over the rest (others), averaged over tokens and over --tasks evaluation tasks \
        (default 10,000; a few hundred suffice). The validation loss at the same steps is shown beside it.
        """)

    @Argument(help: "A trained attention checkpoint, ideally with snapshots (.h5).")
    var checkpoint: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let loaded = try LoadedModel(checkpoint)
        let c = loaded.checkpoint
        // On paired tokens (x_k, y_k) each y already sits in its x's token: there is nothing to copy,
        // and "the next token" is the next example.
        if c.config.tokenLayout == .paired {
            throw UserError("\(checkpoint): its tokens are paired (x and y in one token), so there is no target to copy; "
                + "the copying analysis needs alternating tokens (token_layout alternating or alternating_onehot)")
        }
        var points: [CopyingPoint] = []
        let tasks = c.recipe.taskSource.sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
        var weights: [(Int, [Float])] = []
        if case .trained(let record) = c.origin {
            weights = record.snapshots.map { ($0.step, $0.parameters) }
            if weights.last?.0 != c.recipe.training.steps { weights.append((c.recipe.training.steps, c.parameters)) }
        } else {
            weights = [(0, c.parameters)]
        }
        do {
            for (step, parameters) in weights {
                points.append(Copying.sensitivities(of: try Copying.firstLayer(c.config, parameters), on: tasks, step: step))
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
            struct Report: Encodable { let file: String; let tasks: Int; let seed: UInt64; let points: [CopyingPoint] }
            try output.printJSON(Report(file: checkpoint, tasks: output.tasks, seed: output.seed, points: points))
        } else {
            print("first-layer sensitivities of \(checkpoint) on \(output.tasks) tasks (seed \(output.seed)):")
            print("  step      own       next      others    validation loss")
            for p in points {
                print(String(format: "  %-8d  %-8.4f  %-8.4f  %-8.4f  %@", p.step, p.own, p.next, p.others,
                             loss(at: p.step).map { String(format: "%.5f", $0) } ?? "-"))
            }
        }
        try output.writeCSV(header: ["step", "own", "next", "others", "validation_loss"], rows: points.map {
            [String($0.step), String($0.own), String($0.next), String($0.others), loss(at: $0.step).map { String($0) } ?? ""]
        })
        try output.writePNG {
            let steps = points.map { Double($0.step) }
            let sensitivities = LinePlot(
                title: "First-layer sensitivity ‖∂ out_k / ∂ e_j‖", xLabel: "training step", yLabel: "gradient norm",
                series: [Series(name: "own token (j = k)", x: steps, y: points.map(\.own), style: .lineAndMarkers),
                         Series(name: "next token (j = k + 1)", x: steps, y: points.map(\.next), style: .lineAndMarkers),
                         Series(name: "other tokens (mean)", x: steps, y: points.map(\.others), style: .lineAndMarkers)],
                width: 700, height: 460)
            var plots = [sensitivities]
            if let h = history, !h.step.isEmpty {
                plots.append(LinePlot(title: "Validation loss", xLabel: "training step", yLabel: "loss (log scale)", yScale: .log10,
                                      series: [Series(name: c.recipe.name, x: h.step.map(Double.init), y: h.validationLoss)],
                                      width: 700, height: 460))
            }
            return try renderGrid(plots, columns: plots.count)
        }
    }
}
