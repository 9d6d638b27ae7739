import Foundation
import ICLCheckpoint

/// What a report run made of one figure, kept as DIR/panels/figure-N.json so that later runs with
/// `--only` (e.g. `analysis/figureN.sh`, one figure at a time into one folder) rebuild index.html
/// and RESULTS.md from every figure made so far, not only from the last one.
struct FigureRecord: Codable {
    struct Panel: Codable {
        var key: String
        /// done, missing, unavailable or failed.
        var status: String
        var reason: String?
        var requirements: [[String]]
        var commands: [String]
        var labels: [String]
        var png: String?
        var csv: String?
        var jsonFiles: [String]
        var shortened: [String]
    }

    var number: Int
    var image: String
    var made: String
    var zoo: String
    var panels: [Panel]

    static func path(_ number: Int, in out: String) -> String { "\(out)/panels/figure-\(number).json" }

    init(_ figure: FigureResult, made: String, zoo: String) {
        number = figure.plan.number
        image = figure.image
        self.made = made
        self.zoo = zoo
        panels = figure.panels.map { p in
            var status = "done", reason: String?, requirements: [[String]] = []
            switch p.status {
            case .done: break
            case .missing(let r): status = "missing"; requirements = r.map { [$0.path, $0.make] }
            case .unavailable(let why): status = "unavailable"; reason = why
            case .failed(let why): status = "failed"; reason = why
            }
            return Panel(
                key: p.plan.key, status: status, reason: reason, requirements: requirements, commands: p.commands,
                labels: p.outputs.map(\.label), png: p.png, csv: p.csv, jsonFiles: p.jsonFiles, shortened: p.shortened)
        }
    }

    func write(to out: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = FigureRecord.path(number, in: out)
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UserError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    /// The figure as this record describes it, with `plan`'s titles and captions and the JSON outputs
    /// read back from the report folder; nil when the record does not fit the plan (another version).
    func result(_ plan: FigurePlan, out: String) -> FigureResult? {
        guard plan.panels.map(\.key) == panels.map(\.key) else { return nil }
        let results = zip(plan.panels, panels).map { planned, p -> PanelResult in
            let status: PanelResult.Status
            switch p.status {
            case "missing":
                status = .missing(
                    p.requirements.compactMap { $0.count == 2 ? Requirement(path: $0[0], make: $0[1]) : nil })
            case "unavailable": status = .unavailable(p.reason ?? "")
            case "failed": status = .failed(p.reason ?? "")
            default: status = .done
            }
            let outputs = zip(p.labels, p.jsonFiles).compactMap {
                label, file -> (label: String, json: [String: Any])? in
                guard let data = FileManager.default.contents(atPath: "\(out)/\(file)"),
                    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                else { return nil }
                return (label, json)
            }
            return PanelResult(
                plan: planned, status: status, commands: p.commands, outputs: outputs, png: p.png, csv: p.csv,
                jsonFiles: p.jsonFiles, shortened: p.shortened)
        }
        return FigureResult(plan: plan, panels: results, image: image, made: made)
    }
}
