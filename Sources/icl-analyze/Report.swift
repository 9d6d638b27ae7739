import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLRender
import ICLTraining

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw the paper's Figures 2–16 from a zoo folder into DIR, with index.html and RESULTS.md.",
        discussion: """
            ZOO is laid out as `icl-zoo train --models ZOO` writes it: ZOO/<recipe>/seed-<s>.h5, with constructions in \
            ZOO/<name>/construction.h5 (e.g. `icl-zoo construct gd --layers 1 --out ZOO/gd-1/construction.h5`). Every panel \
            is one run of another icl-analyze subcommand (run as a subprocess, --jobs at a time, with --json, --png and \
            --csv into DIR/panels/), so the page shows the exact command behind each panel. Each figure's panels are \
            composed into DIR/figure-N.png as the paper lays them out. A panel whose checkpoints are missing is drawn as \
            a note naming the command that makes them; the report itself never trains. DIR/index.html shows the figures \
            in the paper's order (self-contained: no network); DIR/RESULTS.md sets our numbers beside the paper's and \
            says which come from runs shorter than the recipe of the same name in the package's zoo/.
            """)

    @Argument(help: "The zoo folder (ZOO/<recipe>/seed-<s>.h5).")
    var zoo: String

    @Option(help: ArgumentHelp("Folder to write the report to (created if missing).", valueName: "dir"))
    var out = "out/report"

    @Option(
        help: ArgumentHelp(
            "Only these figures, comma-separated, e.g. 2,3,15 (default: every figure, 2–16).", valueName: "figures"))
    var only: String?

    @Option(help: "Evaluation tasks for every analysis that draws tasks (the paper's 10,000).")
    var tasks = 10_000

    @Option(help: "Analyses run at the same time.")
    var jobs = 2

    var figureNumbers: Set<Int>? {
        guard let only else { return nil }
        let parts = only.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return [] }
        return Set(parts.map { $0! })
    }

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        if let numbers = figureNumbers, numbers.isEmpty || !numbers.isSubset(of: Set(2...16)) {
            throw ValidationError("--only takes figure numbers from 2 to 16 separated by commas (got '\(only!)')")
        }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: zoo, isDirectory: &isFolder), isFolder.boolValue else {
            throw UserError(
                "\(zoo): no such zoo folder (expected ZOO/<recipe>/seed-<s>.h5, as `icl-zoo train --models ZOO` writes)"
            )
        }
        let root = zoo.hasSuffix("/") && zoo.count > 1 ? String(zoo.dropLast()) : zoo
        let allPlans = reportPlan(zoo: ZooFolder(root: root), tasks: tasks)
        let plans = allPlans.filter { figureNumbers?.contains($0.number) ?? true }
        do {
            try FileManager.default.createDirectory(atPath: out + "/panels", withIntermediateDirectories: true)
        } catch {
            throw UserError("\(out): cannot create the report folder (\(error.localizedDescription))")
        }
        let runner = PanelRunner(out: out, jobs: jobs)
        var figures: [FigureResult] = []
        let started = Date(), made = utc(started)
        for (k, plan) in plans.enumerated() {
            let runs = plan.panels.filter { $0.unavailable == nil && $0.missing.isEmpty }.map(\.runs.count).reduce(0, +)
            progress(
                "figure \(k + 1) of \(plans.count): Figure \(plan.number), \(plan.panels.count) panel(s), \(runs) analysis run(s)"
            )
            let panels = runner.run(plan.panels)
            let image = "figure-\(plan.number).png"
            try composeFigure(plan, panels, out: out).writePNG(to: out + "/" + image)
            let figure = FigureResult(plan: plan, panels: panels, image: image, made: made)
            try FigureRecord(figure, made: made, zoo: root).write(to: out)
            figures.append(figure)
        }
        // Figures made by earlier runs into the same folder (with --only) stay on the page.
        for plan in allPlans where !plans.contains(where: { $0.number == plan.number }) {
            guard let data = FileManager.default.contents(atPath: FigureRecord.path(plan.number, in: out)),
                let record = try? JSONDecoder().decode(FigureRecord.self, from: data),
                let figure = record.result(plan, out: out)
            else { continue }
            figures.append(figure)
        }
        figures.sort { $0.plan.number < $1.plan.number }
        let context = ReportContext(
            zoo: root, out: out, tasks: tasks, only: only, date: started, seconds: Date().timeIntervalSince(started))
        try write(htmlPage(figures, context), to: out + "/index.html")
        try write(resultsMarkdown(figures, context), to: out + "/RESULTS.md")
        let panels = figures.filter { f in plans.contains { $0.number == f.plan.number } }.flatMap(\.panels)
        let failed = panels.filter(\.isFailed), missing = panels.filter(\.isMissing)
        print(
            "wrote \(out)/index.html and \(out)/RESULTS.md: \(plans.count) figure(s) made, "
                + "\(panels.count) panel(s), \(missing.count) missing, \(failed.count) failed "
                + "(\(String(format: "%.0f", context.seconds)) s)"
                + (figures.count > plans.count
                    ? "; \(figures.count - plans.count) figure(s) of earlier runs kept on the page" : ""))
        // Missing checkpoints are expected (the page says how to make them); a failed analysis is not.
        if !failed.isEmpty {
            throw UserError(
                "\(failed.count) panel(s) failed, shown as such in \(out)/index.html: "
                    + failed.map { "\($0.plan.key) (\($0.statusText))" }.joined(separator: "; "))
        }
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UserError("\(path): cannot write (\(error.localizedDescription))")
        }
    }
}

