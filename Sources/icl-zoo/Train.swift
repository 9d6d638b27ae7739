import ArgumentParser
import Dispatch
import Foundation
import ICLCheckpoint
import ICLMath
import ICLTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train models from recipes and write their checkpoints.",
        discussion: """
            Each recipe × seed is one independent model, written to zoo/models/<recipe name>/seed-<seed>.h5 \
            (or --out for a single model). Several models train two at a time, one per core. Progress \
            (step, loss, validation loss, steps/s, ETA) goes to stderr; paths and final losses to stdout.

            Every output is checked before the first step: its folder is created, an existing checkpoint \
            is refused unless --force or --resume, and a lock <out>.lock keeps a second trainer off it. \
            The run's complete state is saved to <out>.state (docs/checkpoint-format.md) every --save-every; \
            --resume continues from it to the checkpoint an uninterrupted run writes, bit for bit, skips \
            models whose checkpoint exists with the same recipe and seed, and starts the others. A \
            non-finite loss, gradient or parameter stops the run with an error; no checkpoint is written. \
            SIGTERM or SIGINT makes every run save its state after its current step and stop (exit 1).
            """)

    @Argument(
        help:
            "Recipe JSON files, recipe names in zoo/ (e.g. lsa-1), or folders of recipes (default: \(Paths.defaultRecipe), a 1-layer LSA with the paper's settings)."
    )
    var recipes: [String] = []

    @Option(
        help:
            "Random seed: fixes the initialisation, the training tasks and the validation tasks (default: the recipe's, 0)."
    )
    var seed: UInt64?

    @Option(help: "Several seeds: a range '0-4' or a list '0,3,7' (default: none; overrides --seed).")
    var seeds: String?

    // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
    // (by default ArgumentParser reads it as an option and reports a missing value).
    @Option(parsing: .unconditional, help: "Training steps (default: the recipe's; 5,000 for lsa-1).")
    var steps: Int?

    @Option(
        name: .customLong("batch-size"), parsing: .unconditional, help: "Tasks per step (default: the recipe's; 2,048)."
    )
    var batchSize: Int?

    @Option(
        name: .customLong("validation-tasks"), parsing: .unconditional,
        help: "Size of the validation set (default: the recipe's; 10,000).")
    var validationTasks: Int?

    @Option(help: "Checkpoint to write, for a single model (default: <models>/<recipe name>/seed-<seed>.h5).")
    var out: String?

    @Option(help: "Folder of the zoo's checkpoints.")
    var models = "zoo/models"

    @Flag(help: "No live progress line on a terminal: plain progress lines on stderr, as when not on a terminal.")
    var quiet = false

    @Flag(
        help:
            "Continue interrupted runs from their <out>.state, skip finished ones, start the rest; a saved run or checkpoint of another recipe or seed is refused, naming the difference (default: off)."
    )
    var resume = false

    @Flag(help: "Replace existing checkpoints and discard saved states (default: off; both are refused).")
    var force = false

    @Option(
        name: .customLong("save-every"),
        help:
            "Save the run's state every N steps and/or S seconds: '1000', '60s', '1000,60s' (whichever comes first) or 'never'."
    )
    var saveEvery = "1000,60s"

    func validate() throws {
        if let steps, steps < 0 { throw ValidationError("--steps must not be negative (got \(steps))") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        if let validationTasks, validationTasks < 1 {
            throw ValidationError("--validation-tasks must be at least 1 (got \(validationTasks))")
        }
        if let out, !out.hasSuffix(".h5") { throw ValidationError("--out must name an .h5 file (got \(out))") }
        if let seeds { _ = try Train.parseSeeds(seeds) }
        if resume && force {
            throw ValidationError("--resume and --force exclude each other (resume keeps, force discards)")
        }
        _ = try Train.parseSchedule(saveEvery)
    }

    static func parseSchedule(_ text: String) throws -> SaveSchedule {
        if text == "never" { return .never }
        var schedule = SaveSchedule.never
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            if part.hasSuffix("s"), let seconds = Double(part.dropLast()), seconds > 0, seconds.isFinite,
                schedule.seconds == nil
            {
                schedule.seconds = seconds
            } else if let steps = Int(part), steps > 0, schedule.steps == nil {
                schedule.steps = steps
            } else {
                throw ValidationError(
                    "--save-every takes steps '1000', seconds '60s', both '1000,60s' or 'never' (got '\(text)')")
            }
        }
        return schedule
    }

    static func parseSeeds(_ text: String) throws -> [UInt64] {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]), low <= high, high - low < 1000 {
            return Array(low...high)
        }
        let list = text.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.count == text.split(separator: ",").count else {
            throw ValidationError("--seeds takes a range like 0-4 or a list like 0,3,7 (got '\(text)')")
        }
        return list
    }

    /// Recipe files named by the arguments, folders expanded to their .json files.
    func recipeFiles() throws -> [String] {
        if recipes.isEmpty { return [Recipe.locate(Paths.defaultRecipe)] }
        var files: [String] = []
        for path in recipes.map(Recipe.locate) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw UserError("\(path): no such recipe file or folder")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }
                    .sorted()
                if names.isEmpty { throw UserError("\(path): no .json recipes in this folder") }
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// The models asked for, one per recipe × seed, each recipe read, overridden by the flags and
    /// checked (also what `icl-zoo sweep` plans with).
    func jobs() throws -> [(file: String, recipe: Recipe)] {
        var jobs: [(file: String, recipe: Recipe)] = []
        let seedList = try seeds.map(Train.parseSeeds) ?? seed.map { [$0] }
        for file in try recipeFiles() {
            var r: Recipe
            do { r = try Recipe.load(file) } catch let error as RecipeError { throw UserError(error.message) }
            if let steps { r.training.steps = steps }
            if let batchSize {
                r.training.batchSize = batchSize
                if r.training.fixedTasks != nil { r.training.fixedTasks = batchSize }
            }
            if let validationTasks { r.training.validationTasks = validationTasks }
            for s in seedList ?? [r.training.seed] {
                r.training.seed = s
                do { _ = try Trainer(recipe: r) } catch let error as RecipeError {
                    throw UserError("\(file): \(error.message)")
                }
                jobs.append((file, r))
            }
        }
        return jobs
    }

    func run() throws {
        let jobs = try jobs()  // every recipe is read and checked before any training starts
        if out != nil, jobs.count > 1 {
            throw UserError("--out names one file, but \(jobs.count) models were asked for")
        }
        // Every output is checked and locked, and what to do with it decided, before any training.
        var runs: [(file: String, recipe: Recipe, output: Output, start: TrainingState?)] = []
        var seen: Set<String> = []
        for (file, r) in jobs {
            let path = out ?? Paths.checkpoint(models: models, recipe: r.name, seed: r.training.seed)
            guard seen.insert(path).inserted else {
                throw UserError("\(path): asked for twice (same recipe name and seed)")
            }
            let output = try Output(checkpoint: path)
            switch try output.plan(for: r.resolved(), resume: resume, force: force) {
            case .finished: print("skipped \(path): already trained with this recipe and seed")
            case .start: runs.append((file, r, output, nil))
            case .resume(let state):
                FileHandle.standardError.write(
                    Data(
                        "resuming \(r.name) seed \(r.training.seed) from step \(state.step) of \(r.training.steps) (\(output.state))\n"
                            .utf8))
                runs.append((file, r, output, state))
            }
        }
        let schedule = try Train.parseSchedule(saveEvery)
        // SIGTERM (a Slurm preemption, `kill`) or SIGINT (Ctrl-C): every run saves after its step and
        // stops; a second one ends the process at once (the handler restores the default).
        // A parent may have started us with these signals blocked (Foundation's Process does): unblock.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signalNumber in [SIGTERM, SIGINT] {
            sigaddset(&signals, signalNumber)
            signal(signalNumber) { received in
                stopSignal = 1
                signal(received, SIG_DFL)
            }
        }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        let live = runs.count == 1 && !quiet && isatty(STDERR_FILENO) != 0
        let failures = Failures()
        // Two models at a time, one a core; the last one left splits its batch over both.
        DispatchQueue.concurrentPerform(iterations: runs.count) { k in
            let run = runs[k]
            // After a stop signal, models still waiting for a core are not started at all.
            guard stopSignal == 0 else {
                failures.add("\(run.recipe.name) seed \(run.recipe.training.seed): not started (SIGTERM or SIGINT)")
                return
            }
            do {
                try ChunkPool.asJob {
                    try train(run.recipe, output: run.output, from: run.start, schedule: schedule, live: live)
                }
            } catch let error as TrainingStopped {
                let next =
                    error.savedState
                    ? "its state is in \(run.output.state), --resume continues it"
                    : "a continuation fit keeps no state: train it again to start it over"
                failures.add(
                    "\(run.recipe.name) seed \(run.recipe.training.seed): \(error) by SIGTERM or SIGINT; \(next)")
            } catch let error as TrainingDiverged {
                failures.add(
                    "\(run.recipe.name) seed \(run.recipe.training.seed): \(error); \(run.output.afterDivergence(error, recipe: run.recipe.resolved()))"
                )
            } catch {
                failures.add("\(run.file) seed \(run.recipe.training.seed): \(error)")
            }
        }
        // Every model that failed or stopped is named: the others on lines of their own, the first as the error.
        let messages = failures.all
        for message in messages.dropFirst() { FileHandle.standardError.write(Data("also: \(message)\n".utf8)) }
        if let first = messages.first { throw UserError(first) }
    }

    private func train(_ r: Recipe, output: Output, from start: TrainingState?, schedule: SaveSchedule, live: Bool)
        throws
    {
        let trainer = try Trainer(recipe: r)
        let progress = ProgressLine(label: "\(r.name) seed \(r.training.seed)", live: live)
        let result = try trainer.run(
            from: start, saving: schedule,
            save: { state in
                try SavedRun(recipe: trainer.recipe, state: state).write(to: output.state)
            }, stop: { stopSignal != 0 }, progress: { progress.update($0) })
        let checkpoint = Checkpoint(
            config: trainer.recipe.modelConfig, parameters: result.parameters, recipe: trainer.recipe,
            origin: .trained(
                .init(
                    history: result.history, seconds: result.seconds,
                    snapshots: result.snapshots)))
        try checkpoint.write(to: output.checkpoint)
        output.finish()
        let path = output.checkpoint
        let h = result.history
        print(
            String(
                format: "wrote %@: final train loss %.6f, validation loss %.6f (%d tasks), %.1f s, %.2f ms/step",
                path, h.trainLoss.last ?? .nan, h.validationLoss.last ?? .nan, r.training.validationTasks,
                result.seconds, r.training.steps > 0 ? 1000 * result.seconds / Double(r.training.steps) : 0))
    }
}

/// Set by the SIGTERM and SIGINT handler; read by every running model after each step.
private var stopSignal: sig_atomic_t = 0

/// Errors from concurrently running jobs, kept in arrival order.
final class Failures: @unchecked Sendable {
    private var messages: [String] = []
    private let lock = NSLock()
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}
