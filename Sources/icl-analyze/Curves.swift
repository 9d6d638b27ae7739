import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLModels
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

    @Option(name: .customLong("baseline"), help: ArgumentHelp("A checkpoint (e.g. the GD construction) or a baseline algorithm, drawn as a horizontal line at its loss; repeatable. \(AgainstHelp.text).", valueName: "file|baseline"))
    var baselines: [String] = []

    @Option(name: .customLong("align-with"), help: "For checkpoints with snapshots: the alignment measures of every snapshot against this checkpoint (a trained gd/gdpp model, a construction), or 'gd' for GD with as many steps as the model has layers and a line-searched η; repeatable, e.g. --align-with gd --align-with gdpp.h5 for Figure 3's centre columns (default: none).")
    var alignWith: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one trained checkpoint") }
        _ = try BaselineSpec.parseAll(baselineAlgorithms, option: "--baseline")
    }

    /// The --baseline values that are algorithms (on the first run's tasks): those that name no
    /// file and do not end in .h5.
    var baselineAlgorithms: [String] {
        baselines.filter { !FileManager.default.fileExists(atPath: $0) && !$0.hasSuffix(".h5") }
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
        var lines = try LoadedModel.all(baselines.filter { !baselineAlgorithms.contains($0) }).map { b in
            Baseline(name: b.name, file: b.path, loss: Evaluation.loss(
                b.model, on: try b.linearTasks().sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)))
        }
        if !baselineAlgorithms.isEmpty {
            let tasks = try loaded[0].linearTasks()
            let batch = tasks.sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
            for (spelling, baseline) in try loadBaselines(baselineAlgorithms) {
                let resolved = try loaded[0].analyse {
                    try baseline.predictor(tasks: tasks, batch: batch, seed: output.seed, defaultSteps: loaded[0].model.config.layers)
                }
                lines.append(Baseline(name: resolved.name, file: spelling, loss: Evaluation.loss(resolved.predictor, on: batch)))
            }
        }

        // Alignment over training, for runs that stored snapshots.
        var alignment: [(name: String, points: [AlignmentPoint])] = []
        for baselineName in alignWith {
            for m in loaded {
                guard case .trained(let record) = m.checkpoint.origin, !record.snapshots.isEmpty else { continue }
                let tasks = try m.linearTasks()
                let batch = tasks.sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
                let baseline: TrainedModel
                if baselineName == "gd" {
                    let c = m.checkpoint.config
                    let gd = ModelConfig { $0.layers = c.layers; $0.recurrent = true; $0.inputDim = c.inputDim; $0.outputDim = c.outputDim; $0.contextSize = c.contextSize }
                    let eta = LineSearch.search(batch.converted(to: Double.self), inputDim: c.inputDim, steps: c.layers).bestEta
                    baseline = TrainedModel(config: gd, parameters: Construction.gradientDescent(gd, etas: [eta]).map { Float($0) })
                } else {
                    baseline = try LoadedModel(baselineName).model
                }
                alignment.append((alignWith.count > 1 ? "\(m.name) vs \(baselineName)" : m.name,
                                  Curves.alignmentOverTraining(m.checkpoint.config, snapshots: record.snapshots.map { ($0.step, $0.parameters) },
                                                               against: baseline, on: batch)))
            }
            if alignment.isEmpty { throw UserError("--align-with: none of the checkpoints has snapshots (recipes with snapshot_every store them)") }
        }

        if output.json {
            struct Aligned: Encodable { let name: String; let points: [AlignmentPoint] }
            struct Report: Encodable {
                let groups: [CurveGroup]; let baselines: [Baseline]; let alignment: [Aligned]; let tasks: Int; let seed: UInt64
            }
            try output.printJSON(Report(groups: groups, baselines: lines, alignment: alignment.map { Aligned(name: $0.name, points: $0.points) },
                                        tasks: output.tasks, seed: output.seed))
        } else {
            for (name, points) in alignment {
                print("alignment of \(name)\(alignWith.count > 1 ? "" : " with " + alignWith[0]) over training (\(output.tasks) tasks):")
                print("  step      cosine     sensitivity diff   prediction diff")
                for p in points {
                    print(String(format: "  %-8d  %-9.5f  %-17.5f  %.5f", p.step, p.report.sensitivityCosine,
                                 p.report.sensitivityDiff, p.report.predictionDiff))
                }
            }
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
            var plots = [validation, training]
            if !alignment.isEmpty {
                plots.append(LinePlot(title: "Sensitivity cosine with \(alignWith.joined(separator: ", "))", xLabel: "training step", yLabel: "mean cosine",
                                      series: alignment.map { Series(name: $0.name, x: $0.points.map { Double($0.step) },
                                                                     y: $0.points.map(\.report.sensitivityCosine), style: .lineAndMarkers) },
                                      width: 700, height: 460))
                plots.append(LinePlot(title: "Prediction difference with \(alignWith.joined(separator: ", "))", xLabel: "training step",
                                      yLabel: "mean |ŷ − ŷ_baseline| (log scale)", yScale: .log10,
                                      series: alignment.map { Series(name: $0.name, x: $0.points.map { Double($0.step) },
                                                                     y: $0.points.map(\.report.predictionDiff), style: .lineAndMarkers) },
                                      width: 700, height: 460))
            }
            return try renderGrid(plots, columns: 2)
        }
    }
}