/// A progress line on stderr (stdout keeps the summary).
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension PanelPlan {
    /// The required files that do not exist.
    var missing: [Requirement] {
        var seen = Set<String>()
        return needs.filter { !FileManager.default.fileExists(atPath: $0.path) && seen.insert($0.path).inserted }
    }
}

struct ReportContext {
    let zoo: String
    let out: String
    let tasks: Int
    let only: String?
    let date: Date
    let seconds: Double
}

struct FigureResult {
    let plan: FigurePlan
    let panels: [PanelResult]
    /// File name of the composed figure inside the report folder.
    let image: String
    /// When it was made (UTC): figures of earlier `--only` runs keep theirs.
    let made: String
}

/// What became of one panel: its files (relative to the report folder), the commands that made
/// them, the JSON each run printed, and the shortened trainings among its checkpoints.
struct PanelResult {
    enum Status {
        case done
        case missing([Requirement])
        case unavailable(String)
        case failed(String)
    }

    let plan: PanelPlan
    var status: Status
    var commands: [String] = []
    var outputs: [(label: String, json: [String: Any])] = []
    var png: String?
    var csv: String?
    var jsonFiles: [String] = []
    var shortened: [String] = []

    var isFailed: Bool { if case .failed = status { return true } else { return false } }
    var isMissing: Bool { if case .missing = status { return true } else { return false } }
}

/// Runs panels' analyses as subprocesses of this executable, `jobs` at a time.
final class PanelRunner: @unchecked Sendable {
    let out: String
    let jobs: Int
    let executable: String
    private let lock = NSLock()
    private var trainedSteps: [String: String?] = [:]

