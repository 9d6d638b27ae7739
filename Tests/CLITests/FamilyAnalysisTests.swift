import Foundation
import ICLRender
import ICLTestSupport
import Testing

/// Analyses on the rest of the family: a model on alternating tokens, compared with GD built on the
/// fly, and its copying sensitivities over snapshots.
@Suite struct FamilyAnalysisTests {
    /// A few steps of `recipe` (a file of the package's zoo/) into `directory`.
    func train(_ recipe: String, _ directory: TemporaryDirectory, steps: Int, batch: Int, validation: Int) throws
        -> String
    {
        let out = directory.file(recipe.replacingOccurrences(of: ".json", with: ".h5"))
        let r = try CLI.zoo(
            "train", CLI.zooRecipe(recipe), "--steps", String(steps), "--batch-size", String(batch),
            "--validation-tasks", String(validation), "--out", out)
        try #require(r.status == 0, "\(r)")
        return out
    }

    func trainAlternating(_ directory: TemporaryDirectory) throws -> String {
        try train("alternating-2.json", directory, steps: 4, batch: 16, validation: 20)
    }

    func trainSine(_ directory: TemporaryDirectory) throws -> String {
        try train("sine-mlp-lsa.json", directory, steps: 2, batch: 8, validation: 8)
    }

    @Test func compareAgainstGDBuiltOnTheFly() throws {
        let directory = try TemporaryDirectory()
        let model = try trainAlternating(directory)
        let r = try CLI.analyze("compare", model, "--against", "gd", "--gd-steps", "1", "--tasks", "100", "--json")
        #expect(r.status == 0, "\(r)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        // One GD step with a line-searched η on these tasks beats an untrained model.
        let lossA = object?["loss_a"] as? Double ?? 0, lossB = object?["loss_b"] as? Double ?? 1
        #expect(lossB < lossA, "\(r.stdout)")
        expectUsageError(
            try CLI.analyze("compare", model, "--against", "gdpp"),
            mentioning: ["--against: unknown baseline 'gdpp'", "gdpp:FILE"])
    }

    @Test func copyingOverSnapshotsWithAFigure() throws {
        let directory = try TemporaryDirectory()
        let model = try trainAlternating(directory)
        let png = directory.file("copying.png"), csv = directory.file("copying.csv")
        let r = try CLI.analyze("copying", model, "--tasks", "30", "--png", png, "--csv", csv)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("own") && r.stdout.contains("next"))
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "step,own,next,others,validation_loss")
        #expect(rows.count == 3, "snapshot at step 0 and the final weights: \(rows)")
        let header = try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8)
        #expect(header == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    /// The sine models embed tokens first: their products are in the embedding's width (this
    /// failed with "W_Q has shape [40, 40], expected [40, 2]"), labelled e₁ … e_D.
    @Test func heatmapOfAModelWithAnEmbedding() throws {
        let directory = try TemporaryDirectory()
        let out = try trainSine(directory)
        let png = directory.file("h.png"), svg = directory.file("h.svg")
        let heatmap = try CLI.analyze("heatmap", out, "--png", png, "--svg", svg, "--json")
        #expect(heatmap.status == 0, "\(heatmap)")
        let object = try JSONSerialization.jsonObject(with: Data(heatmap.stdout.utf8)) as? [String: Any]
        let heads = object?["heads"] as? [[String: Any]] ?? []
        #expect(heads.count == 1 && (heads.first?["W_KQ"] as? [Double])?.count == 40 * 40, "\(heads.count)")
        let image = try RGBAImage.readPNG(png)
        #expect(image.height <= 2_000 && image.width > 500)
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))
    }

    /// `copying` computes the authors' measure by default and ours with --measure per-task; the
    /// norm of the task-mean gradient is at most the mean of per-task norms.
    @Test func copyingMeasures() throws {
        let directory = try TemporaryDirectory()
        let model = try trainAlternating(directory)
        func points(_ extra: [String]) throws -> [[String: Any]] {
            let r = try CLI.run("icl-analyze", ["copying", model, "--tasks", "30", "--json"] + extra)
            try #require(r.status == 0, "\(r)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return object?["points"] as? [[String: Any]] ?? []
        }
        let authors = try points([]), perTask = try points(["--measure", "per-task"])
        #expect(authors.count == perTask.count && !authors.isEmpty)
        for (a, p) in zip(authors, perTask) {
            #expect((a["next"] as? Double ?? 1) <= (p["next"] as? Double ?? 0) + 1e-9, "\(a) vs \(p)")
            #expect(a["own"] as? Double != p["own"] as? Double)
        }
        expectUsageError(try CLI.analyze("copying", model, "--measure", "mean"), mentioning: ["--measure"])
    }

    @Test func linearRegressionAnalysesRefuseSineModels() throws {
        let directory = try TemporaryDirectory()
        let out = try trainSine(directory)
        expectUserError(try CLI.analyze("ood", out, "--tasks", "10"), mentioning: ["sine", "linear-regression"])
        // compare works within the family
        let same = try CLI.analyze("compare", out, out, "--tasks", "20", "--json")
        #expect(same.status == 0 && same.stdout.contains("\"prediction_diff\":0"), "\(same)")
    }
}

