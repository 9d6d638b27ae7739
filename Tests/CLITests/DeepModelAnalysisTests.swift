import Foundation
import ICLTestSupport
import Testing

/// GD and GD++ checkpoints fitted by continuation, analysed directly (Figures 3, 7, 8).
@Suite struct DeepModelAnalysisTests {
    /// A 2-step GD++ model fitted by continuation on a small fixed set, as `seed-0.h5` of its recipe folder.
    func fitGDPlusPlus(_ directory: TemporaryDirectory) throws -> String {
        let recipe = directory.file("gdpp-2.json")
        try
            #"{"name": "gdpp-2", "model": {"architecture": "gdpp", "layers": 2}, "training": {"optimizer": "continuation", "steps": 20, "batch_size": 400, "validation_tasks": 100}}"#
            .write(toFile: recipe, atomically: false, encoding: .utf8)
        let r = try CLI.zoo("train", recipe, "--models", directory.file("models"), "--quiet")
        try #require(r.status == 0, "\(r)")
        return directory.file("models/gdpp-2/seed-0.h5")
    }

    @Test func analysesTakeAFittedGDPlusPlusCheckpointDirectly() throws {
        let directory = try TemporaryDirectory()
        let model = try fitGDPlusPlus(directory)
        let show = try CLI.zoo("show", model)
        #expect(
            show.status == 0 && show.stdout.contains("continuation fit on 400 fixed tasks")
                && show.stdout.contains("trained η    "),
            "\(show)")
        let heatmap = try CLI.analyze("heatmap", model, "--json")
        #expect(heatmap.status == 0, "\(heatmap)")
        // Interpolating a model with itself: every point of the line is the model.
        let line = try CLI.analyze("interpolate", model, model, "--steps", "3", "--tasks", "50", "--json")
        #expect(line.status == 0, "\(line)")
        let curve = try JSONSerialization.jsonObject(with: Data(line.stdout.utf8)) as? [String: Any]
        let losses = curve?["losses"] as? [Double] ?? []
        let own = curve?["loss_a"] as? Double ?? -1
        #expect(losses.count == 3 && losses.allSatisfy { abs($0 - own) <= 1e-5 * own }, "\(line.stdout)")
    }

    /// `construct gdpp` without --out writes beside the seeds' folder, with a name that is no seed's,
    /// so `curves FOLDER/*.h5` still finds only the seeds.
    @Test func constructGDPlusPlusKeepsOutOfTheSeedsFolder() throws {
        let directory = try TemporaryDirectory()
        let model = try fitGDPlusPlus(directory)
        let r = try CLI.zoo("construct", "gdpp", model)
        #expect(r.status == 0, "\(r)")
        let written = directory.file("models/gdpp-2-lsa/construction-seed-0.h5")
        #expect(FileManager.default.fileExists(atPath: written), "\(r)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("models/gdpp-2")) == ["seed-0.h5"])
        let check = try Python.run(
            """
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                assert f["construction"].attrs["method"] == "gdpp", dict(f["construction"].attrs)
                assert f["model"].attrs["architecture"] == "lsa", dict(f["model"].attrs)
            print("ok")
            """, arguments: [written])
        #expect(check.stdout == "ok\n", "\(check.stderr)")
    }

    /// Figure 3's centre columns: every snapshot against GD and against GD++ in one call.
    @Test func alignmentWithGDAndGDPlusPlusOverTraining() throws {
        let directory = try TemporaryDirectory()
        let gdpp = try fitGDPlusPlus(directory)
        let recipe = directory.file("snap.json"), out = directory.file("snap.h5")
        try
            #"{"name": "snap", "model": {"layers": 2, "recurrent": true}, "training": {"steps": 4, "batch_size": 32, "eval_every": 2, "validation_tasks": 50, "snapshot_every": 2}}"#
            .write(toFile: recipe, atomically: false, encoding: .utf8)
        try #require(try CLI.zoo("train", recipe, "--out", out).status == 0)
        let r = try CLI.analyze("curves", out, "--align-with", "gd", "--align-with", gdpp, "--tasks", "50", "--json")
        #expect(r.status == 0, "\(r)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let runs = (object?["alignment"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(runs == ["snap seed 0 vs gd", "snap seed 0 vs \(gdpp)"], "\(r.stdout)")
    }
}
