import Foundation
import ICLTestSupport
import Testing

/// Runs `icl-analyze` and returns its result.
private func analyze(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try BuiltTools.run("icl-analyze", arguments)
}

/// Runs `icl-analyze` expecting success; returns stdout.
private func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let result = try analyze(arguments)
    #expect(
        result.status == 0, "icl-analyze \(arguments.joined(separator: " ")): \(result.stderr)",
        sourceLocation: sourceLocation)
    return result.stdout
}

/// Parses stdout as one JSON object.
private func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let lines = text.split(separator: "\n")
    #expect(lines.count == 1, "--json prints one line, got \(lines.count)", sourceLocation: sourceLocation)
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any], sourceLocation: sourceLocation)
}

/// The PNG header of `path`: signature, then IHDR's width, height, bit depth and colour type. (The
/// pixels are decoded with ICLRender's reader in ICLRenderTests/AnalyzeFiguresTests, which can
/// import it; this target cannot.)
private func pngHeader(_ path: String) throws -> (width: Int, height: Int, bitDepth: Int, colorType: Int) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(bytes.count > 1_000, "\(path): \(bytes.count) bytes")
    #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(path): not a PNG signature")
    #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
    func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20), Int(bytes[24]), Int(bytes[25]))
}

private func expectFigure(_ path: String, minWidth: Int = 600, sourceLocation: SourceLocation = #_sourceLocation) throws
{
    let header = try pngHeader(path)
    #expect(
        header.width >= minWidth && header.height >= 300, "\(path): \(header.width)×\(header.height)",
        sourceLocation: sourceLocation)
    #expect(header.bitDepth == 8 && header.colorType == 6, "\(path): RGBA8 expected", sourceLocation: sourceLocation)
}

private func csvLines(_ path: String) throws -> [Substring] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
}

@Suite("icl-analyze subcommands, run as built binaries")
struct AnalyzeCommandsTests {
    @Test func interpolateTheConstructionWithItselfIsFlatAndATrainedModelRuns() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let out = try json(
            try succeed([
                "interpolate", m["gd"]!, m["gd"]!, "--tasks", "200", "--steps", "5", "--json",
                "--csv", folder.file("i.csv"),
            ]))
        let losses = try #require(out["losses"] as? [Double])
        let lossA = try #require(out["loss_a"] as? Double)
        #expect(losses.count == 5 && losses.allSatisfy { abs($0 - lossA) <= 1e-6 * lossA })
        #expect(try csvLines(folder.file("i.csv")).count == 6)

