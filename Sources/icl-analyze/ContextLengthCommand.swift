import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLRender

struct ContextLengthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context-length",
        abstract:
            "Loss against the number of in-context examples, for models and baseline algorithms (Garg et al. 2022).",
        discussion: """
            Every model and baseline sees the same tasks at each context size n (the first checkpoint's task settings with \
            N = n, evaluation stream, --seed). A model on paired tokens reads any n (linear attention sums over more \
            examples); baselines are resolved at each n (GD's η line-searched on that n's tasks). The table gives the \
            losses, then each model's prediction difference and sensitivity cosine with each baseline; the training N is \
            marked. The PNG draws the losses, the training N as a vertical line.
            """)

    @Argument(help: "Checkpoints (.h5) on paired linear-regression tokens.")
    var checkpoints: [String]

    @Option(
        name: .customLong("against"),
        help: ArgumentHelp("\(AgainstHelp.text); repeatable (default: none).", valueName: "baseline"))
    var baselines: [String] = []

    @Option(
        help: ArgumentHelp(
            "Context sizes: a list of numbers and ranges, e.g. 1-20,30,40 (default: 1 to 4 × the first model's N).",
            valueName: "list"))
    var lengths: String?

    @Option(
        name: .customLong("y-min"),
        help: ArgumentHelp(
            "Bottom of the figure's loss axis; smaller losses run off it (least squares on noiseless tasks reaches rounding error once n ≥ d) (default: fit every loss).",
            valueName: "loss"))
    var yMin: Double?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one checkpoint") }
        _ = try BaselineSpec.parseAll(baselines, option: "--against")
        if let lengths { _ = try parseLengths(lengths) }
        if let yMin, !(yMin > 0 && yMin.isFinite) {
            throw ValidationError("--y-min must be a positive loss (got \(yMin))")
        }
    }

    /// `1-20,30,40` → [1, …, 20, 30, 40], sorted, without repeats.
    func parseLengths(_ text: String) throws -> [Int] {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!, low >= 1,
                low <= high
            else {
                throw ValidationError("--lengths: '\(part)' is not a context size ≥ 1 or a range like 1-20")
            }
            values.formUnion(low...high)
        }
        return values.sorted()
    }

    func run() throws {
        let loaded = try LoadedModel.all(checkpoints)
        let base = try loaded[0].linearTasks()
        for m in loaded {
            if let problem = Evaluation.mismatch(m.model.config, base) {
                throw UserError("\(m.path): \(problem) (tasks of \(loaded[0].path))")
            }
        }
        let lengths = try self.lengths.map(parseLengths) ?? Array(1...(4 * base.contextSize))
        let sweep = try loaded[0].analyse {
            try ContextLength.sweep(
                models: loaded.map { ($0.name, $0.model) }, baselines: try loadBaselines(baselines),
                base: base, lengths: lengths, count: output.tasks, seed: output.seed)
        }
        let curves = sweep.models + sweep.baselines
        if output.json {
            try output.printJSON(sweep)
        } else {
            print(
                "loss against context size n, \(output.tasks) tasks per n (seed \(output.seed)); training N = \(sweep.trainingContextSize)"
            )
            for (k, c) in curves.enumerated() {
                print("  [\(k + 1)] \(c.name)\(k < loaded.count ? "  \(loaded[k].path)" : "")")
            }
            print("  " + pad("n", 4) + curves.indices.map { pad("[\($0 + 1)]", 12) }.joined())
            for (i, n) in lengths.enumerated() {
                print(
                    "  " + pad(String(n), 4) + curves.map { pad(number($0.losses[i]), 12) }.joined()
                        + (n == sweep.trainingContextSize ? "  ← training N" : ""))
            }
            for pair in sweep.alignment {
                print("\(pair.model) against \(pair.baseline): prediction diff / sensitivity cosine")
                let atN = lengths.firstIndex(of: sweep.trainingContextSize)
                let shown = Set(
                    [0, lengths.count / 4, lengths.count / 2, lengths.count - 1] + (atN.map { [$0] } ?? [])
                ).sorted()
                print(
                    "  "
                        + shown.map { i in
                            "n=\(lengths[i]): \(String(format: "%.4g", pair.predictionDiff[i])) / \(String(format: "%.4f", pair.sensitivityCosine[i]))"
                        }
                        .joined(separator: "   "))
            }
            for b in sweep.baselines where Set(b.resolved ?? []).count > 1 {
                print(
                    "\(b.name) at n = \(lengths.first!), \(lengths.last!): \(b.resolved!.first!); \(b.resolved!.last!)")
            }
        }
        var header = ["n"] + curves.map { csvField("loss " + $0.name) }
        header += sweep.alignment.flatMap {
            [
                csvField("prediction_diff \($0.model) vs \($0.baseline)"),
                csvField("cosine \($0.model) vs \($0.baseline)"),
            ]
        }
        try output.writeCSV(
            header: header,
            rows: lengths.indices.map { i in
                [String(lengths[i])] + curves.map { String($0.losses[i]) }
                    + sweep.alignment.flatMap { [String($0.predictionDiff[i]), String($0.sensitivityCosine[i])] }
            })
        try output.writeFigure {
            let x = lengths.map(Double.init)
            let top = curves.flatMap(\.losses).filter(\.isFinite).max() ?? 1
            let limits = yMin.flatMap { $0 < top ? $0...(top * 1.5) : nil }
            let plot = LinePlot(
                title: "Loss against the number of in-context examples",
                xLabel: "context examples n", yLabel: "loss (log scale)", yScale: .log10,
                series: sweep.models.map { Series(name: $0.name, x: x, y: $0.losses, style: .lineAndMarkers) }
                    + sweep.baselines.map { Series(name: $0.name, x: x, y: $0.losses) },
                verticalMarkers: [
                    VerticalMarker(
                        x: Double(sweep.trainingContextSize), label: "training N = \(sweep.trainingContextSize)")
                ],
                yLimits: limits, width: 900, height: 560)
            return .plot(plot)
        }
    }
}
