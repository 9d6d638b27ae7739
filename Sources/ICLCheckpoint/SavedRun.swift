import Foundation
import ICLHDF5
import ICLModels
import ICLRecipe

/// An unfinished training run as saved beside its checkpoint (`<checkpoint>.state`, format
/// `icl-zoo/training-state`; docs/checkpoint-format.md): the resolved recipe and the complete
/// `TrainingState`, from which `icl-zoo train --resume` continues to the checkpoint an
/// uninterrupted run writes, bit for bit.
public struct SavedRun: Sendable {
    public static let format = "icl-zoo/training-state"
    public static let formatVersion: Int64 = 1

    /// The resolved recipe (its seed included).
    public var recipe: Recipe
    public var state: TrainingState
    /// The code that saved it (a resumed run may be continued by another build; the checkpoint
    /// records the one that finished it).
    public var softwareVersion: String = SoftwareVersion.current

    public init(recipe: Recipe, state: TrainingState) {
        self.recipe = recipe
        self.state = state
    }

    /// Where the state of the run writing `checkpoint` lives: beside it, `<checkpoint>.state`.
    public static func path(for checkpoint: String) -> String { checkpoint + ".state" }

    /// Written like a checkpoint: in memory, then a temporary file renamed over the old state, so a
    /// kill during a save leaves the previous state intact.
    public func write(to path: String) throws {
        let s = state
        try HDF5File.writeAtomically(to: path) { file in
            file.checksums = true
            try file.setAttribute("format", SavedRun.format, at: "/")
            try file.setAttribute("format_version", SavedRun.formatVersion, at: "/")
            try file.setAttribute("software_version", softwareVersion, at: "/")
            try file.setAttribute("created_utc", Checkpoint.timestamp(), at: "/")
            try file.setAttribute("recipe", recipe.json(), at: "/")
            try file.setAttribute("step", Int64(s.step), at: "/")
            try file.setAttribute("seconds", s.seconds, at: "/")
            try file.setAttribute("loss_since_record", s.lossSinceRecord, at: "/")
            try file.setAttribute("steps_since_record", Int64(s.stepsSinceRecord), at: "/")
            try file.write(s.parameters, shape: [s.parameters.count], at: "/parameters")
            try file.createGroup("/adam")
            try file.setAttribute("step", Int64(s.adamStep), at: "/adam")
            try file.write(s.adamM, shape: [s.adamM.count], at: "/adam/m")
            try file.write(s.adamV, shape: [s.adamV.count], at: "/adam/v")
            let h = s.history
            try file.write(h.step, shape: [h.step.count], at: "/training/step")
            try file.write(h.trainLoss, shape: [h.trainLoss.count], at: "/training/train_loss")
            try file.write(h.validationLoss, shape: [h.validationLoss.count], at: "/training/validation_loss")
            if recipe.training.snapshotEvery != nil {
                try file.write(s.snapshots.map { Int64($0.step) }, shape: [s.snapshots.count], at: "/snapshots/step")
                try file.write(
                    s.snapshots.flatMap(\.parameters), shape: [s.snapshots.count, s.parameters.count],
                    at: "/snapshots/parameters")
            }
        }
    }

