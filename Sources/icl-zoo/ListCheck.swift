import Foundation

/// `icl-zoo list --check MANIFEST`: which models of a sweep are finished, unfinished (a resume state
/// but no checkpoint), missing or bad (unreadable, or trained with another recipe).
enum ListCheck {
    /// Prints one row per (recipe, seed) and a summary; true when every model is finished.
    static func run(manifest path: String, json: Bool) throws -> Bool {
        let plan = try SweepManifest.read(path)
        let rows: [[String: String]] = plan.jobs.map { job in
            let status = ModelStatus.of(checkpoint: job.checkpoint, recipe: job.recipe)
            return [
                "recipe": job.recipe.name, "seed": "\(job.seed)", "task": job.task.map { "\($0)" } ?? "-",
                "status": status.label, "checkpoint": job.checkpoint, "detail": status.detail,
            ]
        }
        let count = { (label: String) in rows.filter { $0["status"] == label }.count }
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: rows.map(List.typed), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let columns = ["recipe", "seed", "task", "status", "checkpoint", "detail"]
            let table = [columns] + rows.map { row in columns.map { row[$0] ?? "" } }
            List.printTable(table)
            print(
                "\(rows.count) models: \(count("finished")) finished, \(count("unfinished")) unfinished, "
                    + "\(count("missing")) missing, \(count("bad")) bad (sweep \(plan.id))")
        }
        return count("finished") == rows.count
    }
}

extension List {
    /// Rows of cells (the first the header) in columns two spaces apart, each as wide as its widest cell.
    static func printTable(_ table: [[String]]) {
        let widths = (table.first ?? []).indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        for line in table {
            print(
                line.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}
