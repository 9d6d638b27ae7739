import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLTraining

/// Many seeds of many recipes on a cluster's own scheduler: a Slurm job array (or plain command lines
/// for any other runner), one task per model, each a resumable `icl-zoo train`.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a Slurm job array (or command lines, or a manifest) that trains recipes × seeds, one model per task.",
        discussion: """
            --emit slurm (default) writes the batch script to stdout and the manifest to --manifest: one \
            array task per model not yet finished in --models, each running `icl-zoo train RECIPE --seed S \
            --models DIR --resume`, so a preempted or requeued task continues from its last saved state. \
            --time is twice the longest model's steps × step time plus 10 minutes; the step time is \
            measured from finished checkpoints of the recipe in --models, or else timed over a few steps on \
            this machine. Options after -- go to every `icl-zoo \
            train` (e.g. -- --steps 200). --emit list writes the same jobs as shell command lines (for GNU \
            parallel or xargs -P), --emit json the manifest. Check a sweep with `icl-zoo list --check MANIFEST`.

              icl-zoo sweep zoo --seeds 0-9 --models /scratch/zoo > sweep.sbatch
              sbatch sweep.sbatch
              icl-zoo list --check sweep.json
            """)

    enum Emit: String, ExpressibleByArgument, CaseIterable { case slurm, list, json }

    // One list, split at `--` by hand: ArgumentParser allows no second positional list after the first.
    @Argument(
        parsing: .allUnrecognized,
        help:
            "Recipe JSON files or folders of them (default: \(Paths.defaultRecipe)), then -- and options for every `icl-zoo train`."
    )
    var recipes: [String] = []

    @Option(help: "Seeds: a range '0-9' or a list '0,3,7' (default: each recipe's seed).")
    var seeds: String?

    @Option(help: "Folder of the zoo's checkpoints: <models>/<recipe name>/seed-<seed>.h5.")
    var models = "zoo/models"

    @Option(help: "What to write to stdout: slurm (a batch script), list (command lines) or json (the manifest).")
    var emit: Emit = .slurm

    @Option(help: "Where --emit slurm writes the manifest the array tasks read.")
    var manifest = "sweep.json"

    @Option(name: .customLong("cpus-per-task"), help: "Cores per model (#SBATCH --cpus-per-task).")
    var cpusPerTask = 2

    @Option(
        name: .customLong("slurm-option"),
        help:
            "KEY=VALUE (or KEY) written as #SBATCH --KEY=VALUE, e.g. partition=cpu, account=lab, time=2:00:00; repeatable; replaces a generated option of the same KEY (default: none)."
    )
    var slurmOptions: [String] = []

    @Option(help: "Folder of the array tasks' logs (default: <models>/logs).")
    var logs: String?

    @Option(name: .customLong("icl-zoo"), help: "The icl-zoo executable the tasks run (default: this one).")
    var iclZoo: String?

    func validate() throws {
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1 (got \(cpusPerTask))") }
        if let seeds { _ = try Train.parseSeeds(seeds) }
        for option in slurmOptions { _ = try Sweep.slurmOption(option) }
        if let word = recipeArguments.first(where: { $0.hasPrefix("-") }) {
            throw ValidationError("Unknown option '\(word)' (options for `icl-zoo train` go after --)")
        }
        for reserved in ["--seed", "--seeds", "--models", "--out", "--resume"]
        where trainArguments.contains(where: { $0 == reserved || $0.hasPrefix(reserved + "=") }) {
            throw ValidationError("\(reserved) after -- is set by the sweep itself")
        }
    }

    /// `KEY=VALUE` or `KEY` as (key, value); keys are Slurm's long option names.
    static func slurmOption(_ text: String) throws -> (key: String, value: String?) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = parts[0].hasPrefix("--") ? String(parts[0].dropFirst(2)) : parts[0]
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            !(parts.count > 1 && parts[1].contains(where: \.isNewline))
        else {
            throw ValidationError("--slurm-option takes KEY=VALUE, e.g. partition=cpu (got '\(text)')")
        }
        return (key, parts.count > 1 ? parts[1] : nil)
    }

    func run() throws {
        let plan = try makeManifest()
        if emit == .slurm, plan.tasks.isEmpty {
            throw UserError("all \(plan.jobs.count) models are finished in \(plan.models): nothing to submit")
        }
        for job in plan.jobs where job.task == nil {
            FileHandle.standardError.write(
                Data("skipped \(job.recipe.name) seed \(job.seed): finished in \(job.checkpoint)\n".utf8))
        }
        switch emit {
        case .json:
            print(plan.json(), terminator: "")
        case .list:
            for job in plan.tasks { print(plan.command(job).map(Sweep.shellQuoted).joined(separator: " ")) }
        case .slurm:
            let manifestPath = Sweep.absolute(manifest)
            let logFile = Sweep.absolute(logs ?? (models as NSString).appendingPathComponent("logs")) + "/%x-%A_%a.out"
            try makeFolders(for: logFile)  // Slurm opens the logs but creates no folder
            try makeFolders(for: manifestPath)
            try plan.write(to: manifestPath)
            print(slurmScript(plan, manifest: manifestPath, logFile: logFile), terminator: "")
        }
    }

    /// Every model asked for, each with its array task (none when already finished) and step time.
    func makeManifest() throws -> SweepManifest {
        let train: Train
        // Parsed as the tasks will run it, so that what train refuses is refused here.
        let arguments =
            recipeArguments + (seeds.map { ["--seeds", $0] } ?? []) + ["--models", models, "--resume"] + trainArguments
        do { train = try Train.parse(arguments) } catch {
            throw UserError("train options after --: \(Train.message(for: error))")
        }
        let modelsFolder = Sweep.absolute(models)
        var stepTimes = StepTime(models: modelsFolder)
        var jobs: [SweepManifest.Job] = []
        var seen = Set<String>()
        var tasks = 0
        for (file, recipe) in try train.jobs() {
            let resolved = recipe.resolved()
            let checkpoint = Paths.checkpoint(models: modelsFolder, recipe: resolved.name, seed: resolved.training.seed)
            guard seen.insert(checkpoint).inserted else {
                throw UserError("\(checkpoint): asked for twice (same recipe name and seed)")
            }
            let status = ModelStatus.of(checkpoint: checkpoint, recipe: resolved)
            if case .bad(let why) = status {
                throw UserError("\(why); move it away to train this model again")
            }
            let (seconds, from) = try stepTimes.seconds(for: resolved)
            jobs.append(
                .init(
                    task: status == .finished ? nil : tasks, recipeFile: Sweep.absolute(file),
                    seed: resolved.training.seed, checkpoint: checkpoint,
                    stepSeconds: seconds, stepSecondsFrom: from, recipe: resolved))
            if status != .finished { tasks += 1 }
        }
        let (limit, basis) = StepTime.timeLimit(jobs.filter { $0.task != nil })
        return SweepManifest(
            id: UUID().uuidString, createdUTC: ISO8601DateFormatter().string(from: Date()),
            softwareVersion: SoftwareVersion.current,
            iclZoo: Sweep.absolute(iclZoo ?? Sweep.thisExecutable()), models: modelsFolder,
            trainArguments: trainArguments, timeLimit: limit, timeLimitBasis: basis, jobs: jobs)
    }

    /// The batch script: one array task per job, each reading its command from the manifest.
    func slurmScript(_ plan: SweepManifest, manifest: String, logFile: String) -> String {
        let tasks = plan.tasks
        var options: [(String, String?)] = [
            ("job-name", "icl-zoo-sweep"),
            ("array", "0-\(tasks.count - 1)"),
            ("cpus-per-task", "\(cpusPerTask)"),
            ("time", plan.timeLimit),
            ("requeue", nil),
            ("open-mode", "append"),  // a requeued task's log keeps the first run's lines
            ("output", logFile),
        ]
        for text in slurmOptions {
            let (key, value) = try! Sweep.slurmOption(text)  // checked in validate()
            if let k = options.firstIndex(where: { $0.0 == key }) {
                options[k].1 = value
            } else {
                options.append((key, value))
            }
        }
        var lines = [
            "#!/bin/bash",
            "# icl-zoo sweep \(plan.id): \(tasks.count) model(s) to train as one Slurm job array,",
            "# written \(plan.createdUTC) by icl-zoo \(plan.softwareVersion). Submit with `sbatch`; check with",
            "#   \(Sweep.shellQuoted(plan.iclZoo)) list --check \(Sweep.shellQuoted(manifest))",
        ]
        lines += options.map { "#SBATCH --\($0.0)" + ($0.1.map { "=\($0)" } ?? "") }
        lines += ["#", "# --time: \(plan.timeLimitBasis)", "# tasks (index: recipe seed -> checkpoint):"]
        lines += tasks.map { "#   \($0.task!): \($0.recipe.name) \($0.seed) -> \($0.checkpoint)" }
        lines += [
            "",
            "# Each task runs `icl-zoo train RECIPE --seed S --models DIR --resume` for its entry of the manifest.",
            "exec \(Sweep.shellQuoted(plan.iclZoo)) sweep-task \(Sweep.shellQuoted(manifest)) \"$SLURM_ARRAY_TASK_ID\" --id \(plan.id)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Small helpers

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func thisExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// A word for a POSIX shell: unchanged when it is plainly safe, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let safe = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty, word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Sweep {
    /// The positional words before `--` (recipes), and after it (options for `icl-zoo train`).
    var recipeArguments: [String] { Array(recipes.prefix { $0 != "--" }) }
    var trainArguments: [String] { Array(recipes.drop { $0 != "--" }.dropFirst()) }
}

/// What the array task runs: the manifest's command for task INDEX, in place of this process.
struct SweepTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-task",
        abstract:
            "Run one array task of a sweep: `icl-zoo train … --resume` for entry INDEX of MANIFEST (what the Slurm script calls)."
    )

    @Argument(help: "The sweep's manifest (JSON, written by `icl-zoo sweep`).")
    var manifest: String

    @Argument(help: "The array task index ($SLURM_ARRAY_TASK_ID).")
    var index: Int

    @Option(help: "The manifest's id, as the script was written for (refuses a manifest since overwritten).")
    var id: String?

    func run() throws {
        let plan = try SweepManifest.read(manifest)
        if let id, id != plan.id {
            throw UserError(
                "\(manifest): belongs to sweep \(plan.id), but this script was written for sweep \(id) (the manifest was overwritten)"
            )
        }
        guard let job = plan.jobs.first(where: { $0.task == index }) else {
            throw UserError("\(manifest): no array task \(index) (the sweep has \(plan.tasks.count))")
        }
        let command = plan.command(job)
        print("icl-zoo sweep \(plan.id) task \(index): \(job.recipe.name) seed \(job.seed)")
        print("+ " + command.map(Sweep.shellQuoted).joined(separator: " "))
        fflush(stdout)
        let argv = command.map { strdup($0) } + [nil]
        execv(command[0], argv)
        throw UserError("\(command[0]): cannot run (\(String(cString: strerror(errno))))")
    }
}

