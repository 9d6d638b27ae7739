import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLRender

struct CurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves",
        abstract: "Training and validation loss over steps of trained checkpoints, seeds of one recipe drawn as mean ± std (Figures 2, 3).",
        discussion: """
        Checkpoints are grouped by recipe name; each group is drawn as its mean over seeds with a ± one standard \
        deviation band, on the steps every seed recorded. The curves are those stored at training time (validation on \
        each run's fixed validation set). --baseline adds a horizontal line at a construction's loss on --tasks \
        evaluation tasks (--seed).
        """)

    @Argument(help: "Trained checkpoints (.h5); several seeds of a recipe are averaged.")
    var checkpoints: [String]

    @Option(name: .customLong("baseline"), help: "A checkpoint (e.g. the GD construction) drawn as a horizontal line at its loss; repeatable (default: none).")
    var baselines: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one trained checkpoint") }
    }

    struct Baseline: Encodable {
        let name: String
        let file: String
        let loss: Double
    }

    func run() throws {
        let loaded = try checkpoints.map(LoadedModel.init)
        var order: [String] = [], runs: [String: [TrainingCurve]] = [:]
        for m in loaded {
            guard let history = m.checkpoint.history else {
                throw UserError("\(m.path): \(m.name) is a construction and has no training history; pass it with --baseline")
            }
            let key = m.checkpoint.recipe.name
            if runs[key] == nil { order.append(key) }
            runs[key, default: []].append(TrainingCurve(name: m.path, steps: history.step.map { Int($0) },
                                                        trainLoss: history.trainLoss, validationLoss: history.validationLoss))
        }
        let groups = try order.map { key in
            do { return try Curves.group(name: key, runs[key]!) } catch let error as AnalysisError { throw UserError(error.message) }
        }
        let baselineModels = try LoadedModel.all(baselines)
        let lines = try baselineModels.map { b in
            Baseline(name: b.name, file: b.path, loss: Evaluation.loss(
                b.model, on: try b.linearTasks().sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)))
        }

        if output.json {
            struct Report: Encodable { let groups: [CurveGroup]; let baselines: [Baseline]; let tasks: Int; let seed: UInt64 }
            try output.printJSON(Report(groups: groups, baselines: lines, tasks: output.tasks, seed: output.seed))
        } else {
            print("training curves, mean ± std over seeds (at the last step all seeds recorded):")
            for g in groups {
                let k = g.steps.count - 1
                print("  \(g.name): \(g.members.count) run(s), step \(g.steps[k]): train \(number(g.trainMean[k])) ± \(number(g.trainStd[k])), "
                    + "validation \(number(g.validationMean[k])) ± \(number(g.validationStd[k]))")
            }
            for b in lines { print("  baseline \(b.name) (\(b.file)): loss \(number(b.loss)) on \(output.tasks) evaluation tasks (seed \(output.seed))") }
        }
        var rows: [[String]] = []
        for g in groups {
            for k in g.steps.indices {
                rows.append([csvField(g.name), String(g.steps[k]), String(g.trainMean[k]), String(g.trainStd[k]),
                             String(g.validationMean[k]), String(g.validationStd[k])])
            }
        }
        try output.writeCSV(header: ["recipe", "step", "train_mean", "train_std", "validation_mean", "validation_std"], rows: rows)
        try output.writePNG {
            func series(_ mean: KeyPath<CurveGroup, [Double]>, _ std: KeyPath<CurveGroup, [Double]>) -> [Series] {
                groups.map { g in
                    let m = g[keyPath: mean], s = g[keyPath: std]
                    // mean − std can be ≤ 0, which a log axis cannot place: floor it at 1/1000 of the mean.
                    let band = g.members.count > 1
                        ? Band(lower: zip(m, s).map { max($0 - $1, 1e-3 * $0) }, upper: zip(m, s).map { $0 + $1 }) : nil
                    return Series(name: "\(g.name) (\(g.members.count) seed\(g.members.count == 1 ? "" : "s"))",
                                  x: g.steps.map(Double.init), y: m, band: band)
                }
            }
            let references = lines.map { HorizontalLine(y: $0.loss, label: "\($0.name): \(number($0.loss))") }
            let validation = LinePlot(title: "Validation loss", xLabel: "training step", yLabel: "loss (log scale)", yScale: .log10,
                                      series: series(\.validationMean, \.validationStd), horizontalLines: references,
                                      width: 700, height: 460)
            let training = LinePlot(title: "Training loss", xLabel: "training step", yLabel: "loss (log scale)", yScale: .log10,
                                    series: series(\.trainMean, \.trainStd), horizontalLines: references, width: 700, height: 460)
            return try renderGrid([validation, training], columns: 2)
        }
    }
}
