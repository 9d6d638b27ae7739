import Foundation
import ICLCheckpoint
import ICLModels
import ICLTestSupport
import ICLTraining
import Testing

@Suite("Checkpoints of the whole model family, with snapshots")
struct SnapshotTests {
    /// Every recipe in zoo/, with random weights and two snapshots, written and read back bit for bit.
    @Test func everyZooModelRoundTripsWithSnapshots() throws {
        let dir = try TemporaryDirectory()
        let zoo = Python.packageRoot.appendingPathComponent("zoo").path
        let names = try FileManager.default.contentsOfDirectory(atPath: zoo).filter { $0.hasSuffix(".json") }.sorted()
        try #require(names.count >= 10)
        for name in names {
            let recipe = try Recipe.load(zoo + "/" + name).resolved()
            let config = recipe.modelConfig
            let parameters = AttentionStack(config).layout.initialValues(seed: 3, scale: 0.5)
            var history = TrainingHistory()
            history.step = [0, 1]
            history.trainLoss = [0.5, 0.25]
            history.validationLoss = [0.5, 0.3]
            let snapshots = [
                Snapshot(step: 0, parameters: parameters.map { -$0 }), Snapshot(step: 1, parameters: parameters),
            ]
            let checkpoint = Checkpoint(
                config: config, parameters: parameters, recipe: recipe,
                origin: .trained(.init(history: history, seconds: 2, snapshots: snapshots)))
            let path = dir.file(name + ".h5")
            try checkpoint.write(to: path)
            let read = try Checkpoint.read(path)
            #expect(read.config == config, "\(name)")
            #expect(read.parameters == parameters, "\(name)")
            #expect(read.recipe == recipe, "\(name)")
            #expect(read.origin == checkpoint.origin, "\(name)")
        }
    }

    @Test func h5pyFindsSnapshotsInTheModelLayout() throws {
        let dir = try TemporaryDirectory()
        var recipe = Recipe()
        recipe.model.layers = 2
        recipe = recipe.resolved()
        let parameters = AttentionStack(recipe.modelConfig).layout.initialValues(seed: 1, scale: 0.5)
        let checkpoint = Checkpoint(
            config: recipe.modelConfig, parameters: parameters, recipe: recipe,
            origin: .trained(
                .init(
                    history: TrainingHistory(), seconds: 0,
                    snapshots: [Snapshot(step: 500, parameters: parameters)])))
        try checkpoint.write(to: dir.file("m.h5"))
        let result = try Python.run(
            """
            import h5py, sys, numpy as np
            f = h5py.File(sys.argv[1], "r")
            s = f["snapshots/step_500"]
            assert s.attrs["step"] == 500
            for l in range(2):
                for w in ["W_Q", "W_K", "W_V", "P"]:
                    a, b = s[f"layer_{l}/attention/head_0/{w}"][()], f[f"model/layer_{l}/attention/head_0/{w}"][()]
                    assert a.shape == (11, 11) and np.array_equal(a, b)
            print("ok")
            """, arguments: [dir.file("m.h5")])
        #expect(result.stdout.contains("ok"), "\(result.stderr)")
        let dump = try Subprocess.run("h5dump", ["-H", dir.file("m.h5")])
        #expect(dump.status == 0 && dump.stdout.contains("step_500"))
    }
}
