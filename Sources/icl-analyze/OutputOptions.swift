import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLModels
import ICLRender
import ICLTasks
import ICLTraining

/// What every analysis subcommand takes besides its inputs: where its results go, and which
/// evaluation tasks it draws (so two runs on the same files print the same numbers).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of the table (default: the table).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Also write the numbers shown (curve, table or matrices) as CSV to this file (default: none).",
            valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Also draw the figure as a PNG to this file (default: none).", valueName: "file"))
    var png: String?

    @Option(
        help: ArgumentHelp("Also draw the figure as an SVG (vector) to this file (default: none).", valueName: "file"))
    var svg: String?

    @Option(help: "Number of evaluation tasks.")
    var tasks = 10_000

    @Option(
        help: "Seed of the evaluation tasks, drawn from the evaluation stream, disjoint from training and validation.")
    var seed: UInt64 = 0

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
        if let csv, csv.isEmpty { throw ValidationError("--csv needs a file name") }
        if let png, !png.hasSuffix(".png") { throw ValidationError("--png must name a .png file (got \(png))") }
        if let svg, !svg.hasSuffix(".svg") { throw ValidationError("--svg must name a .svg file (got \(svg))") }
    }

    /// Prints `value` as one line of JSON (sorted keys; ±∞ and NaN, e.g. from a diverging rollout,
    /// as the strings "Infinity", "-Infinity", "NaN", since JSON has no numbers for them).
    func printJSON<T: Encodable>(_ value: T) throws { try OutputOptions.printJSON(value) }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Writes `--csv` (if given): a header line, then one line per row; replaced atomically.
    func writeCSV(header: [String], rows: [[String]]) throws {
        guard let csv else { return }
        let text = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try makeFolders(for: csv)  // a missing folder is created, as `icl-zoo train` does
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: csv), options: .atomic)
        } catch {
            throw UserError("\(csv): cannot write the CSV file (\(error.localizedDescription))")
        }
    }

    /// Writes `--png` and `--svg` (those given) with the figure `make` builds (built only when asked for).
    func writeFigure(_ make: () throws -> Figure) throws {
        guard png != nil || svg != nil else { return }
        let figure = try make()
        for (path, write) in [(png, figure.writePNG), (svg, figure.writeSVG)] {
            guard let path else { continue }
            try makeFolders(for: path)
            do {
                try write(path)
            } catch let error as RenderError {
                switch error {
                case .cannotWritePNG, .cannotWriteSVG: throw UserError(error.description)  // names the file already
                default: throw UserError("\(path): \(error.description)")
                }
            }
        }
    }
}

/// A checkpoint and the model in it, with a short name for tables and legends.
struct LoadedModel {
    let path: String
    let checkpoint: Checkpoint
    let model: TrainedModel
    var name: String

    /// The linear-regression tasks this model was trained on; an error for another family
    /// (the sine models), which the linear-regression analyses do not apply to.
    func linearTasks() throws -> LinearRegressionTasks {
        guard checkpoint.recipe.task.family == .linearRegression else {
            throw UserError(
                "\(path): a model of the '\(checkpoint.recipe.task.family)' task family; this analysis uses linear-regression tasks"
            )
        }
        return checkpoint.recipe.tasks
    }

    init(_ path: String) throws {
        self.path = path
        checkpoint = try Checkpoint.read(path)
        // GD and GD++ models are analysed in their attention form (the same function), so the
        // analyses of attention weights take a trained gd/gdpp checkpoint directly.
        let (config, parameters) =
            checkpoint.config.architecture.isGradientDescent
            ? GradientDescentWeights.attentionForm(checkpoint.config, checkpoint.parameters)
            : (checkpoint.config, checkpoint.parameters)
        model = TrainedModel(config: config, parameters: parameters)
        switch checkpoint.origin {
        case .trained:
            name = "\(checkpoint.recipe.name) seed \(checkpoint.recipe.training.seed)"
            if checkpoint.config.architecture == .gdpp { name = "GD++ (\(name))" }
            if checkpoint.config.architecture == .gd { name = "GD (\(name))" }
        case .constructed(let record):
            let etas = Set(record.etas).sorted().map { String(format: "%.3g", $0) }.joined(separator: ", ")
            let method = record.method == "copy" ? "copy construction" : Figures.paperName(record.method.uppercased())
            name = etas.isEmpty ? method : "\(method) (η = \(etas))"
        }
    }

    /// Loads every path; names that would be ambiguous in a legend become the file names.
    static func all(_ paths: [String]) throws -> [LoadedModel] {
        var models = try paths.map(LoadedModel.init)
        let names = models.map(\.name)
        for k in models.indices where names.filter({ $0 == names[k] }).count > 1 {
            models[k].name = models[k].path
        }
        return models
    }

    /// Runs an analysis of this file, naming the file in its error.
    func analyse<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as AnalysisError { throw UserError("\(path): \(error.message)") }
    }
}

/// Refuses checkpoints trained on other task settings than the first (another input range, N, d, …):
/// the analyses evaluate every model on the first one's tasks, which would silently be new tasks
/// for the others. The error names the differing fields.
func requireSameTasks(_ models: [LoadedModel]) throws {
    try requireSameTasks(models.map { ($0.path, $0.checkpoint.recipe) })
}

func requireSameTasks(_ checkpoints: [(path: String, recipe: Recipe)]) throws {
    guard let first = checkpoints.first else { return }
    for other in checkpoints.dropFirst() {
        let differences = first.recipe.taskDifferences(from: other.recipe)
        if !differences.isEmpty {
            throw UserError(
                "\(other.path): trained on other task settings than \(first.path) ("
                    + differences.joined(separator: "; ")
                    + "); the analysis evaluates every model on the first one's tasks")
        }
    }
}

/// `%.6g`, the table format for losses and other positive quantities of any size.
func number(_ value: Double) -> String {
    value.isFinite ? String(format: "%.6g", value) : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
}

/// Left-pads `text` to `width` characters (tables).
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// A CSV field: quoted when it holds a comma or a quote.
func csvField(_ text: String) -> String {
    text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}
