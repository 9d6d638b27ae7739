import Foundation
import ICLTestSupport
import Testing

@Suite struct TrainTests {
    /// The shipped lsa-1 recipe, cut to 20 steps of 64 tasks: writes the checkpoint it announces.
    @Test func trainsTheZooRecipeAndWritesACheckpoint() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("m.h5")
        let result = try CLI.zoo(
            "train", CLI.zooRecipe("lsa-1.json"), "--steps", "20", "--batch-size", "64", "--out", out)
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("wrote \(out): final train loss ") == true, "\(result)")
        #expect(lines.count == 1, "\(result)")
        #expect(result.stderr.contains("lsa-1 seed 0 step 20/20"), "progress goes to stderr: \(result)")
        let check = try Python.run(
            """
            import sys, json, h5py
            with h5py.File(sys.argv[1], "r") as f:
                r = json.loads(f.attrs["recipe"])
                t = f["training"]
                print(r["name"], r["training"]["steps"], r["training"]["batch_size"], t.attrs["steps"], t.attrs["batch_size"],
                      t["step"][()].tolist(), len(t["train_loss"]), len(t["validation_loss"]))
            """, arguments: [out])
        #expect(check.stdout == "lsa-1 20 64 20 64 [0, 20] 2 2\n", "\(check.stderr)")
    }

    @Test func sameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot() throws {
        let directory = try TemporaryDirectory()
        let recipe = try CLI.writeSmallRecipe(in: directory)
        for (name, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
            let result = try CLI.zoo("train", recipe, "--seed", seed, "--out", directory.file("\(name).h5"))
            try #require(result.status == 0, "\(result)")
        }
        #expect(try compareWeights(directory.file("a.h5"), directory.file("b.h5")) == "same")
        #expect(try compareWeights(directory.file("a.h5"), directory.file("c.h5")) == "different")
        // The loss curves too, and the seed is on record.
        let curves = try Python.run(
            """
            import sys, h5py, numpy as np
            fs = [h5py.File(p, "r") for p in sys.argv[1:]]
            same = lambda x, y, n: np.array_equal(x["training"][n][()], y["training"][n][()])
            print(same(fs[0], fs[1], "train_loss"), same(fs[0], fs[1], "validation_loss"),
                  same(fs[0], fs[2], "train_loss"), [int(f["training"].attrs["seed"]) for f in fs])
            """, arguments: ["a", "b", "c"].map { directory.file("\($0).h5") })
        #expect(curves.stdout == "True True False [3, 3, 4]\n", "\(curves.stderr)")
    }

    @Test func missingRecipeFile() throws {
        let directory = try TemporaryDirectory()
        let recipe = directory.file("nothing.json")
        let result = try CLI.zoo("train", recipe, "--out", directory.file("m.h5"))
        expectUserError(result, mentioning: [recipe, "no such recipe file"])
    }

    @Test(arguments: [
        (
            "unknown field", #"{"model": {"layers": 1, "hedas": 2}}"#,
            ["unknown field 'model.hedas'", "known here:", "heads"]
        ),
        ("wrong type", #"{"model": {"layers": "two"}}"#, ["field 'model.layers' has the wrong type"]),
        ("heads 0", #"{"model": {"heads": 0}}"#, ["model.heads must be at least 1 (got 0)"]),
        ("unknown section", #"{"modle": {}}"#, ["unknown field 'modle'"]),
        ("not JSON", #"{"model": "#, ["not valid JSON"]),
        ("negative steps", #"{"training": {"steps": -1}}"#, ["training.steps must not be negative (got -1)"]),
    ])
    func badRecipeIsOneLineNamingTheFileAndField(label: String, json: String, mentions: [String]) throws {
        let directory = try TemporaryDirectory()
        let recipe = directory.file("bad.json")
        try json.write(toFile: recipe, atomically: false, encoding: .utf8)
        let out = directory.file("m.h5")
        expectUserError(
            try CLI.zoo("train", recipe, "--steps", "1", "--out", out), mentioning: [recipe + ": "] + mentions)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: [
        (["--bogus"], ["Unknown option '--bogus'"]),
        (["--steps", "-5"], ["--steps must not be negative (got -5)"]),
        (["--steps=-5"], ["--steps must not be negative (got -5)"]),
        (["--batch-size", "0"], ["--batch-size must be at least 1 (got 0)"]),
        (["--batch-size", "-1"], ["--batch-size must be at least 1 (got -1)"]),
        (["--steps"], ["Missing value for '--steps <steps>'"]),
        (["--steps", "many"], ["many", "--steps"]),
        (["--out", "m.txt"], ["--out must name an .h5 file"]),
    ])
    func badCommandLineIsAUsageError(arguments: [String], mentions: [String]) throws {
        expectUsageError(
            try CLI.run("icl-zoo", ["train", CLI.zooRecipe("lsa-1.json")] + arguments), mentioning: mentions)
    }
}
