import Foundation
import ICLRender
import ICLTestSupport
import Testing

/// `icl-analyze functions` (Figure 4 left) on two sine models trained for 3 steps with the built
/// `icl-zoo`: its JSON, CSV and PNG, its losses against `compare`'s, and its refusals.
@Suite("icl-analyze functions")
struct FunctionsCommandTests {
    /// `tf.h5` (sine-mlp-lsa) and `gd.h5` (sine-mlp-gd), 3 steps of 16 tasks each.
    static func sineModels(in folder: TemporaryDirectory) throws -> (tf: String, gd: String) {
        let (tf, gd) = (folder.file("tf.h5"), folder.file("gd.h5"))
        for (recipe, out) in [("sine-mlp-lsa.json", tf), ("sine-mlp-gd.json", gd)] {
            let result = try CLI.zoo(
                "train", CLI.zooRecipe(recipe), "--steps", "3", "--batch-size", "16", "--validation-tasks", "20",
                "--quiet", "--out", out)
            try #require(result.status == 0, "\(result)")
        }
        return (tf, gd)
    }

    static func object(_ result: CLI.Result) throws -> [String: Any] {
        try #require(result.status == 0, "\(result)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func drawsBothModelsFunctionsAndWritesTheirNumbers() throws {
        let folder = try TemporaryDirectory()
        let (tf, gd) = try Self.sineModels(in: folder)
        let (png, csv) = (folder.file("out/fig.png"), folder.file("out/fig.csv"))
        let json = try Self.object(
            try CLI.analyze(
                "functions", tf, gd, "--tasks", "60", "--plots", "2", "--points", "20", "--json", "--png", png,
                "--csv", csv))
        // The adjusted functions' losses are compare's losses on the same evaluation tasks.
        let compare = try Self.object(try CLI.analyze("compare", tf, gd, "--tasks", "60", "--json"))
        let models = try #require(json["models"] as? [[String: Any]])
        #expect(models.map { $0["legend"] as? String } == ["TF", "MLP + GD"])
        for (model, key) in zip(models, ["loss_a", "loss_b"]) {
            let ours = try #require(model["loss_adjusted"] as? Double), theirs = try #require(compare[key] as? Double)
            #expect(abs(ours - theirs) <= 1e-6 * theirs, "\(key): \(ours) vs \(theirs)")
            #expect(try #require(model["loss_initial"] as? Double) > 0)
        }
        #expect(models[0]["initial_diff"] == nil && models[1]["initial_diff"] is Double)
        let functions = try #require(json["functions"] as? [[String: Any]])
        #expect(functions.count == 2)
        #expect((functions[0]["x"] as? [Double])?.count == 20 && (functions[0]["context_x"] as? [Double])?.count == 10)

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(
            lines[0]
                == "task,amplitude,phase,point,x,y_true,TF: initial,TF: adjusted,MLP + GD: initial,MLP + GD: adjusted")
        #expect(lines.count == 1 + 2 * (20 + 10))
        #expect(lines.filter { $0.contains(",context,") }.count == 20)
        // A grid row holds the JSON's numbers.
        let row = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let first = try #require((functions[0]["models"] as? [[String: Any]])?.first)
        for (column, key) in [(6, "initial"), (7, "adjusted")] {
            let (a, b) = (try #require(Double(row[column])), try #require((first[key] as? [Double])?.first))
            #expect(abs(a - b) <= 1e-12 * abs(b), "\(key): CSV \(a), JSON \(b)")
        }

        // Two plots side by side under a title; drawn in many colours.
        let image = try RGBAImage.readPNG(png)
        #expect(image.width == 1_520 && image.height == 560, "\(image.width)×\(image.height)")
        #expect(image.distinctColors().count > 20)
    }

    /// The report's Figure 4 draws panel (a) with this subcommand on seed 0 of both recipes.
    @Test func theReportsFigure4DrawsTheFunctions() throws {
        let folder = try TemporaryDirectory()
        let (zoo, report) = (folder.file("zoo"), folder.file("report"))
        for recipe in ["sine-mlp-lsa", "sine-mlp-gd"] {
            let trained = try CLI.zoo(
                "train", recipe, "--seed", "0", "--steps", "3", "--batch-size", "16", "--validation-tasks", "20",
                "--models", zoo, "--quiet")
            try #require(trained.status == 0, "\(trained)")
        }
        let result = try CLI.analyze("report", zoo, "--out", report, "--tasks", "50", "--only", "4")
        try #require(result.status == 0, "\(result)")
        let panel = try RGBAImage.readPNGInfo(report + "/panels/4a-fits.png")
        #expect(panel.width == 1_520 && panel.height == 560, "\(panel.width)×\(panel.height)")
        #expect(FileManager.default.fileExists(atPath: report + "/panels/4a-fits.csv"))
        let page = try String(contentsOfFile: report + "/index.html", encoding: .utf8)
        #expect(
            page.contains(
                "icl-analyze functions \(zoo)/sine-mlp-lsa/seed-0.h5 \(zoo)/sine-mlp-gd/seed-0.h5 --plots 2 --tasks 50 --json"
            ))
        #expect(!page.contains("not drawn"), "no panel of Figure 4 is left undrawn")
        let figure = try RGBAImage.readPNGInfo(report + "/figure-4.png")
        #expect(figure.height <= 2_000 && figure.width <= 2_600)
    }

    @Test func aModelOfAnotherTaskFamilyIsOneErrorLine() throws {
        let folder = try TemporaryDirectory()
        let lsa = try BuiltTools.makeCheckpoints(in: folder.path)["lsa"]!
        expectUserError(
            try CLI.analyze("functions", lsa, "--tasks", "10", "--png", folder.file("fig.png")),
            mentioning: [lsa, "sine"])
        expectUserError(
            try CLI.analyze("functions", folder.file("absent.h5"), "--tasks", "10"), mentioning: ["absent.h5"])
        expectUsageError(try CLI.analyze("functions", lsa, "--plots", "0"), mentioning: ["--plots"])
        #expect(!FileManager.default.fileExists(atPath: folder.file("fig.png")))
    }
}
