import Foundation
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTestSupport
import ICLTraining
import Testing

/// A trained-looking checkpoint for a 2-layer, 2-head LSA with random weights and a short curve.
func sampleCheckpoint(recurrent: Bool = false, snapshots: Bool = false) -> Checkpoint {
    var recipe = Recipe()
    recipe.name = "test-model"
    recipe.model.layers = 2
    recipe.model.heads = 2
    recipe.model.recurrent = recurrent
    recipe.training.seed = 42
    recipe.training.steps = 3
    recipe = recipe.resolved()
    let config = recipe.modelConfig
    let parameters = AttentionStack(config).layout.initialValues(seed: 7, scale: 0.5)
    var history = TrainingHistory()
    history.step = [0, 2, 3]
    history.trainLoss = [0.5, 0.4, 0.3]
    history.validationLoss = [0.55, 0.45, 0.35]
    let shots = snapshots ? [Snapshot(step: 0, parameters: parameters.map { $0 * 0.5 }), Snapshot(step: 2, parameters: parameters)] : []
    return Checkpoint(config: config, parameters: parameters, recipe: recipe,
                      origin: .trained(.init(history: history, seconds: 1.25, snapshots: shots)))
}

/// Runs a Python script with h5py and fails the test with its stderr when it exits non-zero.
func python(_ script: String, _ arguments: [String]) throws -> String {
    let result = try Python.run(script, arguments: arguments)
    #expect(result.status == 0, "python failed: \(result.stderr)")
    return result.stdout
}

@Suite("Checkpoint format v1")
struct CheckpointTests {
    @Test func writesAndReadsBackBitForBit() throws {
        let dir = try TemporaryDirectory()
        let original = sampleCheckpoint(snapshots: true)
        try original.write(to: dir.file("m.h5"))
        let read = try Checkpoint.read(dir.file("m.h5"))
        #expect(read.config == original.config)
        #expect(read.parameters == original.parameters)
        #expect(read.recipe == original.recipe)
        #expect(read.origin == original.origin)
        #expect(read.softwareVersion == original.softwareVersion)
        // Only the checkpoint is left in the folder: no temporary file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.h5"])
    }