    init(out: String, jobs: Int) {
        self.out = out
        self.jobs = jobs
        executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    func run(_ plans: [PanelPlan]) -> [PanelResult] {
        var results = plans.map { plan -> PanelResult in
            if let reason = plan.unavailable { return PanelResult(plan: plan, status: .unavailable(reason)) }
            let missing = plan.missing
            return PanelResult(plan: plan, status: missing.isEmpty ? .done : .missing(missing))
        }
        // Every run of every available panel, as (panel, run) pairs, through a pool of `jobs`.
        var work: [(Int, Int)] = []
        for (p, result) in results.enumerated() {
            if case .done = result.status { work += plans[p].runs.indices.map { (p, $0) } }
        }
        let finished = Finished(count: work.count), total = work.count
        let gate = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        for (w, (p, r)) in work.enumerated() {
            gate.wait()
            DispatchQueue.global().async(group: group) {
                defer { gate.signal() }
                let outcome = self.execute(plans[p], run: r)
                let done = finished.store(outcome, at: w)
                progress(
                    "  [\(done)/\(total)] \(plans[p].key)\(plans[p].runs.count > 1 ? " (\(plans[p].runs[r].label))" : ""): "
                        + (outcome.error == nil
                            ? String(format: "%.1f s", outcome.seconds) : "failed: \(outcome.error!)"))
            }
        }
        group.wait()
        for (w, (p, r)) in work.enumerated() {
            let outcome = finished.outcomes[w]!
            results[p].commands.append(outcome.command)
            if let error = outcome.error {
                results[p].status = .failed(error)
                continue
            }
            results[p].outputs.append((plans[p].runs[r].label, outcome.json))
            results[p].jsonFiles.append(outcome.jsonFile)
            if plans[p].kind == .drawn {
                results[p].png = "panels/\(plans[p].key).png"
                results[p].csv = "panels/\(plans[p].key).csv"
            }
        }
        for p in results.indices {
            if case .done = results[p].status, plans[p].kind == .table {
                results[p].csv = writeTableCSV(results[p])
            }
            results[p].shortened = shortenedTrainings(plans[p].needs.map(\.path))
        }
        return results
    }

    /// The outcomes of the runs in flight, written under a lock, read after they all finished.
    final class Finished: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var outcomes: [RunOutcome?]
        private var done = 0
        init(count: Int) { outcomes = Array(repeating: nil, count: count) }

        /// Stores one outcome; returns how many are done.
        func store(_ outcome: RunOutcome, at index: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            outcomes[index] = outcome
            done += 1
            return done
        }
    }

    /// A run's stderr, written by its reader thread, read after `DispatchGroup.wait()`.
    final class Collected: @unchecked Sendable {
        var data = Data()
    }

    struct RunOutcome {
        let command: String
        let seconds: Double
        let json: [String: Any]
        let jsonFile: String
        let error: String?
    }

