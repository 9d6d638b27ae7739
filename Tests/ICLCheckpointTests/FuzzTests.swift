import Foundation
import ICLCheckpoint
import ICLModels
import ICLTestSupport
import ICLTraining
import Testing

/// A seeded corpus of damaged and hostile files (scripts/fuzz-corpus.py: truncations, bit flips,
/// every attribute and dataset edited each way, huge declared shapes, links, FIFOs, folders, foreign
/// HDF5 files) through the loaders, in-process: nothing may crash or hang, every refusal is one line
/// naming the file. `make fuzz` runs a larger corpus through the command-line tools.
@Suite struct FuzzTests {
    /// Builds `count` inputs from the good files with the corpus script; returns (name, kind) rows.
    func corpus(seed: Int, count: Int, from goods: [String], in directory: TemporaryDirectory) throws -> [(
        name: String, kind: String
    )] {
        let script = try String(
            contentsOfFile: Python.packageRoot.appendingPathComponent("scripts/fuzz-corpus.py").path, encoding: .utf8)
        let made = try Python.run(script, arguments: ["\(seed)", "\(count)", directory.file("corpus")] + goods)
        try #require(made.status == 0, "corpus script failed:\n\(made.stderr)")
        let table = try String(contentsOfFile: directory.file("corpus/corpus.tsv"), encoding: .utf8)
        return table.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t")
            return (String(fields[0]), String(fields[1]))
        }
    }

    /// Reads every input with `read`; returns refusals and acceptances, checking each refusal's message.
    func run(
        _ rows: [(name: String, kind: String)], in directory: TemporaryDirectory,
        _ read: (String) throws -> Void
    ) -> (refused: Int, accepted: [String]) {
        var refused = 0, accepted: [String] = []
        for (name, kind) in rows {
            let path = directory.file("corpus/" + name)
            do {
                try read(path)
                accepted.append(kind)
            } catch {
                refused += 1
                let message = "\(error)"
                #expect(message.hasPrefix(path + ": "), "\(kind): the error does not start with the file: \(message)")
                #expect(!message.contains("\n"), "\(kind): the error is not one line: \(message)")
            }
        }
        return (refused, accepted)
    }

    @Test func checkpointLoaderRefusesDamagedFilesWithoutCrashing() throws {
        let directory = try TemporaryDirectory()
        let trained = directory.file("trained.h5"), constructed = directory.file("constructed.h5")
        var checkpoint = Fixture.trained()
        checkpoint.origin = .trained(
            .init(
                history: Fixture.history(), seconds: 1,
                snapshots: [Snapshot(step: 0, parameters: checkpoint.parameters)]))
        try checkpoint.write(to: trained)
        try Fixture.constructed().write(to: constructed)
        let rows = try corpus(seed: 7, count: 260, from: [trained, constructed], in: directory)
        #expect(rows.count == 260)
        let kinds = Set(rows.map(\.kind))
        for kind in [
            "truncated", "bit-flip", "fifo", "directory", "symlink-loop", "hard-link-cycle", "external-link-fifo",
            "external-storage", "virtual", "dataset-huge-shape", "attribute-int64-max", "foreign-data",
        ] {
            #expect(kinds.contains(kind), "the corpus lacks \(kind)")
        }
        let (refused, accepted) = run(rows, in: directory) { _ = try Checkpoint.read($0) }
        // Edits that change nothing the loader checks (unused bytes, free text) may load; far fewer.
        #expect(refused > 200, "refused \(refused), accepted: \(accepted)")
        for kind in [
            "truncated", "fifo", "directory", "hard-link-cycle", "external-link-fifo", "external-storage", "virtual",
            "dataset-huge-shape", "dataset-nan", "dataset-no-storage", "attribute-int64-max", "attribute-nan",
        ] {
            #expect(!accepted.contains(kind), "an input of kind \(kind) was accepted")
        }
    }

    @Test func stateLoaderRefusesDamagedFilesWithoutCrashing() throws {
        let directory = try TemporaryDirectory()
        var r = shortRun()
        r.training.snapshotEvery = 2
        let trainer = try Trainer(recipe: r)
        var saved: TrainingState?
        _ = try trainer.run(saving: SaveSchedule(steps: 5, seconds: nil), save: { saved = $0 })
        let good = directory.file("m.h5.state")
        try SavedRun(recipe: trainer.recipe, state: try #require(saved)).write(to: good)
        let rows = try corpus(seed: 8, count: 120, from: [good], in: directory)
        let (refused, accepted) = run(rows, in: directory) { _ = try SavedRun.read($0) }
        #expect(refused > 90, "refused \(refused), accepted: \(accepted)")
    }
}

@Suite struct SavedRunTests {
    @Test func aSavedRunReadsBackIdentical() throws {
        let directory = try TemporaryDirectory()
        var r = shortRun()
        r.training.snapshotEvery = 3
        let trainer = try Trainer(recipe: r)
        var states: [TrainingState] = []
        _ = try trainer.run(saving: SaveSchedule(steps: 4, seconds: nil), save: { states.append($0) })
        try #require(!states.isEmpty)
        for state in states {
            let path = directory.file("m\(state.step).h5.state")
            try SavedRun(recipe: trainer.recipe, state: state).write(to: path)
            let read = try SavedRun.read(path)
            #expect(read.state == state)
            #expect(read.state.parameters.map(\.bitPattern) == state.parameters.map(\.bitPattern))
            #expect(read.recipe == trainer.recipe)
        }
        #expect(SavedRun.path(for: "zoo/models/lsa-1/seed-0.h5") == "zoo/models/lsa-1/seed-0.h5.state")
    }

    @Test func aStateThatDisagreesWithItsRecipeIsRefused() throws {
        let directory = try TemporaryDirectory()
        let trainer = try Trainer(recipe: shortRun())
        var state: TrainingState?
        _ = try trainer.run(saving: SaveSchedule(steps: 4, seconds: nil), save: { state = state ?? $0 })
        let path = directory.file("m.h5.state")
        try SavedRun(recipe: trainer.recipe, state: try #require(state)).write(to: path)
        let result = try Python.run(
            """
            import sys, h5py
            with h5py.File(sys.argv[1], "r+") as f:
                f.attrs["step"] = 5
            """, arguments: [path])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(throws: CheckpointError.self) { try SavedRun.read(path) }
        do { _ = try SavedRun.read(path) } catch {
            #expect("\(error)".contains("attribute 'steps_since_record' is 0, but step 5 makes it 1"), "\(error)")
        }
    }
}

/// The checkpoint fixture's recipe (2 layers, 2 heads), cut to 10 steps on a small validation set.
func shortRun() -> Recipe {
    var r = Fixture.recipe()
    r.training.steps = 10
    r.training.validationTasks = 20
    r.training.evalEvery = 4
    return r
}
