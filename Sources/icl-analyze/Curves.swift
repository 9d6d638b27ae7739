import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath
import ICLModels
import ICLTasks

struct CurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves",
        abstract:
            "Training and validation loss over steps of trained checkpoints, seeds of one recipe drawn as their mean with a min–max band, and the alignment with GD over training (Figures 2, 3).",
        discussion: """
            Checkpoints are grouped by recipe name; each group is drawn as its mean over seeds with a band from the smallest \
            to the largest seed (the JSON and CSV also give the standard deviation), on the steps every seed recorded. The \
            curves are those stored at training time (validation on each run's fixed validation set). --baseline adds a \
            horizontal line at a baseline's loss on those same validation sets (each run's, drawn as the trainer draws it; \
            GD's η line-searched on each), the mean over the distinct sets; the table prints each set's loss. --align-with \
            compares every snapshot with a baseline on --tasks evaluation tasks (--seed) and draws, per recipe and \
            baseline, the three measures (sensitivity cosine and difference, prediction difference) as the mean with a \
            ± std band over seeds, beside the losses.
            """)

    @Argument(help: "Trained checkpoints (.h5); several seeds of a recipe are averaged.")
    var checkpoints: [String]

    @Option(
        name: .customLong("baseline"),
        help: ArgumentHelp(
            "A checkpoint (e.g. the GD construction) or a baseline algorithm, drawn as a horizontal line at its loss on the runs' validation sets; repeatable. \(AgainstHelp.text).",
            valueName: "file|baseline"))
    var baselines: [String] = []

    @Option(
        name: .customLong("align-with"),
        help:
            "For checkpoints with snapshots: the alignment measures of every snapshot against this checkpoint (a trained gd/gdpp model, a construction) or baseline (e.g. 'gd': GD with as many steps as the model has layers and a line-searched η); repeatable, e.g. --align-with gd --align-with gdpp.h5 for Figure 3's centre columns (default: none)."
    )
    var alignWith: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one trained checkpoint") }
        _ = try BaselineSpec.parseAll(baselines.filter { !isFile($0) }, option: "--baseline")
        _ = try BaselineSpec.parseAll(alignWith.filter { !isFile($0) }, option: "--align-with")
    }

    /// A value that names a checkpoint rather than an algorithm: an existing file or a .h5 name.
    func isFile(_ value: String) -> Bool { FileManager.default.fileExists(atPath: value) || value.hasSuffix(".h5") }

    /// A checkpoint or an algorithm, by how it was spelled.
    func baseline(_ value: String) throws -> (name: String, baseline: Baseline) {
        if isFile(value) {
            let m = try LoadedModel(value)
            return (m.name, .model(name: m.name, m.model))
        }
        return try loadBaselines([value])[0]
    }

    struct BaselineLine: Encodable {
        let name: String
        let file: String
        /// Mean over the runs' distinct validation sets.
        let loss: Double
        let perSet: [Double]
        let sets: [String]
        enum CodingKeys: String, CodingKey { case name, file, loss, perSet = "per_set", sets }
    }

    func run() throws {
        let loaded = try checkpoints.map(LoadedModel.init)
        let groups = try loaded[0].analyse {
            try Curves.groups(
                loaded.map { m in
                    guard let history = m.checkpoint.history else {
                        throw UserError(
                            "\(m.path): \(m.name) is a construction and has no training history; pass it with --baseline"
                        )
                    }
                    return (
                        m.checkpoint.recipe.name,
                        TrainingCurve(
                            name: m.path, steps: history.step.map { Int($0) },
                            trainLoss: history.trainLoss, validationLoss: history.validationLoss)
                    )
                })
        }
        let lines = try baselines.isEmpty ? [] : baselineLines(loaded)
        let (alignment, alignmentGroups) = try alignmentOverTraining(loaded)

        if output.json {
            struct Aligned: Encodable { let name: String; let points: [AlignmentPoint] }
            struct Report: Encodable {
                let groups: [CurveGroup]; let baselines: [BaselineLine]; let alignment: [Aligned]
                let alignmentGroups: [AlignmentGroup]; let tasks: Int; let seed: UInt64
                enum CodingKeys: String, CodingKey {
                    case groups, baselines, alignment, alignmentGroups = "alignment_groups", tasks, seed
                }
            }
            try output.printJSON(
                Report(
                    groups: groups, baselines: lines,
                    alignment: alignment.map { Aligned(name: $0.name, points: $0.points) },
                    alignmentGroups: alignmentGroups.map(\.group), tasks: output.tasks, seed: output.seed))
        } else {
            for (name, points) in alignment {
                print(
                    "alignment of \(name)\(alignWith.count > 1 ? "" : " with " + alignWith[0]) over training (\(output.tasks) tasks):"
                )
                print("  step      cosine     sensitivity diff   prediction diff")
                for p in points {
                    print(
                        String(
                            format: "  %-8d  %-9.5f  %-17.5f  %.5f", p.step, p.report.sensitivityCosine,
                            p.report.sensitivityDiff, p.report.predictionDiff))
                }
            }
            print("training curves, mean ± std [min, max] over seeds (at the last step all seeds recorded):")
            for g in groups {
                let k = g.steps.count - 1
                print(
                    "  \(g.name): \(g.members.count) run(s), step \(g.steps[k]): train \(number(g.trainMean[k])) ± \(number(g.trainStd[k])), "
                        + "validation \(number(g.validationMean[k])) ± \(number(g.validationStd[k])) [\(number(g.validationMin[k])), \(number(g.validationMax[k]))]"
                )
            }
            for b in lines {
                print(
                    "  baseline \(b.name) (\(b.file)) on the runs' validation sets: mean \(number(b.loss)); "
                        + zip(b.sets, b.perSet).map { "\($0) \(number($1))" }.joined(separator: ", "))
            }
        }
        // One row per recipe and step; with --align-with, each baseline's three measures (mean, std over
        // seeds) at the snapshot steps among them, empty at the others.
        var rows: [[String]] = []
        for g in groups {
            for k in g.steps.indices {
                var row = [
                    csvField(g.name), String(g.steps[k]), String(g.trainMean[k]), String(g.trainStd[k]),
                    String(g.validationMean[k]), String(g.validationStd[k]), String(g.trainMin[k]),
                    String(g.trainMax[k]),
                    String(g.validationMin[k]), String(g.validationMax[k]),
                ]
                for value in alignWith {
                    let a = alignmentGroups.first { $0.value == value && $0.group.name == g.name }?.group
                    let i = a?.steps.firstIndex(of: g.steps[k])
                    for spread in [a?.sensitivityCosine, a?.sensitivityDiff, a?.predictionDiff] {
                        if let spread, let i {
                            row += [String(spread.mean[i]), String(spread.std[i])]
                        } else {
                            row += ["", ""]
                        }
                    }
                }
                rows.append(row)
            }
        }
        let measures = ["sensitivity_cosine", "sensitivity_diff", "prediction_diff"]
        let alignmentColumns = alignWith.flatMap { value in
            measures.flatMap { [csvField("\($0)_mean vs \(value)"), csvField("\($0)_std vs \(value)")] }
        }
        try output.writeCSV(
            header: [
                "recipe", "step", "train_mean", "train_std", "validation_mean", "validation_std",
                "train_min", "train_max", "validation_min", "validation_max",
            ] + alignmentColumns, rows: rows)
        try output.writeFigure {
            Figures.curves(
                groups, references: lines.map { Figures.Reference(name: $0.name, loss: $0.loss) },
                alignment: alignmentGroups.map(\.group))
        }
    }

    /// Each --baseline on the runs' own validation sets (one per distinct task settings and seed).
    func baselineLines(_ loaded: [LoadedModel]) throws -> [BaselineLine] {
        var sets: [(name: String, tasks: LinearRegressionTasks, batch: TaskBatch<Float>, layers: Int)] = []
        var seen = Set<String>()
        for m in loaded {
            let tasks = try m.linearTasks(), t = m.checkpoint.recipe.training
            let key = "\(tasks) \(t.seed) \(t.validationTasks)"
            guard seen.insert(key).inserted else { continue }
            sets.append(
                (
                    "\(m.checkpoint.recipe.name) seed \(t.seed)", tasks,
                    tasks.sample(
                        count: t.validationTasks, seed: t.seed, stream: RandomStream.validation, as: Float.self),
                    m.model.config.layers
                ))
        }
        return try baselines.map { value in
            let baseline = try baseline(value).baseline
            var resolvedNames: [String] = []
            let result = try loaded[0].analyse {
                try Curves.baselineOnValidationSets(sets.map(\.batch)) { batch in
                    let k = sets.firstIndex { $0.batch.tokens == batch.tokens }!
                    let resolved = try baseline.predictor(
                        tasks: sets[k].tasks, batch: batch, seed: output.seed, defaultSteps: sets[k].layers)
                    resolvedNames.append(resolved.name)
                    return resolved.predictor
                }
            }
            let shown =
                Set(resolvedNames).count == 1
                ? resolvedNames[0]
                : (value.hasPrefix("gd") ? "GD, η line-searched" : value + ",") + " on each seed's set"
            return BaselineLine(
                name: shown, file: value, loss: result.mean, perSet: result.perSet, sets: sets.map(\.name))
        }
    }

    /// `compare` of every snapshot against each --align-with, on --tasks evaluation tasks: per run
    /// (for the table and JSON), and per recipe and baseline as mean and spread over seeds (the figure).
    func alignmentOverTraining(_ loaded: [LoadedModel]) throws -> (
        runs: [(name: String, points: [AlignmentPoint])], groups: [(value: String, group: AlignmentGroup)]
    ) {
        var runs: [(name: String, points: [AlignmentPoint])] = []
        var groups: [(value: String, group: AlignmentGroup)] = []
        for value in alignWith {
            let baseline = try baseline(value).baseline
            var recipes: [String] = [], members: [String: [(member: String, points: [AlignmentPoint])]] = [:]
            var against: [String: String] = [:]
            for m in loaded {
                guard case .trained(let record) = m.checkpoint.origin, !record.snapshots.isEmpty else { continue }
                let tasks = try m.linearTasks()
                let batch = tasks.sample(
                    count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
                let resolved = try m.analyse {
                    try baseline.predictor(
                        tasks: tasks, batch: batch, seed: output.seed, defaultSteps: m.model.config.layers)
                }
                let points = Curves.alignmentOverTraining(
                    m.checkpoint.config, snapshots: record.snapshots.map { ($0.step, $0.parameters) },
                    against: resolved.predictor, on: batch)
                runs.append((alignWith.count > 1 ? "\(m.name) vs \(value)" : m.name, points))
                let recipe = m.checkpoint.recipe.name
                if members[recipe] == nil { recipes.append(recipe) }
                members[recipe, default: []].append((m.name, points))
                against[recipe] = resolved.name
            }
            if runs.isEmpty {
                throw UserError(
                    "--align-with: none of the checkpoints has snapshots (recipes with snapshot_every store them)")
            }
            for recipe in recipes {
                let group = try loaded[0].analyse {
                    try Curves.alignmentGroup(name: recipe, against: against[recipe]!, members[recipe]!)
                }
                groups.append((value, group))
            }
        }
        return (runs, groups)
    }
}
