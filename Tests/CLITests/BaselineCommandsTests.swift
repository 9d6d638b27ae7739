import Foundation
import ICLTestSupport
import Testing

/// The algorithm baselines on the command line: `--against` on compare, ood, context-length and
/// fingerprint, and `curves --baseline`.
@Suite struct BaselineCommandsTests {
    func object(_ result: CLI.Result) throws -> [String: Any] {
        try #require(result.status == 0, "\(result)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    }

    @Test func compareAgainstEachBaseline() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        // The GD construction with η = 1 is averaging, and a checkpoint given as gdpp:FILE is itself.
        for (baseline, exact) in [
            ("averaging", true), ("gdpp:" + m["gd"]!, true), ("ols", false), ("ridge:0.5", false),
            ("newton:2", false), ("knn:3", false), ("gd:2:0.5", false),
        ] {
            let report = try object(
                try CLI.analyze("compare", m["gd"]!, "--against", baseline, "--tasks", "100", "--json"))
            let diff = try #require(report["prediction_diff"] as? Double)
            #expect(exact ? diff < 1e-5 : diff > 1e-3, "\(baseline): \(report)")
        }
        let table = try CLI.analyze("compare", m["gd"]!, "--against", "ridge", "--tasks", "50")
        #expect(table.status == 0 && table.stdout.contains("ridge λ="), "\(table)")
    }

    @Test func contextLengthTableJSONCSVAndFigure() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let png = folder.file("n.png"), csv = folder.file("n.csv")
        let out = try object(
            try CLI.analyze(
                "context-length", m["gd"]!, m["lsa"]!, "--against", "averaging", "--against", "ols",
                "--lengths", "3,10-11,20", "--tasks", "100", "--json", "--png", png, "--csv", csv,
                "--y-min", "1e-3"))
        #expect(out["lengths"] as? [Int] == [3, 10, 11, 20] && out["training_context_size"] as? Int == 10)
        let pairs = try #require(out["alignment"] as? [[String: Any]])
        #expect(pairs.count == 4)
        // GD with η = 1 fixed at P = 1/10 is averaging at n = 10 only.
        let diff = try #require(pairs[0]["prediction_diff"] as? [Double])
        #expect(
            pairs[0]["baseline"] as? String == "averaging" && diff[1] < 1e-5 && diff[0] > 1e-3 && diff[3] > 1e-3,
            "\(pairs[0])")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5 && lines[0].hasPrefix("n,loss "), "\(lines)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47] && bytes.count > 1_000)
        let table = try CLI.analyze(
            "context-length", m["gd"]!, "--against", "averaging", "--lengths", "9-11", "--tasks", "50")
        #expect(
            table.status == 0 && table.stdout.contains("← training N") && table.stdout.contains("against averaging"),
            "\(table)")
    }

    @Test func fingerprintNamesTheClosestMemberOfEachFamily() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path, recurrent: true)
        let out = try object(try CLI.analyze("fingerprint", m["gd"]!, "--max-steps", "2", "--tasks", "100", "--json"))
        let families = try #require(out["families"] as? [[String: Any]])
        #expect(
            families.map { $0["family"] as? String } == ["least squares", "ridge", "GD", "Newton", "k-NN", "averaging"])
        let averaging = try #require(families.last?["best"] as? [String: Any])
        #expect(((averaging["report"] as? [String: Any])?["prediction_diff"] as? Double ?? 1) < 1e-5, "\(averaging)")
        // A two-step model is read out after each layer.
        let table = try CLI.analyze(
            "fingerprint", m["gd-recurrent"]!, "--max-steps", "2", "--tasks", "100", "--png", folder.file("f.png"))
        #expect(table.status == 0, "\(table)")
        for fragment in [
            "closest member of each family", "averaging       averaging", "after each layer", "gd:", "newton:",
        ] {
            #expect(table.stdout.contains(fragment), "lacks '\(fragment)': \(table.stdout)")
        }
        #expect(FileManager.default.fileExists(atPath: folder.file("f.png")))
    }

    @Test func oodAndCurvesTakeBaselines() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let ood = try object(
            try CLI.analyze(
                "ood", m["gd"]!, "--against", "ols", "--against", "ridge:1", "--points", "3", "--tasks", "50", "--json")
        )
        let names = (ood["curves"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.count == 3 && names[1] == "ols: least squares" && names[2] == "ridge:1: ridge λ=1", "\(names)")
        let curves = try object(
            try CLI.analyze(
                "curves", m["lsa"]!, "--baseline", "averaging", "--baseline", m["gd"]!, "--tasks", "50", "--json"))
        let baselines = try #require(curves["baselines"] as? [[String: Any]])
        // In the order given, each on the run's validation set; GD with η = 1 and averaging have the same loss.
        #expect(baselines.count == 2 && baselines[0]["file"] as? String == "averaging", "\(baselines)")
        #expect((baselines[0]["per_set"] as? [Double])?.count == 1, "\(baselines)")
        #expect(
            abs((baselines[0]["loss"] as? Double ?? 0) - (baselines[1]["loss"] as? Double ?? 1)) < 1e-6, "\(baselines)")
    }

    @Test func badBaselinesAreUsageOrFileErrors() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        expectUsageError(
            try CLI.analyze("compare", m["gd"]!, "--against", "lsq"), mentioning: ["--against: unknown baseline 'lsq'"])
        expectUsageError(
            try CLI.analyze("ood", m["gd"]!, "--against", "ridge:-1"), mentioning: ["λ must be a positive number"])
        expectUsageError(
            try CLI.analyze("context-length", m["gd"]!, "--lengths", "0-3"), mentioning: ["--lengths: '0-3'"])
        expectUsageError(
            try CLI.analyze("fingerprint", m["gd"]!, "--max-steps", "0"), mentioning: ["--max-steps must be at least 1"]
        )
        expectUsageError(
            try CLI.analyze("context-length", m["gd"]!, "--y-min", "0"), mentioning: ["--y-min must be a positive loss"]
        )
        expectUsageError(
            try CLI.analyze("curves", m["lsa"]!, "--baseline", "nothing"),
            mentioning: ["--baseline: unknown baseline 'nothing'"])
        let missing = folder.file("missing.h5")
        expectUserError(
            try CLI.analyze("compare", m["gd"]!, "--against", "gdpp:" + missing, "--tasks", "10"),
            mentioning: ["\(missing): no such file"])
        expectUserError(
            try CLI.analyze("context-length", missing, "--tasks", "10"), mentioning: ["\(missing): no such file"])
    }
}
