import ArgumentParser
import Foundation
import ICLAnalysis
import ICLRender

struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract:
            "Which algorithm does a model run? The closest member of each algorithm family, and per layer for deep models.",
        discussion: """
            Families: least squares; ridge, λ = 10^-3 … 10^2 (two per decade); GD with K = 1 … --max-steps steps (η \
            line-searched on the evaluation tasks for each K); Newton–Schulz with K = 0 … --max-steps iterations; k-nearest \
            neighbours, k = 1 … N; averaging; on noisy tasks (noise_std > 0) and models of several layers, GD on the ridge \
            objective with as many steps as the model has layers, λ = 10^-2 … 10^1; and each --against baseline. For each family the member with the smallest \
            mean prediction difference |ŷ_model − ŷ_algorithm| is shown with its sensitivity cosine. For a model of several \
            layers the prediction read out after each layer is set beside least squares, GD and Newton the same way. Tasks: \
            the model's, evaluation stream, --seed. --csv writes every member of every family; --png draws the \
            prediction difference against K for GD and Newton.
            """)

    @Argument(help: "Checkpoint (.h5) of a linear-regression model with one output.")
    var checkpoint: String

    @Option(
        name: .customLong("against"),
        help: ArgumentHelp(
            "\(AgainstHelp.text); repeatable, each its own family (default: none).", valueName: "baseline"))
    var baselines: [String] = []

    @Option(
        name: .customLong("max-steps"), parsing: .unconditional,
        help: "Largest K of the GD and Newton families (default: 10, or twice the model's layers if more).")
    var maxSteps: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1 (got \(maxSteps))") }
        _ = try BaselineSpec.parseAll(baselines, option: "--against")
    }

    func run() throws {
        let m = try LoadedModel(checkpoint)
        let taskSettings = try m.linearTasks()
        let K = maxSteps ?? max(10, 2 * m.model.config.layers)
        let result = try m.analyse {
            try Fingerprinting.fingerprint(
                m.model, tasks: taskSettings, count: output.tasks, seed: output.seed, maxSteps: K,
                extra: try loadBaselines(baselines))
        }
        if output.json {
            try output.printJSON(result)
        } else {
            printTable(result, name: m.name)
        }
        let members = result.families.flatMap(\.members)
        try output.writeCSV(
            header: [
                "family", "member", "resolved", "loss_model", "loss_member", "prediction_diff", "sensitivity_cosine",
                "sensitivity_diff",
            ],
            rows: members.map {
                [
                    csvField($0.family), $0.spelling, csvField($0.name), String($0.report.lossA),
                    String($0.report.lossB),
                    String($0.report.predictionDiff), String($0.report.sensitivityCosine),
                    String($0.report.sensitivityDiff),
                ]
            })
        try output.writeFigure {
            let stepFamilies = result.families.filter { $0.family == "GD" || $0.family == "Newton" }
            let plot = LinePlot(
                title: "\(m.name): distance to K-step algorithms", xLabel: "K (GD steps, Newton–Schulz iterations)",
                yLabel: "mean |ŷ_model − ŷ_algorithm| (log scale)", yScale: .log10,
                series: stepFamilies.map { f in
                    Series(
                        name: f.family, x: f.members.map { Double($0.spelling.split(separator: ":").last!)! },
                        y: f.members.map(\.report.predictionDiff), style: .lineAndMarkers)
                })
            return .plot(plot)
        }
    }

    func printTable(_ result: Fingerprint, name: String) {
        let (tasks, seed) = (output.tasks, output.seed)
        print("\(name) (\(checkpoint)): loss \(number(result.loss)) on \(tasks) tasks (seed \(seed))")
        print("closest member of each family (smallest mean |ŷ_model − ŷ_algorithm|):")
        let width = max(16, (result.families.map(\.family.count).max() ?? 0) + 2)
        print(
            "  " + "family".padding(toLength: width, withPad: " ", startingAt: 0)
                + "best member                         loss         pred diff   sens cosine")
        for f in result.families {
            print("  " + f.family.padding(toLength: width, withPad: " ", startingAt: 0) + row(f.best))
        }
        if !result.layers.isEmpty {
            print("after each layer (the query's readout), the closest least squares, GD and Newton:")
            print(
                "  layer  loss       "
                    + result.layers[0].best.map { $0.family.padding(toLength: 32, withPad: " ", startingAt: 0) }
                    .joined())
            for layer in result.layers {
                print(
                    "  " + String(layer.layer).padding(toLength: 7, withPad: " ", startingAt: 0)
                        + number(layer.loss).padding(toLength: 11, withPad: " ", startingAt: 0)
                        + layer.best.map {
                            ("\($0.spelling): \(String(format: "%.3g", $0.report.predictionDiff)) / \(String(format: "%.3f", $0.report.sensitivityCosine))")
                                .padding(toLength: 32, withPad: " ", startingAt: 0)
                        }.joined())
            }
            print("  (each entry: member: prediction diff / sensitivity cosine)")
        } else if let note = result.layersNote {
            print("no per-layer table: \(note)")
        }
    }

    func row(_ member: Fingerprint.Member) -> String {
        member.name.padding(toLength: 36, withPad: " ", startingAt: 0)
            + number(member.report.lossB).padding(toLength: 13, withPad: " ", startingAt: 0)
            + String(format: "%-12.4g%.4f", member.report.predictionDiff, member.report.sensitivityCosine)
    }
}