/// Seconds per training step of a recipe: measured from its finished checkpoints in the zoo when
/// there are some, else timed over a few steps here (the machine that writes the sweep).
struct StepTime {
    let models: String
    private var known: [String: (Double, String)] = [:]

    init(models: String) { self.models = models }

    mutating func seconds(for recipe: Recipe) throws -> (Double, String) {
        let key = StepTime.withoutSeedAndSteps(recipe).json()
        if let found = known[key] { return found }
        let found = try measure(recipe) ?? StepTime.probe(recipe)
        known[key] = found
        return found
    }

    /// Six steps of the recipe with validation at steps 0 and 6: the median of steps 2–5 is the step
    /// time (step 1 warms up), step 6 less a step the validation pass, paid every `eval_every` steps.
    static func probe(_ recipe: Recipe) throws -> (Double, String) {
        var r = recipe
        r.training.steps = 6
        r.training.evalEvery = 6
        var elapsed: [Int: Double] = [:]
        do {
            _ = try Trainer(recipe: r).run(progress: { elapsed[$0.step] = $0.elapsed })
        } catch let error as RecipeError {
            throw UserError(error.message)
        } catch {
            throw UserError("\(recipe.name): timing 6 steps failed: \(error)")
        }
        let steps = (1...4).map { elapsed[$0 + 1]! - elapsed[$0]! }.sorted()
        let step = (steps[1] + steps[2]) / 2
        let validation = max(0, elapsed[6]! - elapsed[5]! - step)
        return (
            step + validation / Double(recipe.training.evalEvery),
            String(
                format: "timed here: %.3g ms per step + %.3g ms validation every %d steps",
                1000 * step, 1000 * validation, recipe.training.evalEvery)
        )
    }

