import Foundation
import ICLTestSupport
import Testing

/// `icl-zoo train`'s outputs: resume after SIGKILL, refusals before the first step, divergence, locks.
@Suite struct ResumeTests {
    /// A recipe of `steps` steps that a debug build trains in well under a second.
    func recipe(in directory: TemporaryDirectory, name: String = "r", steps: Int = 300, extra: String = "") throws
        -> String
    {
        let path = directory.file("\(name).json")
        try """
        {"name": "\(name)", "model": {"layers": 2}, "task": {"input_dim": 3, "context_size": 5},
         "training": {"seed": 1, "steps": \(steps), "batch_size": 16, "eval_every": 7, "validation_tasks": 50,
                      "snapshot_every": 50 \(extra)}}
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// scripts/compare-checkpoints.py: every dataset and attribute but the wall-clock ones.
    func compareAll(_ a: String, _ b: String) throws -> String {
        let script = try String(
            contentsOfFile: Python.packageRoot.appendingPathComponent("scripts/compare-checkpoints.py").path,
            encoding: .utf8)
        let result = try Python.run(script, arguments: [a, b])
        return result.stdout + result.stderr
    }

    @Test func killedWithSIGKILLAndResumedGivesTheUninterruptedCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory)
        let reference = directory.file("reference.h5"), out = directory.file("m.h5")
        try #require(try CLI.zoo("train", r, "--out", reference, "--quiet").status == 0)
        try trainAndKill([r, "--out", out], state: out + ".state")
        #expect(!FileManager.default.fileExists(atPath: out))
        let resumed = try CLI.zoo("train", r, "--out", out, "--quiet", "--resume")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stderr.contains("resuming r seed 1 from step "), "\(resumed)")
        #expect(try compareAll(reference, out).hasPrefix("identical"))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(left == ["m.h5", "r.json", "reference.h5"], "state, lock and temporary files are gone")
    }

    /// Starts `icl-zoo train`, waits (bounded) until it has saved a state, and sends it `signal`;
    /// returns what it wrote on stderr once it has ended.
    @discardableResult
    func train(
        _ arguments: [String], until state: String, thenSend signal: Int32 = SIGKILL,
        saveEvery: String = "20"
    ) throws -> (process: Process, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binaries + "/icl-zoo")
        process.arguments = ["train"] + arguments + ["--quiet", "--save-every", saveEvery]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: state), process.isRunning, Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process, stderr)
    }

    /// Killed with SIGKILL once it has saved a state (it must not have finished first).
    func trainAndKill(_ arguments: [String], state: String) throws {
        let (process, _) = try train(arguments, until: state)
        try #require(process.terminationReason == .uncaughtSignal, "the run ended before it was killed; make it longer")
    }

    @Test func sigtermSavesTheStateAfterTheCurrentStepAndResumeFinishesIt() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory, steps: 1_000)
        let reference = directory.file("reference.h5"), out = directory.file("m.h5")
        try #require(try CLI.zoo("train", r, "--out", reference, "--quiet").status == 0)
        let (process, stderr) = try train([r, "--out", out], until: out + ".state", thenSend: SIGTERM, saveEvery: "50")
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
        let last = stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(
            last.hasPrefix("Error: r seed 1: stopped after step ")
                && last.hasSuffix("by SIGTERM or SIGINT; its state is in \(out).state, --resume continues it"),
            "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let resumed = try CLI.zoo("train", r, "--out", out, "--quiet", "--resume")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try compareAll(reference, out).hasPrefix("identical"))
    }

    @Test func seedsWithResumeSkipFinishedModelsResumeStartedOnesAndStartTheRest() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory)
        let models = directory.file("models")
        let seed = { (s: Int) in "\(models)/r/seed-\(s).h5" }
        try #require(try CLI.zoo("train", r, "--seed", "0", "--models", models, "--quiet").status == 0)
        try trainAndKill([r, "--seed", "1", "--models", models], state: seed(1) + ".state")
        try #require(
            try CLI.zoo("train", r, "--seed", "1", "--out", directory.file("reference-1.h5"), "--quiet").status == 0)
        expectUserError(try CLI.zoo("train", r, "--seeds", "0-2", "--models", models), mentioning: [seed(0), "exists"])
        let result = try CLI.zoo("train", r, "--seeds", "0-2", "--models", models, "--quiet", "--resume")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("skipped \(seed(0)): already trained"), "\(result)")
        #expect(result.stderr.contains("resuming r seed 1 from step "), "\(result)")
        #expect(result.stdout.contains("wrote \(seed(1))") && result.stdout.contains("wrote \(seed(2))"), "\(result)")
        #expect(try compareAll(directory.file("reference-1.h5"), seed(1)).hasPrefix("identical"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: models + "/r").sorted() == [
                "seed-0.h5", "seed-1.h5", "seed-2.h5",
            ])
    }

    @Test func existingCheckpointsAreRefusedReplacedWithForceAndSkippedWithResume() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory, steps: 5)
        let out = directory.file("m.h5")
        try #require(try CLI.zoo("train", r, "--out", out).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        expectUserError(try CLI.zoo("train", r, "--out", out), mentioning: [out, "exists; --force replaces it"])
        let skipped = try CLI.zoo("train", r, "--out", out, "--resume")
        #expect(
            skipped.status == 0 && skipped.stdout == "skipped \(out): already trained with this recipe and seed\n",
            "\(skipped)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        expectUserError(
            try CLI.zoo("train", r, "--out", out, "--resume", "--seed", "2"),
            mentioning: [out, "another recipe or seed", "training.seed: 1 vs 2", "--force"])
        let forced = try CLI.zoo("train", r, "--out", out, "--force", "--seed", "2")
        #expect(forced.status == 0 && forced.stdout.hasPrefix("wrote \(out)"), "\(forced)")
    }

    @Test func resumeWithAnotherRecipeNamesTheDifference() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory)
        let out = directory.file("m.h5")
        // A state saved by a run that diverged keeps the run from starting over silently.
        let diverging = try recipe(in: directory, name: "d", extra: #", "learning_rate": 1e30"#)
        let result = try CLI.zoo("train", diverging, "--out", out, "--quiet")
        expectFailure(
            result,
            mentioning: [
                "d seed 1: diverged at step ", "last finite loss", "no checkpoint written",
                "the last good state (step ",
            ])
        expectUserError(try CLI.zoo("train", r, "--out", out), mentioning: [out + ".state", "--resume continues it"])
        expectUserError(
            try CLI.zoo("train", r, "--out", out, "--resume"),
            mentioning: [out + ".state", "name: \"d\" vs \"r\"", "training.learning_rate: 1e+30 vs 0.001"])
    }

    @Test func aDivergingRunLeavesAnExistingCheckpointUntouched() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("m.h5")
        try #require(try CLI.zoo("train", try recipe(in: directory, steps: 5), "--out", out).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        for (name, extra) in [
            ("huge", #", "learning_rate": 1e30"#), ("clip", #", "learning_rate": 1e6, "clip_norm": 1e30"#),
        ] {
            let result = try CLI.zoo(
                "train", try recipe(in: directory, name: name, extra: extra), "--out", out, "--force")
            expectFailure(result, mentioning: ["\(name) seed 1: diverged at step", "\(out) untouched"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "\(name)")
        }
    }

    @Test func outputsAreCheckedBeforeTheFirstStep() throws {
        let directory = try TemporaryDirectory()
        let r = try recipe(in: directory, steps: 100_000)  // would take minutes: every refusal comes first
        try "x".write(toFile: directory.file("file"), atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory.file("folder.h5"), withIntermediateDirectories: false)
        expectUserError(
            try CLI.zoo("train", r, "--out", directory.file("file/m.h5")),
            mentioning: [directory.file("file"), "not a folder"])
        expectUserError(
            try CLI.zoo("train", r, "--out", directory.file("folder.h5")),
            mentioning: [directory.file("folder.h5"), "is a folder"])
        let bad = directory.file("bad.json")
        try #"{"name": "../../x"}"#.write(toFile: bad, atomically: false, encoding: .utf8)
        expectUserError(
            try CLI.zoo("train", bad, "--models", directory.file("models")),
            mentioning: ["name '../../x' must be a file name"])
    }

    @Test func aSecondTrainerOnTheSamePathIsRefused() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("m.h5")
        let lock = open(out + ".lock", O_RDWR | O_CREAT, 0o644)
        try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }
        expectUserError(
            try CLI.zoo("train", try recipe(in: directory, steps: 5), "--out", out),
            mentioning: [out, "another icl-zoo train is writing it"])
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func staleTemporaryFilesOfTheCheckpointAreRemoved() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("m.h5")
        for stale in [".m.h5.tmp-1-abc", ".m.h5.state.tmp-2-def"] {
            try "partial".write(toFile: directory.file(stale), atomically: false, encoding: .utf8)
        }
        try "other".write(toFile: directory.file(".n.h5.tmp-3-0"), atomically: false, encoding: .utf8)
        let result = try CLI.zoo("train", try recipe(in: directory, steps: 5), "--out", out, "--quiet")
        #expect(result.status == 0 && result.stderr.contains("removed \(directory.path)/.m.h5.tmp-1-abc"), "\(result)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(left == [".n.h5.tmp-3-0", "m.h5", "r.json"], "only this checkpoint's temporary files go")
    }
}

/// A run that failed after training started: exit 1, the progress lines, then one `Error:` line.
func expectFailure(
    _ result: CLI.Result, mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
    let last = result.stderrLines.last.map(String.init) ?? ""
    #expect(last.hasPrefix("Error: "), "\(result)", sourceLocation: sourceLocation)
    #expect(
        result.stderrLines.filter { $0.hasPrefix("Error: ") }.count == 1, "\(result)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(
            last.contains(fragment), "the error line lacks '\(fragment)': \(result)", sourceLocation: sourceLocation)
    }
    #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
}