    @Test func h5pyReadsAttributesShapesAndValues() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = sampleCheckpoint()
        try checkpoint.write(to: dir.file("m.h5"))
        let W_Q = Array(checkpoint.parameters[checkpoint.layout.entry(named: "layer_1/attention/head_1/W_Q")!.range])
        let script = """
        import h5py, json, sys, numpy as np
        f = h5py.File(sys.argv[1], "r")
        assert isinstance(f.attrs["format"], str) and f.attrs["format"] == "icl-zoo/checkpoint", f.attrs["format"]
        assert f.attrs["format_version"] == 1
        assert isinstance(f.attrs["software_version"], str) and isinstance(f.attrs["created_utc"], str)
        recipe = json.loads(f.attrs["recipe"])
        assert recipe["name"] == "test-model" and recipe["model"]["layers"] == 2, recipe
        assert recipe["training"]["learning_rate"] == 0.001 and recipe["training"]["clip_norm"] == 0.001, recipe["training"]
        m = f["model"]
        assert m.attrs["architecture"] == "lsa"
        for name, value in [("layers", 2), ("heads", 2), ("recurrent", 0), ("token_dim", 11), ("input_dim", 10),
                            ("output_dim", 1), ("context_size", 10), ("key_dim", 11)]:
            assert m.attrs[name] == value, (name, m.attrs[name])
        names = []
        m.visit(lambda n: names.append(n) if isinstance(m[n], h5py.Dataset) else None)
        assert len(names) == 2 * 2 * 4, names
        for l in range(2):
            for h in range(2):
                for w, shape in [("W_Q", (11, 11)), ("W_K", (11, 11)), ("W_V", (11, 11)), ("P", (11, 11))]:
                    d = m[f"layer_{l}/attention/head_{h}/{w}"]
                    assert d.shape == shape and d.dtype == np.float32, (d.name, d.shape, d.dtype)
        expected = np.array(json.loads(sys.argv[2]), dtype=np.float32).reshape(11, 11)
        assert np.array_equal(m["layer_1/attention/head_1/W_Q"][()], expected)
        t = f["training"]
        assert t.attrs["seed"] == 42 and t.attrs["steps"] == 3 and t.attrs["batch_size"] == 2048
        assert t.attrs["optimizer"] == "adam"
        assert list(t["step"][()]) == [0, 2, 3]
        assert np.allclose(t["validation_loss"][()], [0.55, 0.45, 0.35])
        print("ok")
        """
        let json = "[" + W_Q.map { "\($0)" }.joined(separator: ",") + "]"
        #expect(try python(script, [dir.file("m.h5"), json]).contains("ok"))
    }

    @Test func h5dumpReadsACheckpoint() throws {
        let dir = try TemporaryDirectory()
        try sampleCheckpoint(recurrent: true).write(to: dir.file("m.h5"))
        let result = try Subprocess.run("h5dump", ["-H", dir.file("m.h5")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("layer_0") && !result.stdout.contains("layer_1"))
    }

    /// Writes a good checkpoint, lets h5py damage it with `edit`, and returns the load error's text.
    func loadError(after edit: String) throws -> String {
        let dir = try TemporaryDirectory()
        try sampleCheckpoint().write(to: dir.file("m.h5"))
        _ = try python("import h5py, sys, numpy as np\nf = h5py.File(sys.argv[1], 'r+')\n" + edit + "\nf.close()", [dir.file("m.h5")])
        do {
            _ = try Checkpoint.read(dir.file("m.h5"))
        } catch {
            let text = "\(error)"
            #expect(text.contains(dir.file("m.h5")), "the error names the file: \(text)")
            return text
        }
        Issue.record("loading the damaged file succeeded")
        return ""
    }

    @Test func rejectsAForeignFormat() throws {
        let text = try loadError(after: "f.attrs['format'] = 'something-else'")
        #expect(text.contains("format is 'something-else'"))
    }

    @Test func rejectsANewerFormatVersion() throws {
        #expect(try loadError(after: "f.attrs['format_version'] = 2").contains("format_version 2"))
    }

    @Test func rejectsAMissingDataset() throws {
        #expect(try loadError(after: "del f['model/layer_1/attention/head_0/W_V']")
            .contains("/model/layer_1/attention/head_0/W_V: missing dataset"))
    }

    @Test func rejectsAMisShapedDataset() throws {
        let text = try loadError(after: "del f['model/layer_0/attention/head_1/P']\nf['model/layer_0/attention/head_1/P'] = np.zeros((11, 10), np.float32)")
        #expect(text.contains("/model/layer_0/attention/head_1/P: has shape [11, 10], expected [11, 11]"))
    }

    @Test func rejectsANaNWeight() throws {
        #expect(try loadError(after: "f['model/layer_0/attention/head_0/W_Q'][3, 4] = np.nan").contains("not a finite number"))
    }

    @Test func rejectsAnExtraDataset() throws {
        #expect(try loadError(after: "f['model/layer_0/attention/head_0/bias'] = np.zeros(11, np.float32)").contains("unexpected dataset"))
    }

    @Test func rejectsAFileH5pyWroteWithoutTheFormat() throws {
        let dir = try TemporaryDirectory()
        _ = try python("import h5py, sys\nf = h5py.File(sys.argv[1], 'w')\nf['x'] = [1.0, 2.0]\nf.close()", [dir.file("other.h5")])
        #expect(throws: (any Error).self) { try Checkpoint.read(dir.file("other.h5")) }
        do { _ = try Checkpoint.read(dir.file("other.h5")) } catch {
            #expect("\(error)".contains("not an icl-zoo checkpoint"))
        }
    }

    @Test func rejectsTextAndTruncatedFilesNamingThem() throws {
        let dir = try TemporaryDirectory()
        try "not hdf5".write(toFile: dir.file("text.h5"), atomically: true, encoding: .utf8)
        try sampleCheckpoint().write(to: dir.file("good.h5"))
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("good.h5")))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir.file("cut.h5")))
        for name in ["text.h5", "cut.h5", "missing.h5"] {
            do {
                _ = try Checkpoint.read(dir.file(name))
                Issue.record("\(name) loaded")
            } catch {
                #expect("\(error)".contains(dir.file(name)), "\(error)")
            }
        }
    }

    @Test func overwritingKeepsOneCompleteFile() throws {
        let dir = try TemporaryDirectory()
        let first = sampleCheckpoint()
        try first.write(to: dir.file("m.h5"))
        var second = sampleCheckpoint(recurrent: true)
        second.recipe.name = "second"
        try second.write(to: dir.file("m.h5"))
        #expect(try Checkpoint.read(dir.file("m.h5")).recipe.name == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.h5"])
    }
}