    /// Reads a state as strictly as a checkpoint: every size follows from the recipe and the step,
    /// every value is finite, every dataset's checksum holds.
    public static func read(_ path: String) throws -> SavedRun {
        let file = try HDF5File.open(path)
        defer { file.close() }
        func fail(_ where_: String, _ message: String) -> CheckpointError {
            CheckpointError(file: path, path: where_, message: message)
        }
        let format = (try? file.stringAttribute("format", at: "/")) ?? ""
        guard format == SavedRun.format else { throw fail("/", "not an icl-zoo training state (format '\(format)')") }
        let version = try file.intAttribute("format_version", at: "/")
        guard version == SavedRun.formatVersion else {
            throw fail(
                "/",
                "training state format_version \(version) is not supported (this is icl-zoo \(SoftwareVersion.current), which reads version \(SavedRun.formatVersion))"
            )
        }
        try file.requirePlainTree()
        let recipe: Recipe
        do { recipe = try Recipe.decode(Data(try file.stringAttribute("recipe", at: "/").utf8)).resolved() } catch let
            error as RecipeError
        {
            throw fail("/", "attribute 'recipe': \(error.message)")
        }
        let t = recipe.training
        let count = AttentionStack(recipe.modelConfig).layout.count
        func int(_ name: String, at group: String = "/") throws -> Int { Int(try file.intAttribute(name, at: group)) }
        let step = try int("step")
        guard (0..<t.steps).contains(step) else {
            throw fail("/", "attribute 'step' is \(step), outside 0 … \(t.steps - 1) (a finished run keeps no state)")
        }
        let records = 1 + step / t.evalEvery
        let stepsSinceRecord = try int("steps_since_record")
        guard stepsSinceRecord == step % t.evalEvery else {
            throw fail(
                "/",
                "attribute 'steps_since_record' is \(stepsSinceRecord), but step \(step) makes it \(step % t.evalEvery)"
            )
        }
        guard try int("step", at: "/adam") == step else {
            throw fail("/adam", "attribute 'step' differs from the run's step \(step)")
        }
        let seconds = try file.doubleAttribute("seconds", at: "/"),
            lossSinceRecord = try file.doubleAttribute("loss_since_record", at: "/")
        guard seconds.isFinite, seconds >= 0, lossSinceRecord.isFinite, lossSinceRecord >= 0 else {
            throw fail("/", "attribute 'seconds' or 'loss_since_record' is not a finite number ≥ 0")
        }

        /// A dataset of `shape`, checksummed, all finite: the shape is checked before anything is read.
        func values<Value>(_ p: String, _ shape: [Int], _ read: (String) throws -> [Value], finite: (Value) -> Bool)
            throws -> [Value]
        {
            let found = try file.shape(of: p)
            guard found == shape else { throw fail(p, "has shape \(found), expected \(shape)") }
            if shape.reduce(1, *) > 0, try !file.hasChecksum(p) { throw fail(p, "has no checksum") }
            let out = try read(p)
            if let bad = out.firstIndex(where: { !finite($0) }) {
                throw fail(p, "entry \(bad) is \(out[bad]), not finite")
            }
            return out
        }
        let floats = { (p: String, shape: [Int]) in try values(p, shape, file.readFloats, finite: { $0.isFinite }) }
        let doubles = { (p: String) in try values(p, [records], file.readDoubles, finite: { $0.isFinite }) }
        var h = TrainingHistory()
        h.step = try values("/training/step", [records], file.readInts, finite: { _ in true })
        h.trainLoss = try doubles("/training/train_loss")
        h.validationLoss = try doubles("/training/validation_loss")
        guard h.step == (0..<records).map({ Int64($0 * t.evalEvery) }) else {
            throw fail("/training/step", "is not 0 and every eval_every = \(t.evalEvery) steps up to \(step)")
        }
        var snapshots: [Snapshot] = []
        if let every = t.snapshotEvery {
            let expected = Array(stride(from: 0, through: step, by: every))
            let steps = try values("/snapshots/step", [expected.count], file.readInts, finite: { _ in true })
            guard steps == expected.map(Int64.init) else {
                throw fail("/snapshots/step", "is not every \(every) steps up to \(step)")
            }
            let all = try floats("/snapshots/parameters", [expected.count, count])
            snapshots = expected.indices.map {
                Snapshot(step: expected[$0], parameters: Array(all[($0 * count)..<(($0 + 1) * count)]))
            }
        } else if file.exists("/snapshots") {
            throw fail("/snapshots", "present, but the recipe sets no snapshot_every")
        }
        let state = TrainingState(
            step: step, parameters: try floats("/parameters", [count]), adamStep: step,
            adamM: try floats("/adam/m", [count]), adamV: try floats("/adam/v", [count]),
            history: h, lossSinceRecord: lossSinceRecord, stepsSinceRecord: stepsSinceRecord,
            snapshots: snapshots, seconds: seconds)
        var run = SavedRun(recipe: recipe, state: state)
        run.softwareVersion = try file.stringAttribute("software_version", at: "/")
        return run
    }
}