        let table = try succeed(["interpolate", m["lsa"]!, m["gd"]!, "--tasks", "200", "--png", folder.file("i.png")])
        #expect(table.contains("loss at the midpoint"))
        try expectFigure(folder.file("i.png"))
    }

    @Test func oodSweepsEveryShiftOnTheSameTasks() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        for shift in ["input-range", "teacher", "laws", "laws-teacher"] {
            let out = try json(
                try succeed(["ood", m["lsa"]!, m["gd"]!, "--shift", shift, "--tasks", "100", "--points", "4", "--json"])
            )
            #expect(out["shift"] as? String == shift)
            let scales = try #require(out["scales"] as? [Double])
            let curves = try #require(out["curves"] as? [[String: Any]])
            #expect(curves.count == 2 && curves.allSatisfy { ($0["losses"] as? [Double])?.count == scales.count })
        }
        // α = 1 of the input-range sweep is the in-distribution loss that `compare` reports.
        let sweep = try json(try succeed(["ood", m["gd"]!, "--tasks", "150", "--points", "3", "--json"]))
        let scales = try #require(sweep["scales"] as? [Double])
        let losses = try #require((sweep["curves"] as? [[String: Any]])?.first?["losses"] as? [Double])
        let compare = try json(try succeed(["compare", m["gd"]!, m["gd"]!, "--tasks", "150", "--json"]))
        #expect(losses[try #require(scales.firstIndex(of: 1))] == compare["loss_a"] as? Double)

        let table = try succeed([
            "ood", m["lsa"]!, m["gd"]!, "--interpolated", "--tasks", "100",
            "--png", folder.file("o.png"), "--csv", folder.file("o.csv"),
        ])
        #expect(table.contains("interpolated") && table.contains("← training"))
        try expectFigure(folder.file("o.png"))
        #expect(try csvLines(folder.file("o.csv")).first == "alpha,lsa-1 seed 0,GD (η = 1),interpolated")
    }

    @Test func rolloutOfTheConstructionDecreasesTheLoss() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let out = try json(
            try succeed([
                "rollout", m["gd"]!, m["lsa"]!, "--steps", "6", "--lambda", "0.5", "--tasks", "100",
                "--json", "--png", folder.file("r.png"), "--csv", folder.file("r.csv"),
            ]))
        let curves = try #require(out["curves"] as? [[String: Any]])
        let gd = try #require(curves[0]["losses"] as? [Double])
        #expect(gd.count == 7 && gd[6] < gd[1] && gd[1] < gd[0])
        #expect(out["lambda"] as? Double == 0.5)
        try expectFigure(folder.file("r.png"))
        #expect(try csvLines(folder.file("r.csv")).count == 8)
    }

    /// Every λ on one figure (Figure 10), as PNG and SVG; the JSON keeps `lambda` (the first) and adds `lambdas`.
    @Test func rolloutDrawsEveryLambdaOnOneFigure() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let out = try json(
            try succeed([
                "rollout", m["gd"]!, "--lambda", "1,0.5", "--lambda", "0.75", "--steps", "5", "--tasks", "50", "--json",
                "--png", folder.file("r.png"), "--svg", folder.file("r.svg"),
            ]))
        #expect(out["lambda"] as? Double == 1 && (out["lambdas"] as? [Double]) == [1, 0.5, 0.75])
        #expect((out["curves"] as? [[String: Any]])?.compactMap { $0["lambda"] as? Double } == [1, 0.5, 0.75])
        try expectFigure(folder.file("r.png"))
        #expect(try String(contentsOfFile: folder.file("r.svg"), encoding: .utf8).contains("<svg"))
        expectUsageError(try CLI.analyze("rollout", m["gd"]!, "--lambda", "1,x"), mentioning: ["--lambda"])
        expectUsageError(try CLI.analyze("rollout", m["gd"]!, "--svg", folder.file("r.png")), mentioning: ["--svg"])
    }

    @Test func heatmapPrintsAndDrawsTheProducts() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let out = try json(
            try succeed(["heatmap", m["gd"]!, "--json", "--png", folder.file("h.png"), "--csv", folder.file("h.csv")]))
        let heads = try #require(out["heads"] as? [[String: Any]])
        let kq = try #require(heads.first?["W_KQ"] as? [Double])
        #expect(kq.count == 121 && kq[0] == 1 && kq[120] == 0)
        try expectFigure(folder.file("h.png"))
        #expect(try csvLines(folder.file("h.csv")).count == 1 + 2 * 121)
        let table = try succeed(["heatmap", m["lsa"]!, "--scale-correct"])
        #expect(table.contains("β = ") && table.contains("W_PV = P W_V"))
    }

    @Test func spectrumReadsGammaFromARecurrentStack() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path, recurrent: true)
        let out = try json(
            try succeed([
                "spectrum", m["gd-recurrent"]!, "--tasks", "100", "--context-sizes", "10,25",
                "--gamma-points", "6", "--json", "--png", folder.file("s.png"), "--csv", folder.file("s.csv"),
            ]))
        let summaries = try #require(out["summaries"] as? [[String: Any]])
        #expect(summaries.map { $0["context_size"] as? Int } == [10, 25])
        let gammas = try #require(out["gammas"] as? [[String: Any]])
        #expect((gammas.first?["reading"] as? [String: Any])?["gamma"] as? Double == 0)  // plain GD: no x transformation
        try expectFigure(folder.file("s.png"), minWidth: 1_200)
        #expect(try csvLines(folder.file("s.csv")).count == 1 + 2 * 6)
    }

    @Test func curvesAverageSeedsAndDrawBaselines() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let second = folder.file("lsa-seed-1.h5")
        let trained = try BuiltTools.run(
            "icl-zoo",
            [
                "train", BuiltTools.packageFile("zoo/lsa-1.json"), "--seed", "1", "--steps", "10",
                "--batch-size", "64", "--quiet", "--out", second,
            ])
        #expect(trained.status == 0, "\(trained.stderr)")
        let out = try json(
            try succeed([
                "curves", m["lsa"]!, second, "--baseline", m["gd"]!, "--tasks", "100", "--json",
                "--png", folder.file("c.png"), "--csv", folder.file("c.csv"),
            ]))
        let groups = try #require(out["groups"] as? [[String: Any]])
        #expect(groups.count == 1 && (groups[0]["members"] as? [String])?.count == 2)
        #expect((out["baselines"] as? [[String: Any]])?.count == 1)
        try expectFigure(folder.file("c.png"), minWidth: 1_000)
        #expect(
            try csvLines(folder.file("c.csv")).first
                == "recipe,step,train_mean,train_std,validation_mean,validation_std,train_min,train_max,validation_min,validation_max"
        )
    }

    @Test func failuresNameTheFileAndExitNonZero() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        // A two-head model, trained for one step.
        let recipe = folder.file("two-heads.json")
        try
            #"{"name": "two-heads", "model": {"heads": 2}, "training": {"steps": 1, "batch_size": 8, "validation_tasks": 10}}"#
            .write(toFile: recipe, atomically: true, encoding: .utf8)
        let twoHeads = folder.file("two-heads.h5")
        #expect(try BuiltTools.run("icl-zoo", ["train", recipe, "--quiet", "--out", twoHeads]).status == 0)
        let deep = folder.file("gd-3.h5")
        #expect(
            try BuiltTools.run(
                "icl-zoo",
                [
                    "construct", "gd", "--layers", "3", "--eta", "1", "--recipe",
                    BuiltTools.packageFile("zoo/lsa-1.json"), "--out", deep,
                ]
            ).status == 0)
        let missing = folder.file("missing.h5")
        let cases: [([String], String, [String])] = [
            (["interpolate", missing, m["gd"]!], missing, ["no such file"]),
            (["interpolate", twoHeads, m["gd"]!], twoHeads, ["single-head", "2 heads"]),
            (["interpolate", m["gd"]!, deep], deep, ["different stacks"]),
            (["ood", m["gd"]!, twoHeads, "--interpolated"], twoHeads, ["single-head"]),
            (["rollout", deep], deep, ["--layer"]),
            (["heatmap", m["gd"]!, "--sum-heads"], m["gd"]!, ["two heads"]),
            (["spectrum", m["gd"]!], m["gd"]!, ["recurrent"]),
            (["curves", m["gd"]!], m["gd"]!, ["construction", "--baseline"]),
        ]
        for (arguments, file, words) in cases {
            let result = try analyze(arguments + ["--tasks", "20"])
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(result.status == 1, "\(arguments): exit \(result.status)")
            #expect(!message.contains("\n") && message.contains(file), "\(arguments): \(message)")
            for word in words { #expect(message.contains(word), "\(arguments): \(message)") }
        }
        // Usage errors exit with the usage status and say which option.
        let usage = try analyze(["ood", m["gd"]!, "--tasks", "0"])
        #expect(usage.status == 64 && usage.stderr.contains("--tasks"))
        let png = try analyze(["rollout", m["gd"]!, "--png", folder.file("r.jpg")])
        #expect(png.status == 64 && png.stderr.contains("--png"))
    }
}