@Suite struct CopyConstructionCommandTests {
    /// The Proposition 3 checkpoint: its first layer depends on the next token as much as on its own.
    @Test func constructCopyThenCopyingSeesTheNextToken() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("copy.h5")
        let r = try CLI.zoo("construct", "copy", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", out)
        #expect(r.status == 0, "\(r)")
        let show = try CLI.zoo("show", out)
        #expect(show.stdout.contains("alternating_onehot") && show.stdout.contains("constructed  copy"), "\(show)")
        let copying = try CLI.analyze("copying", out, "--tasks", "20", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(copying.stdout.utf8)) as? [String: Any]
        let point = (object?["points"] as? [[String: Any]])?.first
        let next = point?["next"] as? Double ?? 0, others = point?["others"] as? Double ?? 1
        #expect(next > 3 * others, "\(copying.stdout)")
    }
}

@Suite struct AlignmentOverTrainingTests {
    /// `curves --align-with gd` on a run with snapshots: one alignment row per snapshot, and a figure.
    @Test func alignmentOfEverySnapshot() throws {
        let directory = try TemporaryDirectory()
        let recipe = directory.file("snap.json"), out = directory.file("snap.h5"), png = directory.file("curves.png")
        try
            #"{"name": "snap", "training": {"steps": 6, "batch_size": 32, "eval_every": 3, "validation_tasks": 50, "snapshot_every": 3}}"#
            .write(toFile: recipe, atomically: false, encoding: .utf8)
        try #require(try CLI.zoo("train", recipe, "--out", out).status == 0)
        let csv = directory.file("curves.csv")
        let r = try CLI.analyze(
            "curves", out, "--align-with", "gd", "--tasks", "100", "--json", "--png", png, "--csv", csv)
        #expect(r.status == 0, "\(r)")
        // The CSV behind the figure has the three measures (mean, std over seeds) at each snapshot step.
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let column = try #require(lines.first?.firstIndex(of: "sensitivity_cosine_mean vs gd"))
        #expect(lines.first?.last == "prediction_diff_std vs gd" && lines.count == 4)
        #expect(lines.dropFirst().allSatisfy { Double($0[column]) != nil }, "\(lines)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let runs = object?["alignment"] as? [[String: Any]] ?? []
        let steps = (runs.first?["points"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }
        #expect(steps == [0, 3, 6], "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: png))
        expectUserError(
            try CLI.analyze("curves", out, "--align-with", directory.file("missing.h5"), "--tasks", "10"),
            mentioning: ["missing.h5"])
    }
}

@Suite struct ProblemSizesCommandTests {
    /// `problem-sizes` on tiny trained models of two sizes (two seeds of N = N_x = 3, one of 4): one
    /// point per recipe in order of N, GD's loss equal to its construction's, a CSV row per model and
    /// a PNG that decodes; a softmax model is refused with one line naming it.
    @Test func onePointPerRecipeAndADecodableFigure() throws {
        let directory = try TemporaryDirectory()
        var files: [String] = []
        for (n, seed) in [(4, 0), (3, 0), (3, 1)] {
            let recipe = directory.file("n\(n).json"), out = directory.file("n\(n)-\(seed).h5")
            try
                #"{"name": "n\#(n)", "task": {"input_dim": \#(n), "context_size": \#(n)}, "training": {"steps": 30, "batch_size": 64, "eval_every": 10, "validation_tasks": 50}}"#
                .write(toFile: recipe, atomically: false, encoding: .utf8)
            let trained = try CLI.zoo("train", recipe, "--seed", String(seed), "--out", out, "--quiet")
            try #require(trained.status == 0, "\(trained)")
            files.append(out)
        }
        let png = directory.file("sizes.png"), csv = directory.file("sizes.csv")
        let r = try CLI.run(
            "icl-analyze", ["problem-sizes"] + files + ["--tasks", "200", "--json", "--png", png, "--csv", csv])
        #expect(r.status == 0, "\(r)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let points = object?["points"] as? [[String: Any]] ?? []
        #expect(points.compactMap { $0["name"] as? String } == ["n3", "n4"], "\(r.stdout)")
        #expect((points.first?["trained"] as? [Double])?.count == 2)
        for p in points {
            let gd = p["gd_loss"] as? Double ?? .nan
            let ends = p["construction"] as? [Double] ?? []
            #expect(!ends.isEmpty && ends.allSatisfy { abs($0 - gd) <= 1e-4 * gd }, "\(p)")
        }
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 4 && rows[0].hasPrefix("recipe,context_size,input_dim,eta,gd_loss"))
        let image = try RGBAImage.readPNG(png)
        #expect(image.width > 600 && image.height > 400)

        let softmax = directory.file("softmax.json"), model = directory.file("softmax.h5")
        try
            #"{"name": "soft", "model": {"architecture": "softmax"}, "training": {"steps": 2, "batch_size": 8, "eval_every": 1, "validation_tasks": 10}}"#
            .write(toFile: softmax, atomically: false, encoding: .utf8)
        try #require(try CLI.zoo("train", softmax, "--out", model, "--quiet").status == 0)
        expectUserError(try CLI.analyze("problem-sizes", files[0], model, "--tasks", "10"), mentioning: [model])
    }
}
