import ArgumentParser
import Foundation
import ICLCheckpoint

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the checkpoints in a zoo folder (recursively) as a table.",
        discussion: """
            Every .h5 file gets a row; one that cannot be read gets a row saying why, and the others are \
            still listed. Also listed: unfinished runs (<checkpoint>.state; train --resume continues them) \
            and temporary files left by killed writers. Exit status 1 when some .h5 file is unreadable or \
            a stale temporary file is found, else 0. Symbolic links to folders are not followed.
            """)

    @Argument(help: "Folder to search for .h5 files.")
    var folder = "zoo/models"

    @Flag(help: "Print one JSON array instead of a table.")
    var json = false

    @Option(
        help:
            "A sweep's manifest: list its models as finished, unfinished, missing or bad instead (exit 1 unless all are finished)."
    )
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
        let files = List.files(in: folder).sorted()
        var rows: [[String: String]] = []
        var bad = 0
        for path in files {
            let name = (path as NSString).lastPathComponent
            if let pid = List.writerOfTemporary(name) {
                // A writer still running (pid alive) is busy with it; otherwise it was killed mid-write.
                if kill(pid, 0) != 0 && errno == ESRCH {
                    rows.append([
                        "file": path,
                        "error": "stale temporary file left by a killed writer (process \(pid)); safe to delete",
                    ])
                    bad += 1
                }
                continue
            }
            if name.hasSuffix(".h5.state") {
                do {
                    let saved = try SavedRun.read(path)
                    rows.append([
                        "file": path, "recipe": saved.recipe.name,
                        "origin":
                            "unfinished: step \(saved.state.step) of \(saved.recipe.training.steps), --resume continues it",
                        "seed": "\(saved.recipe.training.seed)", "steps": "\(saved.recipe.training.steps)",
                    ])
                } catch {
                    rows.append(["file": path, "error": "\(error)"])
                    bad += 1
                }
                continue
            }
            guard name.hasSuffix(".h5") else { continue }
            do {
                let c = try Checkpoint.read(path)
                var row = [
                    "file": path, "architecture": c.config.architecture.rawValue,
                    "layers": "\(c.config.layers)", "heads": "\(c.config.heads)",
                    "recurrent": c.config.recurrent ? "yes" : "no", "recipe": c.recipe.name,
                ]
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
                bad += 1
            }
        }
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: rows.map(List.typed), options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            if bad > 0 { throw ExitCode(1) }
            return
        }
        let columns = [
            "file", "recipe", "origin", "architecture", "layers", "heads", "recurrent", "seed", "steps", "final_loss",
        ]
        let table =
            [columns]
            + rows.map { row in
                columns.map { row[$0] ?? (row["error"] != nil && $0 == "recipe" ? "unreadable: \(row["error"]!)" : "") }
            }
        List.printTable(table)
        if rows.isEmpty { print("(no checkpoints in \(folder))") }
        if bad > 0 { throw ExitCode(1) }
    }

    /// A table row for JSON (`list` and `list --check`): counts and losses as numbers, `recurrent` as
    /// a Bool, "-" (not applicable, e.g. a construction's seed) as null.
    static func typed(_ row: [String: String]) -> [String: Any] {
        row.reduce(into: [:]) { out, field in
            let (key, value) = field
            switch key {
            case "layers", "heads", "seed", "steps", "task":
                out[key] = value == "-" ? NSNull() : (Int(value).map { $0 as Any } ?? value)
            case "final_loss": out[key] = value == "-" ? NSNull() : (Double(value).map { $0 as Any } ?? value)
            case "recurrent": out[key] = value == "yes"
            default: out[key] = value
            }
        }
    }

    /// Every regular file below `folder`, not following symbolic links to folders (a link cycle
    /// would never end), at most 64 levels deep.
    static func files(in folder: String, depth: Int = 0) -> [String] {
        guard depth < 64, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.flatMap { name -> [String] in
            let path = (folder as NSString).appendingPathComponent(name)
            var status = stat()
            guard lstat(path, &status) == 0 else { return [] }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: return files(in: path, depth: depth + 1)
            default: return [path]  // links to files, FIFOs and the like: the reader says what they are
            }
        }
    }

    /// The process id in a temporary file name `.<name>.tmp-<pid>-<random>`, else nil.
    static func writerOfTemporary(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return nil }
        return name[range.upperBound...].split(separator: "-").first.flatMap { pid_t($0) }
    }
}