    /// The slowest finished checkpoint of this recipe (any seed, any number of steps) in the zoo.
    private func measure(_ recipe: Recipe) -> (Double, String)? {
        let folder = (models as NSString).appendingPathComponent(recipe.name)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasSuffix(".h5")
        }.sorted()
        var slowest: (Double, String)?
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let c = try? Checkpoint.read(path), case .trained(let record) = c.origin, c.recipe.training.steps > 0,
                StepTime.withoutSeedAndSteps(c.recipe) == StepTime.withoutSeedAndSteps(recipe)
            else { continue }
            let seconds = record.seconds / Double(c.recipe.training.steps)
            if seconds > (slowest?.0 ?? 0) { slowest = (seconds, "measured: \(path)") }
        }
        return slowest
    }

    private static func withoutSeedAndSteps(_ recipe: Recipe) -> Recipe {
        var r = recipe
        r.training.seed = 0
        r.training.steps = 0
        return r
    }

    /// Slurm's `--time` for an array of `jobs`: twice the longest model plus 10 minutes, in whole minutes.
    static func timeLimit(_ jobs: [SweepManifest.Job]) -> (String, String) {
        guard
            let longest = jobs.max(by: {
                Double($0.recipe.training.steps) * $0.stepSeconds < Double($1.recipe.training.steps) * $1.stepSeconds
            })
        else { return ("0:10:00", "no model to train") }
        let seconds = Double(longest.recipe.training.steps) * longest.stepSeconds
        let minutes = Int((2 * seconds / 60).rounded(.up)) + 10
        let (days, hours, rest) = (minutes / 1440, minutes % 1440 / 60, minutes % 60)
        let limit =
            days > 0 ? String(format: "%d-%02d:%02d:00", days, hours, rest) : String(format: "%d:%02d:00", hours, rest)
        let basis =
            "2 × \(longest.recipe.training.steps) steps × \(String(format: "%.3g", 1000 * longest.stepSeconds)) ms"
            + " (\(longest.recipe.name) seed \(longest.seed); \(longest.stepSecondsFrom)) + 10 min"
        return (limit, basis)
    }
}
