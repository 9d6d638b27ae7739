import Foundation
import ICLCheckpoint
import ICLTraining

/// A sweep's plan, written as JSON by `icl-zoo sweep`: every (recipe, seed) it covers, which Slurm
/// array task trains it, and the `icl-zoo train` command that does. The array tasks read it
/// (`sweep-task`), `icl-zoo list --check` checks a zoo against it.
struct SweepManifest: Codable {
    static let formatName = "icl-zoo/sweep"
    static let currentVersion = 1

    var format = SweepManifest.formatName
    var formatVersion = SweepManifest.currentVersion
    /// Names this manifest, so that a script finds out when its manifest was overwritten by another sweep.
    var id: String
    var createdUTC: String
    var softwareVersion: String
    /// Absolute paths, so array tasks may start in any folder.
    var iclZoo: String
    var models: String
    /// Options after `--`, given to every `icl-zoo train` (e.g. `--steps 200`).
    var trainArguments: [String]
    /// The array's `--time`, and how it was found.
    var timeLimit: String
    var timeLimitBasis: String
    var jobs: [Job]

    struct Job: Codable {
        /// Array task index; nil for a model that was already finished when the sweep was written.
        var task: Int?
        var recipeFile: String
        var seed: UInt64
        var checkpoint: String
        /// Seconds per training step: measured from finished checkpoints of the recipe, or estimated.
        var stepSeconds: Double
        var stepSecondsFrom: String
        /// The resolved recipe, as the finished checkpoint stores it.
        var recipe: Recipe

        enum CodingKeys: String, CodingKey {
            case task, recipeFile = "recipe_file", seed, checkpoint, stepSeconds = "step_seconds",
                stepSecondsFrom = "step_seconds_from", recipe
        }

        /// Writes `"task": null` for a finished model rather than leaving the field out.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(task, forKey: .task)
            try c.encode(recipeFile, forKey: .recipeFile)
            try c.encode(seed, forKey: .seed)
            try c.encode(checkpoint, forKey: .checkpoint)
            try c.encode(stepSeconds, forKey: .stepSeconds)
            try c.encode(stepSecondsFrom, forKey: .stepSecondsFrom)
            try c.encode(recipe, forKey: .recipe)
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", id, createdUTC = "created_utc",
            softwareVersion = "software_version", iclZoo = "icl_zoo", models, trainArguments = "train_arguments",
            timeLimit = "time_limit", timeLimitBasis = "time_limit_basis", jobs
    }

    /// The jobs that are array tasks, in task order.
    var tasks: [Job] { jobs.filter { $0.task != nil }.sorted { $0.task! < $1.task! } }

    /// The command that trains `job`: resumable, so a requeued task continues where it stopped.
    func command(_ job: Job) -> [String] {
        [iclZoo, "train", job.recipeFile, "--seed", "\(job.seed)", "--models", models, "--resume"] + trainArguments
    }

    // MARK: Files

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"  // value types: cannot fail
    }

    /// Writes through a temporary file and a rename: an array task never reads half a manifest.
    func write(to path: String) throws {
        do {
            try Data(json().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UserError("\(path): cannot write the manifest (\(error.localizedDescription))")
        }
    }

    static func read(_ path: String) throws -> SweepManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("\(path): no such manifest")
        }
        let manifest: SweepManifest
        do {
            manifest = try JSONDecoder().decode(SweepManifest.self, from: data)
        } catch let error as DecodingError {
            throw UserError("\(path): not an icl-zoo sweep manifest (\(describe(error, whole: "the manifest")))")
        } catch {
            throw UserError("\(path): not an icl-zoo sweep manifest (\(error))")
        }
        guard manifest.format == formatName, manifest.formatVersion == currentVersion else {
            throw UserError(
                "\(path): format '\(manifest.format)' version \(manifest.formatVersion), expected '\(formatName)' version \(currentVersion)"
            )
        }
        return manifest
    }
}

// MARK: What is on disk for a job

/// Where a model of a sweep stands: its checkpoint written and matching, only a resume state, nothing, or
/// a file that is not the model asked for.
enum ModelStatus: Equatable {
    case finished
    case unfinished(state: String)
    case missing
    case bad(String)

    var label: String {
        switch self {
        case .finished: "finished"
        case .unfinished: "unfinished"
        case .missing: "missing"
        case .bad: "bad"
        }
    }

    var detail: String {
        switch self {
        case .finished, .missing: ""
        case .unfinished(let state): "resume state \(state)"
        case .bad(let why): why
        }
    }

    /// The status of the checkpoint at `path`, which should hold `recipe` (resolved) once trained. As
    /// for `icl-zoo train --resume`, a saved state means unfinished even beside a checkpoint.
    static func of(checkpoint path: String, recipe: Recipe) -> ModelStatus {
        let state = SavedRun.path(for: path)
        if FileManager.default.fileExists(atPath: state) { return .unfinished(state: state) }
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(path) } catch { return .bad("\(error)") }
        guard case .trained = checkpoint.origin else { return .bad("\(path): a construction, not a trained model") }
        let differences = checkpoint.recipe.differences(from: recipe)
        if !differences.isEmpty {
            return .bad(
                "\(path): trained with another recipe (stored vs asked: \(differences.joined(separator: "; ")))")
        }
        return .finished
    }
}
