import Foundation
import ICLTestSupport
import Testing

/// The failure contract: a non-zero exit and a short, clear message — no crash, no HDF5 dump.
func expectCleanFailure(_ result: CLI.Result, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status != 0, "expected failure, got: \(result.stdout)", sourceLocation: sourceLocation)
    for word in words { #expect(result.stderr.contains(word), "stderr lacks '\(word)': \(result.stderr)", sourceLocation: sourceLocation) }
    for bad in ["HDF5-DIAG", "Fatal error", "Stack dump", "Current stack trace"] {
        #expect(!result.stderr.contains(bad), "stderr has '\(bad)': \(result.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite("icl-zoo, run as a program")
struct ZooCommandTests {
    static let small = ["--steps", "4", "--batch-size", "32"]

    @Test func trainWritesACheckpointThatShowAndListDescribe() throws {
        let dir = try TemporaryDirectory()
        let train = try CLI.run("icl-zoo", ["train", "zoo/lsa-1.json", "--seed", "3", "--out", dir.file("m/seed-3.h5")] + Self.small)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("wrote \(dir.file("m/seed-3.h5"))"))
        #expect(train.stderr.contains("step 4/4"), "progress is shown: \(train.stderr)")
        let show = try CLI.zoo("show", dir.file("m/seed-3.h5"))
        #expect(show.status == 0)
        #expect(show.stdout.contains("lsa, 1 layer(s)") && show.stdout.contains("seed 3, 4 steps, batch 32"), "\(show.stdout)")
        let list = try CLI.zoo("list", dir.path)
        #expect(list.status == 0 && list.stdout.contains("seed-3.h5") && list.stdout.contains("trained"), "\(list.stdout)")
        let json = try CLI.zoo("list", dir.path, "--json")
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(rows?.first?["seed"] == "3" && rows?.first?["steps"] == "4" && rows?.first?["architecture"] == "lsa")
    }

    @Test func theSameSeedGivesTheSameCheckpointAndAnotherSeedDoesNot() throws {
        let dir = try TemporaryDirectory()
        for (name, seed) in [("a", "1"), ("b", "1"), ("c", "2")] {
            let r = try CLI.run("icl-zoo", ["train", "--seed", seed, "--out", dir.file("\(name).h5")] + Self.small)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let script = """
        import h5py, sys, numpy as np
        def weights(p):
            f = h5py.File(p, "r")
            return np.concatenate([f["model/layer_0/attention/head_0/" + w][()].ravel() for w in ["W_Q", "W_K", "W_V", "P"]])
        a, b, c = (weights(p) for p in sys.argv[1:])
        print(np.array_equal(a, b), np.array_equal(a, c))
        """
        let r = try Python.run(script, arguments: [dir.file("a.h5"), dir.file("b.h5"), dir.file("c.h5")])
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "True False", "\(r.stdout) \(r.stderr)")
    }

    @Test func constructGDAndCompareAsJSON() throws {
        let dir = try TemporaryDirectory()
        #expect(try CLI.zoo("construct", "gd", "--eta", "1.5", "--out", dir.file("gd.h5")).status == 0)
        let searched = try CLI.zoo("construct", "gd", "--tasks", "300", "--out", dir.file("gd-searched.h5"))
        #expect(searched.status == 0 && searched.stdout.contains("line search over 250 values"), "\(searched.stdout)")
        let train = try CLI.run("icl-zoo", ["train", "--out", dir.file("m.h5")] + Self.small)
        #expect(train.status == 0)
        let compare = try CLI.analyze("compare", dir.file("m.h5"), dir.file("gd.h5"), "--tasks", "200", "--json")
        #expect(compare.status == 0, "\(compare.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any]
        for key in ["loss_a", "loss_b", "prediction_diff", "sensitivity_cosine", "sensitivity_diff"] {
            #expect(object?[key] is Double, "missing \(key) in \(compare.stdout)")
        }
        let itself = try CLI.analyze("compare", dir.file("gd.h5"), dir.file("gd.h5"), "--tasks", "200", "--json")
        let same = try JSONSerialization.jsonObject(with: Data(itself.stdout.utf8)) as? [String: Double]
        #expect(same?["prediction_diff"] == 0)
        #expect(abs((same?["sensitivity_cosine"] ?? 0) - 1) < 1e-6)
    }

    @Test func everySubcommandHasHelp() throws {
        for arguments in [["--help"], ["train", "--help"], ["construct", "gd", "--help"], ["show", "--help"], ["list", "--help"]] {
            let r = try CLI.run("icl-zoo", arguments)
            #expect(r.status == 0 && r.stdout.contains("USAGE"), "\(arguments)")
        }
        #expect(try CLI.analyze("compare", "--help").status == 0)
    }

    @Test func badInputFailsWithOneClearLine() throws {
        let dir = try TemporaryDirectory()
        try "not an hdf5 file".write(toFile: dir.file("text.h5"), atomically: true, encoding: .utf8)
        expectCleanFailure(try CLI.zoo("show", dir.file("missing.h5")), mentioning: ["missing.h5", "no such file"])
        expectCleanFailure(try CLI.zoo("show", dir.file("text.h5")), mentioning: ["text.h5", "not an HDF5 file"])
        expectCleanFailure(try CLI.analyze("compare", dir.file("text.h5"), dir.file("missing.h5")), mentioning: ["text.h5"])
        expectCleanFailure(try CLI.zoo("train", "--no-such-flag"), mentioning: ["--no-such-flag"])
        expectCleanFailure(try CLI.zoo("train", "--steps", "-5"), mentioning: ["steps"])
        // A truncated checkpoint.
        #expect(try CLI.zoo("construct", "gd", "--eta", "1", "--out", dir.file("gd.h5")).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("gd.h5")))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir.file("cut.h5")))
        expectCleanFailure(try CLI.zoo("show", dir.file("cut.h5")), mentioning: ["cut.h5"])
    }

    @Test(arguments: [
        (#"{"training": {"step": 10}}"#, "training.step"),
        (#"{"model": {"layers": "two"}}"#, "model.layers"),
        (#"{"model": {"heads": 0}}"#, "model.heads"),
        (#"{"task": {"context_size": 0}}"#, "task.context_size"),
        (#"{"model": {"architecture": "lsa", "attention": ["softmax"]}}"#, "model.attention"),
        (#"{"model": {"architecture": "rnn"}}"#, "model.architecture"),
        (#"{"model": "#, "not valid JSON"),
    ])
    func badRecipesAreRejectedBeforeTrainingNamingTheField(recipe: String, field: String) throws {
        let dir = try TemporaryDirectory()
        try recipe.write(toFile: dir.file("r.json"), atomically: true, encoding: .utf8)
        let r = try CLI.zoo("train", dir.file("r.json"), "--out", dir.file("m.h5"))
        expectCleanFailure(r, mentioning: [field, "r.json"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("m.h5")))
    }
}

@Suite("The zoo's recipes")
struct ZooRecipeTests {
    /// Every recipe in zoo/ trains (two steps, tiny batches) and gives a readable checkpoint, two
    /// seeds each, two models at a time.
    @Test func everyRecipeTrainsAndLoads() throws {
        let dir = try TemporaryDirectory()
        let recipes = try FileManager.default.contentsOfDirectory(atPath: Python.packageRoot.appendingPathComponent("zoo").path)
            .filter { $0.hasSuffix(".json") }
        try #require(recipes.count >= 10)
        let r = try CLI.zoo("train", "zoo", "--seeds", "0-1", "--steps", "2", "--batch-size", "4", "--validation-tasks", "8",
                            "--models", dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        let list = try CLI.zoo("list", dir.path, "--json")
        let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: String]] ?? []
        #expect(rows.count == 2 * recipes.count)
        #expect(rows.allSatisfy { $0["error"] == nil && $0["steps"] == "2" }, "\(rows.filter { $0["error"] != nil })")
    }

    @Test func seedsAndOutAreChecked() throws {
        expectCleanFailure(try CLI.zoo("train", "--seeds", "4-1"), mentioning: ["--seeds"])
        expectCleanFailure(try CLI.zoo("train", "zoo/lsa-1.json", "zoo/lsa-5.json", "--out", "/tmp/x.h5", "--steps", "0"),
                           mentioning: ["--out"])
        expectCleanFailure(try CLI.zoo("train", "no/such/folder"), mentioning: ["no/such/folder"])
    }
}
