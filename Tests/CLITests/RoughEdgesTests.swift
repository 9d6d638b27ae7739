import Foundation
import ICLTestSupport
import Testing

/// What a new user runs into first: every tool's --version, recipes by name from any folder, JSON
/// that a program can read, and mistakes that are said instead of silently done.
@Suite struct RoughEdgesTests {
    @Test func everyToolHasAVersion() throws {
        for tool in ["icl-zoo", "icl-analyze", "icl-bench"] {
            let result = try CLI.run(tool, ["--version"])
            #expect(
                result.status == 0 && result.stdout.hasPrefix("0.") && result.stdout.split(separator: "\n").count == 1,
                "\(tool): \(result)")
        }
        // The version a binary prints is the one its checkpoints record (both stamped at build time).
        let directory = try TemporaryDirectory()
        let out = directory.file("gd.h5")
        try #require(try CLI.zoo("construct", "gd", "--tasks", "200", "--out", out).status == 0)
        let recorded = try Python.run(
            "import h5py, sys; print(h5py.File(sys.argv[1])['/'].attrs['software_version'])", arguments: [out])
        let printed = try CLI.run("icl-zoo", ["--version"])
        #expect(recorded.status == 0 && recorded.stdout == printed.stdout, "\(recorded) \(printed)")
    }

    /// Recipes by name (`lsa-1`) and the default recipe work from a folder without a zoo/; an unknown
    /// name is an error naming it.
    @Test func recipesByNameOutsideThePackage() throws {
        let directory = try TemporaryDirectory()
        let gd = try CLI.run(
            "icl-zoo", ["construct", "gd", "--eta", "1", "--recipe", "lsa-1", "--out", "gd.h5"], in: directory.path)
        #expect(gd.status == 0 && FileManager.default.fileExists(atPath: directory.file("gd.h5")), "\(gd)")
        let copy = try CLI.run("icl-zoo", ["construct", "copy", "--out", "copy.h5"], in: directory.path)  // default recipe
        #expect(copy.status == 0, "\(copy)")
        let trained = try CLI.run(
            "icl-zoo",
            [
                "train", "lsa-1.json", "--steps", "1", "--batch-size", "4", "--validation-tasks", "4",
                "--quiet", "--out", "out/m.h5",
            ], in: directory.path)
        #expect(trained.status == 0 && FileManager.default.fileExists(atPath: directory.file("out/m.h5")), "\(trained)")
        expectUserError(
            try CLI.run("icl-zoo", ["train", "no-such-recipe"], in: directory.path),
            mentioning: ["no-such-recipe: no such recipe file or folder"])
    }

    /// A trained GD++ model: `show` prints its η and γ per layer and its snapshots, `show --json`
    /// the same as numbers.
    @Test func showPrintsTrainedEtaGammaAndSnapshots() throws {
        let directory = try TemporaryDirectory()
        let recipe = directory.file("gdpp.json")
        try #"""
        {"name": "gdpp", "model": {"architecture": "gdpp", "layers": 2},
         "task": {"input_dim": 3, "context_size": 5},
         "training": {"steps": 4, "batch_size": 8, "eval_every": 2, "validation_tasks": 10, "snapshot_every": 2}}
        """#.write(toFile: recipe, atomically: false, encoding: .utf8)
        let out = directory.file("gdpp.h5")
        try #require(try CLI.zoo("train", recipe, "--quiet", "--out", out).status == 0)
        let text = try CLI.zoo("show", out)
        #expect(text.status == 0, "\(text)")
        let etaLine = try #require(text.stdout.split(separator: "\n").first { $0.contains("trained η") }, "\(text)")
        #expect(etaLine.contains("γ"), "\(text)")
        #expect(text.stdout.contains("snapshots    3 at step(s) 0, 2, 4"), "\(text)")

        let json = try CLI.zoo("show", out, "--json")
        #expect(json.status == 0, "\(json)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        let etas = try #require(object["eta"] as? [Double], "\(json)"),
            gammas = try #require(object["gamma"] as? [Double], "\(json)")
        #expect(etas.count == 2 && gammas.count == 2, "\(json)")
        // The text and the JSON show the same trained values.
        #expect(
            etaLine.contains(etas.map { String(format: "%.6f", $0) }.joined(separator: ", ")), "\(etaLine) vs \(etas)")
        #expect(etas != [1, 1], "η was trained away from its initial 1: \(etas)")
        let trained = try #require(object["trained"] as? [String: Any], "\(json)")
        #expect(trained["snapshot_steps"] as? [Int] == [0, 2, 4] && trained["steps"] as? Int == 4, "\(trained)")
        #expect(
            (object["recipe"] as? [String: Any])?["name"] as? String == "gdpp"
                && object["origin"] as? String == "trained")
        #expect((object["model"] as? [String: Any])?["layers"] as? Int == 2, "\(json)")
    }

    /// Two constructions on different task settings (input range 1 and 2): every analysis that
    /// evaluates both on one set of tasks says which fields differ.
    @Test func analysesRefuseModelsOfOtherTaskSettings() throws {
        let directory = try TemporaryDirectory()
        let wide = directory.file("wide.json")
        try #"{"name": "wide", "task": {"input_range": 2}}"#.write(toFile: wide, atomically: false, encoding: .utf8)
        let (a, b) = (directory.file("a.h5"), directory.file("b.h5"))
        try #require(
            try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", a).status
                == 0)
        try #require(try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", wide, "--out", b).status == 0)
        for command in ["compare", "interpolate", "rollout", "ood"] {
            expectUserError(
                try CLI.analyze(command, a, b, "--tasks", "10"),
                mentioning: ["\(b): trained on other task settings than \(a)", "task.input_range: 1 vs 2"])
        }
        #expect(try CLI.analyze("compare", a, a, "--tasks", "10").status == 0)
    }

    /// `rollout --layer` names the problem: a layer that does not exist, or a softmax model.
    @Test func rolloutLayerOutOfRangeOrSoftmax() throws {
        let directory = try TemporaryDirectory()
        let softmax = directory.file("softmax.json")
        try
            #"{"name": "softmax", "model": {"architecture": "softmax"}, "training": {"steps": 1, "batch_size": 4, "validation_tasks": 4}}"#
            .write(toFile: softmax, atomically: false, encoding: .utf8)
        let out = directory.file("softmax.h5")
        let trained = try CLI.zoo("train", softmax, "--quiet", "--out", out)
        try #require(trained.status == 0, "\(trained)")
        expectUserError(
            try CLI.analyze("rollout", out, "--layer", "0", "--tasks", "10"),
            mentioning: [out, "linear self-attention layer", "'softmax'"])
        let deep = directory.file("gd-2.h5")
        try #require(
            try CLI.zoo("construct", "gd", "--layers", "2", "--eta", "1", "--recipe", "lsa-1", "--out", deep).status
                == 0)
        expectUserError(
            try CLI.analyze("rollout", deep, "--layer", "2", "--tasks", "10"),
            mentioning: [deep, "2 parameter layer(s); there is no layer 2"])
        #expect(try CLI.analyze("rollout", deep, "--layer", "1", "--tasks", "10", "--steps", "2").status == 0)
    }

    /// The copying analysis needs alternating tokens; on paired ones there is nothing to copy.
    @Test func copyingRefusesPairedTokens() throws {
        let directory = try TemporaryDirectory()
        let gd = directory.file("gd.h5")
        try #require(
            try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", gd).status
                == 0)
        expectUserError(try CLI.analyze("copying", gd, "--tasks", "10"), mentioning: [gd, "paired", "alternating"])
    }

    /// `--csv` and `--png` into a folder that does not exist yet create it, as `train --out` does.
    @Test func analysisOutputsCreateTheirFolder() throws {
        let directory = try TemporaryDirectory()
        let gd = directory.file("gd.h5")
        try #require(
            try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", gd).status
                == 0)
        let (csv, png) = (directory.file("new/deeper/r.csv"), directory.file("other/r.png"))
        let result = try CLI.analyze("rollout", gd, "--tasks", "10", "--steps", "2", "--csv", csv, "--png", png)
        #expect(result.status == 0, "\(result)")
        #expect(FileManager.default.fileExists(atPath: csv) && FileManager.default.fileExists(atPath: png), "\(result)")
    }

    /// No option's help says its default twice (once by hand, once by ArgumentParser) or leaves a
    /// bracket open.
    @Test func helpTextsHaveNoDoubledDefaultsOrStrayBrackets() throws {
        let commands: [(String, [String])] = [
            ("icl-zoo", ["train"]), ("icl-zoo", ["construct", "gd"]), ("icl-zoo", ["construct", "gdpp"]),
            ("icl-zoo", ["construct", "copy"]), ("icl-zoo", ["show"]), ("icl-zoo", ["list"]), ("icl-zoo", ["sweep"]),
            ("icl-analyze", ["compare"]), ("icl-analyze", ["interpolate"]), ("icl-analyze", ["ood"]),
            ("icl-analyze", ["rollout"]), ("icl-analyze", ["heatmap"]), ("icl-analyze", ["spectrum"]),
            ("icl-analyze", ["curves"]), ("icl-analyze", ["copying"]), ("icl-analyze", ["context-length"]),
            ("icl-analyze", ["fingerprint"]), ("icl-analyze", ["functions"]), ("icl-bench", []),
        ]
        for (tool, command) in commands {
            let help = try CLI.run(tool, command + ["--help"]).stdout
            // One block per argument or option: its first line and the indented lines under it.
            var blocks: [String] = []
            for line in help.split(separator: "\n") {
                if line.hasPrefix("  -") || line.hasPrefix("  <") {
                    blocks.append(String(line))
                } else if line.hasPrefix("      "), !blocks.isEmpty {
                    blocks[blocks.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
                }
            }
            #expect(!blocks.isEmpty, "\(tool) \(command): no options in\n\(help)")
            for block in blocks {
                #expect(
                    block.components(separatedBy: "(default").count <= 2,
                    "\(tool) \(command): default said twice: \(block)")
                #expect(
                    block.filter { $0 == "(" }.count == block.filter { $0 == ")" }.count,
                    "\(tool) \(command): brackets: \(block)")
            }
        }
    }
}
