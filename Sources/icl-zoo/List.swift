import ArgumentParser
import Foundation
import ICLCheckpoint

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the checkpoints in a zoo folder (recursively) as a table.")

    @Argument(help: "Folder to search for .h5 files (default: zoo/models).")
    var folder = "zoo/models"

    @Flag(help: "Print one JSON array instead of a table.")
    var json = false

    @Option(help: "A sweep's manifest: list its models as finished, unfinished, missing or bad instead (exit 1 unless all are finished).")
    var check: String?

    func run() throws {
        if let check {
            if !(try ListCheck.run(manifest: check, json: json)) { throw ExitCode.failure }
            return
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw UserError("\(folder): no such folder")
        }
        let files = (FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".h5") }.sorted()
        var rows: [[String: String]] = []
        for name in files {
            let path = (folder as NSString).appendingPathComponent(name)
            do {
                let c = try Checkpoint.read(path)
                var row = ["file": path, "architecture": c.config.architecture.rawValue,
                           "layers": "\(c.config.layers)", "heads": "\(c.config.heads)",
                           "recurrent": c.config.recurrent ? "yes" : "no", "recipe": c.recipe.name]
                switch c.origin {
                case .trained(let record):
                    row["origin"] = "trained"
                    row["seed"] = "\(c.recipe.training.seed)"
                    row["steps"] = "\(c.recipe.training.steps)"
                    row["final_loss"] = record.history.validationLoss.last.map { String(format: "%.6f", $0) } ?? "-"
                case .constructed(let record):
                    row["origin"] = "construction:\(record.method)"
                    row["seed"] = "-"
                    row["steps"] = "-"
                    row["final_loss"] = "-"
                }
                rows.append(row)
            } catch {
                rows.append(["file": path, "error": "\(error)"])
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let columns = ["file", "recipe", "origin", "architecture", "layers", "heads", "recurrent", "seed", "steps", "final_loss"]
        let table = [columns] + rows.map { row in columns.map { row[$0] ?? (row["error"] != nil && $0 == "recipe" ? "unreadable: \(row["error"]!)" : "") } }
        let widths = columns.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        for line in table {
            print(line.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if rows.isEmpty { print("(no checkpoints in \(folder))") }
    }
}