    /// One run: `icl-analyze ARGS --json [--png --csv]`, stdout saved as the panel's JSON.
    private func execute(_ plan: PanelPlan, run r: Int) -> RunOutcome {
        let stem = plan.runs.count > 1 ? "\(plan.key)-\(r + 1)" : plan.key
        var arguments = plan.runs[r].arguments + ["--json"]
        if plan.kind == .drawn {
            arguments += ["--png", "\(out)/panels/\(plan.key).png", "--csv", "\(out)/panels/\(plan.key).csv"]
        }
        let jsonFile = "panels/\(stem).json"
        let command =
            (["icl-analyze"] + arguments).map(shellQuoted).joined(separator: " ") + " > "
            + shellQuoted("\(out)/\(jsonFile)")
        let start = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"  // the pool already runs `jobs` analyses at once
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        func failure(_ reason: String) -> RunOutcome {
            RunOutcome(
                command: command, seconds: Date().timeIntervalSince(start), json: [:], jsonFile: jsonFile, error: reason
            )
        }
        do { try process.run() } catch { return failure("cannot start \(executable): \(error.localizedDescription)") }
        // stderr is drained on another thread while this one drains stdout: a full pipe blocks the child.
        let errorData = Collected()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) {
            errorData.data = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message =
                String(decoding: errorData.data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return failure("exit \(process.terminationStatus): \(message)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return failure("its output is not one JSON object")
        }
        do {
            try data.write(to: URL(fileURLWithPath: "\(out)/\(jsonFile)"), options: .atomic)
        } catch {
            return failure("\(out)/\(jsonFile): cannot write (\(error.localizedDescription))")
        }
        return RunOutcome(
            command: command, seconds: Date().timeIntervalSince(start), json: object, jsonFile: jsonFile, error: nil)
    }

    /// A table panel's numbers as CSV: one line per run, its label and every numeric field.
    private func writeTableCSV(_ result: PanelResult) -> String? {
        let keys = Array(Set(result.outputs.flatMap { $0.json.filter { $0.value is NSNumber }.keys })).sorted()
        guard !keys.isEmpty else { return nil }
        let lines =
            [(["run"] + keys).joined(separator: ",")]
            + result.outputs.map { label, json in
                ([csvField(label)] + keys.map { key in (json[key] as? NSNumber).map { "\($0.doubleValue)" } ?? "" })
                    .joined(separator: ",")
            }
        let file = "panels/\(result.plan.key).csv"
        do {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(
                to: URL(fileURLWithPath: "\(out)/\(file)"), options: .atomic)
            return file
        } catch {
            return nil
        }
    }

    /// For each trained checkpoint among `paths`: a note when it was trained for fewer steps than the
    /// recipe of the same name in the package's zoo/ (a shortened run, e.g. of `make paper-quick`).
    func shortenedTrainings(_ paths: [String]) -> [String] {
        var notes: [String] = []
        for path in Set(paths).sorted() where FileManager.default.fileExists(atPath: path) {
            lock.lock()
            let cached = trainedSteps[path]
            lock.unlock()
            if let cached {
                if let note = cached { notes.append(note) }
                continue
            }
            var note: String?
            if let checkpoint = try? Checkpoint.read(path), case .trained = checkpoint.origin {
                let name = checkpoint.recipe.name
                let steps = checkpoint.history?.step.last.map(Int.init) ?? checkpoint.recipe.training.steps
                let packaged = (Recipe.packageZoo as NSString).appendingPathComponent(name + ".json")
                if let recipe = try? Recipe.load(packaged), steps < recipe.training.steps {
                    note =
                        "\(name) seed \(checkpoint.recipe.training.seed): \(steps) of the recipe's \(recipe.training.steps) steps"
                }
            }
            lock.lock()
            trainedSteps[path] = .some(note)
            lock.unlock()
            if let note { notes.append(note) }
        }
        return notes
    }
}

/// `text` as one shell word: unchanged when it is plain, else in single quotes.
func shellQuoted(_ text: String) -> String {
    let plain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./:=,+@%"))
    if !text.isEmpty && text.unicodeScalars.allSatisfy({ plain.contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The figure's panels composed as the paper lays them out.
func composeFigure(_ plan: FigurePlan, _ panels: [PanelResult], out: String) throws -> RGBAImage {
    let letters = "abcdefghijklmnopqrstuvwxyz".map(String.init)
    let composed = try panels.enumerated().map { k, panel -> ComposedPanel in
        let content: ComposedPanel.Content
        switch panel.status {
        case .done:
            if let png = panel.png {
                do {
                    content = .image(try RGBAImage.readPNG(out + "/" + png))
                } catch let error as RenderError {
                    content = .text(["cannot read the panel's figure:", error.description])
                }
            } else {
                content = .text(tableLines(panel))
            }
        case .missing(let requirements):
            content = .text(
                missingLines(requirements.map(\.path)) + ["make with:"]
                    + Array(Set(requirements.map(\.make))).sorted().map { "  " + $0 })
        case .unavailable(let reason):
            content = .text(["not drawn: " + reason])
        case .failed(let reason):
            content = .text(["the analysis failed:", reason])
        }
        return ComposedPanel(
            letter: letters[k % letters.count], title: panel.plan.title, content: content, span: panel.plan.span)
    }
    let columns = min(plan.columns, panels.map(\.plan.span).reduce(0, +))
    return try Composition(
        title: plan.title, panels: composed, columns: columns, width: min(2600, max(1200, 650 * columns))
    ).render()
}

/// "missing: lsa-1 seeds 0, 1, 2": the missing files grouped by their folder (the recipe), seeds
/// listed by number, other files by name.
func missingLines(_ paths: [String]) -> [String] {
    var order: [String] = [], files: [String: [String]] = [:]
    for path in paths {
        let folder = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        if files[folder] == nil { order.append(folder) }
        let name = (path as NSString).lastPathComponent
        let seed = name.hasPrefix("seed-") && name.hasSuffix(".h5") ? String(name.dropFirst(5).dropLast(3)) : nil
        files[folder, default: []].append(seed ?? name)
    }
    return order.map { folder in
        let names = files[folder]!
        let seeds = names.allSatisfy { Int($0) != nil }
        return "missing: \(folder) " + (seeds ? "seed\(names.count == 1 ? "" : "s") " : "")
            + names.joined(separator: ", ")
    }
}
