import Foundation
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTestSupport
import ICLTraining
import Testing

/// Models used by every test below: 2 layers × 2 heads, with key_dim 3 ≠ token_dim 4, so a transposed
/// dataset ([4, 3] for W_Q) can never pass for the right one.
enum Fixture {
    static let config = ModelConfig {
        $0.layers = 2; $0.heads = 2; $0.inputDim = 3; $0.outputDim = 1; $0.contextSize = 5; $0.keyDim = 3
        $0.clipTokens = 2.5
    }

    static func recipe() -> Recipe {
        var r = Recipe(name: "fixture", description: "2 layers, 2 heads, key_dim 3")
        r.model.layers = 2
        r.model.heads = 2
        r.model.keyDim = 3
        r.model.clipTokens = 2.5
        r.task.inputDim = 3
        r.task.contextSize = 5
        r.training.seed = 7
        r.training.steps = 30
        r.training.batchSize = 16
        return r.resolved()
    }

    /// Seeded normal values, with a few that a lossy path would change: −0, the smallest subnormal,
    /// the largest finite float, and 1/3 (not exact in decimal).
    static func parameters(count: Int) -> [Float] {
        var random = SplitMix64(seed: 11)
        var values = (0..<count).map { _ in Float(random.normal()) }
        values[0] = -0.0
        values[1] = .leastNonzeroMagnitude
        values[2] = .greatestFiniteMagnitude
        values[3] = 1 / 3
        return values
    }

    static func history() -> TrainingHistory {
        var h = TrainingHistory()
        h.step = [0, 10, 20, 30]
        h.trainLoss = [0.5, 0.25, 0.1 + 0.2, 1 / 3]
        h.validationLoss = [0.49, 0.26, 0.2, .ulpOfOne]
        return h
    }

    static func trained() -> Checkpoint {
        Checkpoint(
            config: config, parameters: parameters(count: AttentionStack(config).layout.count),
            recipe: recipe(), origin: .trained(.init(history: history(), seconds: 12.5)))
    }

    /// Proposition 1 weights for 2 layers, 2 heads (the second head zero), d = 3, N = 5, η = 0.5 and 1.25,
    /// with a short line-search record.
    static func constructed(recurrent: Bool = false) -> Checkpoint {
        var r = Recipe(name: "gd-2", description: "construction")
        r.model.layers = 2
        r.model.heads = 2
        r.model.recurrent = recurrent
        r.task.inputDim = 3
        r.task.contextSize = 5
        r.training.steps = 0
        r = r.resolved()
        let etas = recurrent ? [0.75] : [0.5, 1.25]
        let parameters = Construction.gradientDescent(r.modelConfig, etas: etas).map { Float($0) }
        let record = Checkpoint.ConstructionRecord(
            method: "gd", etas: etas, lineSearchEtas: [0.1, 0.2, 0.3],
            lineSearchLosses: [0.9, 0.4, 0.6], lineSearchTasks: 200,
            lineSearchSeed: 3)
        return Checkpoint(config: r.modelConfig, parameters: parameters, recipe: r, origin: .constructed(record))
    }
}

/// Everything a checkpoint holds, compared exactly (parameters bit for bit, so −0 and NaN payloads count).
func expectIdentical(_ read: Checkpoint, _ written: Checkpoint, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(read.config == written.config, sourceLocation: sourceLocation)
    #expect(read.parameters.map(\.bitPattern) == written.parameters.map(\.bitPattern), sourceLocation: sourceLocation)
    #expect(read.recipe == written.recipe, sourceLocation: sourceLocation)
    #expect(read.origin == written.origin, sourceLocation: sourceLocation)
    #expect(read.softwareVersion == written.softwareVersion, sourceLocation: sourceLocation)
    #expect(read.createdUTC == written.createdUTC, sourceLocation: sourceLocation)
}

/// Bit patterns as hex strings: JSON numbers would go through decimal, this cannot lose a bit.
func hexBits(_ values: [Float]) -> [String] { values.map { String($0.bitPattern, radix: 16) } }
func hexBits(_ values: [Double]) -> [String] { values.map { String($0.bitPattern, radix: 16) } }

func json(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

@Suite struct CheckpointRoundTripTests {
    @Test func trainedCheckpointReadsBackIdentical() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("trained.h5")
        let written = Fixture.trained()
        #expect(written.recipe.modelConfig == written.config, "fixture recipe and config disagree")
        try written.write(to: path)
        let read = try Checkpoint.read(path)
        expectIdentical(read, written)
        #expect(read.history == Fixture.history())
        #expect(read.recipe.training.seed == 7)
        #expect(read.layout.count == 2 * 2 * 4 * 12)  // L·H·(3 matrices [3, 4] + P [4, 3])
    }

    @Test(arguments: [false, true])
    func constructionReadsBackIdentical(recurrent: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("gd.h5")
        let written = Fixture.constructed(recurrent: recurrent)
        try written.write(to: path)
        let read = try Checkpoint.read(path)
        expectIdentical(read, written)
        #expect(read.history == nil)
        #expect(read.config.parameterLayers == (recurrent ? 1 : 2))
    }

    /// `activation`, added after format version 2, is written (recipe and `/model`) only when not
    /// GELU, so earlier files are unchanged and still read as GELU.
    @Test(arguments: MultiLayerPerceptron.Activation.allCases)
    func theActivationIsStoredOnlyWhenNotTheDefault(activation: MultiLayerPerceptron.Activation) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        var written = Fixture.trained()
        written.config.activation = activation
        written.recipe.model.activation = activation
        try written.write(to: path)
        let read = try Checkpoint.read(path)
        expectIdentical(read, written)
        #expect(read.config.activation == activation)
        let stored = try Checkpoint.storedAttributes(of: "/model", in: path)
        #expect(stored.contains { $0.name == "activation" } == (activation != .gelu))
        #expect(written.recipe.json().contains("activation") == (activation != .gelu))
    }

    @Test func constructionWithoutLineSearchReadsBackIdentical() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("gd.h5")
        var written = Fixture.constructed()
        written.origin = .constructed(.init(method: "gd", etas: [0.5, 1.25]))
        try written.write(to: path)
        expectIdentical(try Checkpoint.read(path), written)
    }

    @Test func writingCreatesMissingFolders() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("zoo/models/fixture/seed-7.h5")
        let written = Fixture.trained()  // one fixture: its created_utc is the second it was made
        try written.write(to: path)
        expectIdentical(try Checkpoint.read(path), written)
    }

    /// The atomic write goes through `.<name>.tmp-…`: after a write, and after overwriting, only the
    /// checkpoint itself is in the folder, and it holds the newer model.
    @Test func writeLeavesNoTemporaryFilesAndOverwritingReplaces() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.h5")
        try Fixture.trained().write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.h5"])
        let newer = Fixture.constructed()
        try newer.write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.h5"])
        expectIdentical(try Checkpoint.read(path), newer)
    }

    /// A write that fails at the last step (the rename, here onto a folder: root ignores permissions, so
    /// a read-only folder cannot make it fail) throws, names the file, and leaves no temporary file.
    @Test func failedWriteThrowsAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.h5")
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        let error = #expect(throws: (any Error).self) { try Fixture.trained().write(to: path) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.hasPrefix(path + ": "), "\(message)")
        #expect(message.contains("cannot rename"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.h5"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["inside"])
    }
}

/// h5py is what researchers will open our checkpoints with: it must see the documented format v1.
@Suite struct CheckpointH5pyTests {
    @Test func h5pyReadsATrainedCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("trained.h5")
        let checkpoint = Fixture.trained()
        try checkpoint.write(to: path)
        var datasets: [String: Any] = [:]
        for entry in checkpoint.layout.entries {
            datasets[entry.name] = ["shape": entry.shape, "bits": hexBits(Array(checkpoint.parameters[entry.range]))]
        }
        let h = Fixture.history()
        let expected = try json([
            "datasets": datasets,
            "step": h.step.map { Int($0) },
            "train_loss": hexBits(h.trainLoss),
            "validation_loss": hexBits(h.validationLoss),
        ])
        let result = try Python.run(
            """
            import sys, json, re, h5py, numpy as np
            path, expected = sys.argv[1], json.loads(sys.argv[2])
            problems = []
            def check(ok, what):
                if not ok: problems.append(str(what))
            def bits(hexes, dtype):
                return np.array([int(h, 16) for h in hexes], dtype=dtype)
            def int64(value, want, what):
                check(isinstance(value, np.int64) and value == want, f"{what} = {value!r}, expected int64 {want}")
            def float64(value, want, what):
                check(isinstance(value, np.float64) and value == want, f"{what} = {value!r}, expected float64 {want}")
            def string(value, want, what):
                check(type(value) is str and value == want, f"{what} = {value!r}, expected str {want!r}")
            with h5py.File(path, "r") as f:
                a = f.attrs
                check(sorted(a) == ["created_utc", "format", "format_version", "recipe", "software_version"], sorted(a))
                string(a["format"], "icl-zoo/checkpoint", "format")
                int64(a["format_version"], 2, "format_version")
                check(type(a["software_version"]) is str and a["software_version"].startswith("0."), repr(a["software_version"]))
                check(type(a["created_utc"]) is str and re.fullmatch(r"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", a["created_utc"]), repr(a["created_utc"]))
                check(type(a["recipe"]) is str, repr(a["recipe"]))
                r = json.loads(a["recipe"])
                check(sorted(r) == ["description", "model", "name", "task", "training"], sorted(r))
                check(r["name"] == "fixture", r["name"])
                check(r["model"] == {"architecture": "lsa", "layers": 2, "heads": 2, "recurrent": False,
                                     "key_dim": 3, "clip_tokens": 2.5, "attention": ["linear", "linear"],
                                     "layer_norm": False, "mlp_hidden": 0, "mlp_first": False, "embedding_dim": 0,
                                     "token_layout": "paired", "positional_dim": 0, "eta_init": 1.0, "fixed_eta": 0.1}, r["model"])
                check(r["task"]["input_dim"] == 3 and r["task"]["output_dim"] == 1 and r["task"]["context_size"] == 5, r["task"])
                t = r["training"]
                check((t["seed"], t["steps"], t["batch_size"]) == (7, 30, 16), t)
                check((t["learning_rate"], t["clip_norm"], t["init_scale"]) == (0.001, 0.001, 0.001), t)

                m = f["model"].attrs
                string(m["architecture"], "lsa", "/model architecture")
                for name, want in [("layers", 2), ("heads", 2), ("recurrent", 0), ("token_dim", 4), ("input_dim", 3),
                                   ("output_dim", 1), ("context_size", 5), ("key_dim", 3)]:
                    int64(m[name], want, f"/model {name}")
                float64(m["clip_tokens"], 2.5, "/model clip_tokens")

                found = []
                f["model"].visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
                check(sorted(found) == sorted(expected["datasets"]), f"datasets {sorted(found)}")
                check(len(found) == 16, f"{len(found)} datasets, expected 2 layers x 2 heads x 4")
                for name, e in expected["datasets"].items():
                    d = f["model"][name]
                    # The paper's orientation, stated here independently of the Swift layout.
                    paper = (4, 3) if name.endswith("/P") else (3, 4)
                    check(d.dtype == np.float32, f"{name} dtype {d.dtype}")
                    check(d.shape == paper and d.shape == tuple(e["shape"]), f"{name} shape {d.shape}, expected {paper}")
                    check(np.array_equal(d[()].view(np.uint32).ravel(), bits(e["bits"], np.uint32)), f"{name} values differ")
                w = f["model/layer_0/attention/head_0/W_Q"][()]
                check(np.signbit(w[0, 0]) and w[0, 0] == 0 and w[0, 1] == np.float32(1e-45) and w[0, 2] == np.finfo(np.float32).max,
                      f"special values {w[0, :4]}")

                check("construction" not in f, "unexpected /construction")
                g = f["training"]
                check(sorted(g) == ["step", "train_loss", "validation_loss"], sorted(g))
                check(g["step"].dtype == np.int64 and g["step"][()].tolist() == expected["step"], g["step"][()])
                for name in ["train_loss", "validation_loss"]:
                    d = g[name]
                    check(d.dtype == np.float64 and d.shape == (4,), f"{name} {d.dtype} {d.shape}")
                    check(np.array_equal(d[()].view(np.uint64), bits(expected[name], np.uint64)), f"{name} values differ")
                int64(g.attrs["seed"], 7, "/training seed")
                int64(g.attrs["steps"], 30, "/training steps")
                int64(g.attrs["batch_size"], 16, "/training batch_size")
                string(g.attrs["optimizer"], "adam", "/training optimizer")
                for name, want in [("learning_rate", 1e-3), ("adam_beta1", 0.9), ("adam_beta2", 0.98), ("adam_epsilon", 1e-8),
                                   ("clip_norm", 1e-3), ("init_scale", 1e-3), ("seconds", 12.5)]:
                    float64(g.attrs[name], want, f"/training {name}")
            print("\\n".join(problems) or "ok")
            """, arguments: [path, expected])
        #expect(result.status == 0, "h5py failed:\n\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }

    /// Checks the construction in numpy against Proposition 1 written out, not against our layout:
    /// W_Q = W_K = [[I_d, 0], [0, 0]], W_V = [[0, 0], [0, −1]], P = (η/N) I, the second head zero.
    @Test func h5pyReadsAConstructionInThePapersOrientation() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("gd.h5")
        try Fixture.constructed().write(to: path)
        let result = try Python.run(
            """
            import sys, h5py, numpy as np
            problems = []
            def check(ok, what):
                if not ok: problems.append(str(what))
            with h5py.File(sys.argv[1], "r") as f:
                check(sorted(f) == ["construction", "model"], sorted(f))
                I = np.eye(4, dtype=np.float32)
                qk = np.diag([1, 1, 1, 0]).astype(np.float32)
                v = np.diag([0, 0, 0, -1]).astype(np.float32)
                for l, eta in [(0, 0.5), (1, 1.25)]:
                    h = f[f"model/layer_{l}/attention/head_0"]
                    check(sorted(h) == ["P", "W_K", "W_Q", "W_V"], sorted(h))
                    check(np.array_equal(h["W_Q"][()], qk) and np.array_equal(h["W_K"][()], qk), f"layer {l} W_Q/W_K")
                    check(np.array_equal(h["W_V"][()], v), f"layer {l} W_V {h['W_V'][()]}")
                    check(np.array_equal(h["P"][()], np.float32(eta / 5) * I), f"layer {l} P {h['P'][()]}")
                    for name, d in f[f"model/layer_{l}/attention/head_1"].items():
                        check(d.dtype == np.float32 and d.shape == (4, 4) and not d[()].any(), f"layer {l} head 1 {name}")
                c = f["construction"]
                check(type(c.attrs["method"]) is str and c.attrs["method"] == "gd", repr(c.attrs["method"]))
                check(c["eta"].dtype == np.float64 and c["eta"][()].tolist() == [0.5, 1.25], c["eta"][()])
                s = c["line_search"]
                check(s.attrs["tasks"] == 200 and s.attrs["seed"] == 3, dict(s.attrs))
                check(s["eta"][()].tolist() == [0.1, 0.2, 0.3] and s["loss"][()].tolist() == [0.9, 0.4, 0.6], "line search")
            print("\\n".join(problems) or "ok")
            """, arguments: [path])
        #expect(result.status == 0, "h5py failed:\n\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }

    /// h5py rebuilds the checkpoint from plain Python values (its own attribute types, chunked and
    /// gzip-compressed datasets with h5py's own chunk shapes, Fletcher32 as version 2 requires); we
    /// must read the same model.
    @Test func checkpointRebuiltByH5pyReadsBackIdentical() throws {
        let directory = try TemporaryDirectory()
        let ours = directory.file("ours.h5"), theirs = directory.file("theirs.h5")
        let written = Fixture.trained()
        try written.write(to: ours)
        let result = try Python.run(
            """
            import sys, h5py
            def attributes(source, target):
                for key, value in source.attrs.items():
                    target.attrs[key] = value.item() if hasattr(value, "item") else value
            with h5py.File(sys.argv[1], "r") as s, h5py.File(sys.argv[2], "w") as d:
                attributes(s, d)
                def copy(name, obj):
                    if isinstance(obj, h5py.Group):
                        d.require_group(name)
                    else:
                        d.create_dataset(name, data=obj[()], chunks=True, compression="gzip", fletcher32=True)
                    attributes(obj, d[name])
                s.visititems(copy)
            """, arguments: [ours, theirs])
        #expect(result.status == 0, "h5py failed:\n\(result.stderr)")
        expectIdentical(try Checkpoint.read(theirs), written)
    }
}

/// Loading is strict: each broken file is an error naming the file, the path inside it and the problem.
@Suite struct CheckpointRejectionTests {
    struct Damage: CustomTestStringConvertible, Sendable {
        let label: String
        /// Python run with `f` = the checkpoint opened by h5py in "r+" mode.
        let python: String
        let mentions: [String]
        var testDescription: String { label }
    }

    static let head = "model/layer_0/attention/head_1/"

    static let damages: [Damage] = [
        Damage(
            label: "wrong format", python: #"f.attrs["format"] = "something-else""#,
            mentions: ["not an icl-zoo checkpoint", "format is 'something-else'", "expected 'icl-zoo/checkpoint'"]),
        Damage(label: "no format", python: #"del f.attrs["format"]"#, mentions: ["no 'format' attribute"]),
        Damage(
            label: "format_version 3", python: #"f.attrs["format_version"] = 3"#,
            mentions: ["format_version 3 is not supported", "upgrade"]),
        Damage(
            label: "format_version 0", python: #"f.attrs["format_version"] = 0"#,
            mentions: ["format_version 0 is not supported"]),
        Damage(
            label: "format_version a string", python: #"f.attrs["format_version"] = "1""#,
            mentions: ["format_version", "expected an integer"]),
        Damage(
            label: "missing dataset", python: #"del f["model/layer_1/attention/head_1/W_V"]"#,
            mentions: ["/model/layer_1/attention/head_1/W_V: missing dataset"]),
        Damage(
            label: "transposed W_Q",
            python: "del f['\(head)W_Q']; f.create_dataset('\(head)W_Q', data=np.zeros((4, 3), np.float32))",
            mentions: ["/\(head)W_Q: has shape [4, 3], expected [3, 4]"]),
        Damage(
            label: "NaN in W_Q", python: "f['\(head)W_Q'][1, 2] = np.nan",
            mentions: ["/\(head)W_Q: entry 6 is nan, not a finite number"]),
        Damage(label: "infinity in P", python: "f['\(head)P'][0, 0] = np.inf", mentions: ["/\(head)P: entry 0 is inf"]),
        Damage(
            label: "integer W_K",
            python:
                "del f['\(head)W_K']; f.create_dataset('\(head)W_K', data=np.zeros((3, 4), np.int32), fletcher32=True)",
            mentions: ["/\(head)W_K", "int32", "expected floating-point"]),
        Damage(
            label: "extra dataset in a head", python: "f['\(head)bias'] = np.zeros(4, np.float32)",
            mentions: ["/\(head)bias: unexpected dataset"]),
        Damage(
            label: "extra head", python: #"f["model/layer_1/attention/head_2/W_Q"] = np.zeros((3, 4), np.float32)"#,
            mentions: ["/model/layer_1/attention/head_2/W_Q: unexpected dataset", "2 head(s)"]),
        Damage(
            label: "extra layer", python: #"f["model/layer_2/attention/head_0/W_Q"] = np.zeros((3, 4), np.float32)"#,
            mentions: ["/model/layer_2/attention/head_0/W_Q: unexpected dataset", "2 parameter layer(s)"]),
        Damage(label: "no /model", python: #"del f["model"]"#, mentions: ["/model: missing group"]),
        Damage(
            label: "missing /model attribute", python: #"del f["model"].attrs["layers"]"#,
            mentions: ["/model", "missing attribute 'layers'"]),
        Damage(
            label: "unknown architecture", python: #"f["model"].attrs["architecture"] = "mlp""#,
            mentions: ["/model: attribute 'architecture' is 'mlp', not one of: lsa, softmax"]),
        Damage(
            label: "activation relu in a gelu model", python: #"f["model"].attrs["activation"] = "relu""#,
            mentions: ["/model: attribute 'activation' is relu, but the recipe says gelu"]),
        Damage(
            label: "unknown activation", python: #"f["model"].attrs["activation"] = "tanh""#,
            mentions: ["/model: attribute 'activation' is 'tanh', not one of: gelu, relu"]),
        Damage(
            label: "heads 0", python: #"f["model"].attrs["heads"] = 0"#,
            mentions: ["/model: model.heads must be at least 1 (got 0)"]),
        Damage(
            label: "token_dim inconsistent", python: #"f["model"].attrs["token_dim"] = 5"#,
            mentions: ["/model: token_dim is 5, but the other attributes make it 4"]),
        Damage(
            label: "recipe not JSON", python: #"f.attrs["recipe"] = "{""#,
            mentions: ["attribute 'recipe'", "not valid JSON"]),
        Damage(
            label: "recipe with an unknown field",
            python: #"r = json.loads(f.attrs["recipe"]); r["model"]["hedas"] = 2; f.attrs["recipe"] = json.dumps(r)"#,
            mentions: ["attribute 'recipe'", "unknown field 'model.hedas'"]),
        Damage(
            label: "no /training or /construction", python: #"del f["training"]"#,
            mentions: ["neither /training nor /construction"]),
        Damage(
            label: "history lengths differ",
            python:
                #"del f["training/validation_loss"]; f.create_dataset("training/validation_loss", data=np.zeros(2), fletcher32=True)"#,
            mentions: ["/training/validation_loss: has shape [2], expected [4] like /training/step"]),
        // What a flipped byte or a hostile file could do to a reader that trusted it.
        Damage(
            label: "context_size contradicts the recipe", python: #"f["model"].attrs["context_size"] = 30"#,
            mentions: ["/model: attribute 'context_size' is 30, but the recipe says 5"]),
        Damage(
            label: "steps contradict the recipe", python: #"f["training"].attrs["steps"] = 31"#,
            mentions: ["/training: attribute 'steps' is 31, but the recipe says 30"]),
        Damage(
            label: "heads 2^40", python: #"f["model"].attrs["heads"] = 2**40"#,
            mentions: ["/model: attribute heads is 1099511627776, outside 0 … 256 (the documented limit)"]),
        Damage(
            label: "input_dim Int64.max", python: #"f["model"].attrs["input_dim"] = np.int64(2**63 - 1)"#,
            mentions: ["/model: attribute input_dim is 9223372036854775807, outside 0 … 16384"]),
        Damage(
            label: "clip_tokens negative", python: #"f["model"].attrs["clip_tokens"] = -1.0"#,
            mentions: ["/model: attribute 'clip_tokens' is -1.0, expected a number ≥ 0 (0: none)"]),
        Damage(
            label: "NaN in the curve", python: #"f["training/train_loss"][1] = np.nan"#,
            mentions: ["/training/train_loss: entry 1 is nan, not a finite loss"]),
        Damage(
            label: "huge declared shape",
            python: "del f['\(head)W_Q']; f.create_dataset('\(head)W_Q', shape=(2**40,), dtype='f4')",
            mentions: ["/\(head)W_Q: has shape [1099511627776], expected [3, 4]"]),
        Damage(
            label: "soft link", python: "del f['\(head)W_Q']; f['\(head)W_Q'] = h5py.SoftLink('/\(head)W_K')",
            mentions: ["/\(head)W_Q: is a soft link"]),
        Damage(
            label: "hard-link cycle", python: #"f["model/layer_0/loop"] = f["model"]"#,
            mentions: [
                "/model/layer_0/loop: is a second name (hard link) of an object already in the file, possibly a cycle"
            ]),
        Damage(
            label: "weights without a checksum",
            python: "w = f['\(head)W_Q'][()]; del f['\(head)W_Q']; f['\(head)W_Q'] = w",
            mentions: ["/\(head)W_Q: has no checksum (format_version 2 checksums every dataset)"]),
    ]

    @Test(arguments: damages)
    func damagedCheckpointIsRejected(_ damage: Damage) throws {
        let directory = try TemporaryDirectory()
        let good = directory.file("good.h5"), path = directory.file("bad.h5")
        try Fixture.trained().write(to: good)
        let result = try Python.run(
            """
            import sys, json, shutil, h5py, numpy as np
            shutil.copy(sys.argv[1], sys.argv[2])
            with h5py.File(sys.argv[2], "r+") as f:
            \(damage.python.split(separator: "; ").map { "    " + $0 }.joined(separator: "\n"))
            """, arguments: [good, path])
        try #require(result.status == 0, "h5py failed:\n\(result.stderr)")
        _ = try Checkpoint.read(good)  // the damage, not the copy, is what breaks the file
        expectRejected(path, mentioning: damage.mentions)
    }

    /// A flipped bit in a stored weight: HDF5's Fletcher32 check fails in our reader and in h5py.
    @Test func aFlippedBitInAWeightIsAChecksumError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.h5")
        try Fixture.trained().write(to: path)
        let result = try Python.run(
            """
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                offset = f["model/layer_1/attention/head_0/W_V"].id.get_chunk_info(0).byte_offset
            with open(sys.argv[1], "r+b") as raw:
                raw.seek(offset + 5)
                byte = raw.read(1)[0]
                raw.seek(offset + 5)
                raw.write(bytes([byte ^ 0x10]))
            try:
                with h5py.File(sys.argv[1], "r") as f:
                    f["model/layer_1/attention/head_0/W_V"][()]
                print("h5py read it")
            except OSError as error:
                print("h5py refused:", error)
            """, arguments: [path])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("h5py refused:"), "\(result.stdout)")
        expectRejected(path, mentioning: ["/model/layer_1/attention/head_0/W_V: cannot read dataset", "Fletcher32"])
    }

    /// Not our file at all: an HDF5 file h5py wrote for something else.
    @Test func foreignHDF5FileIsRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("foreign.h5")
        let result = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f.attrs["format"] = "something-else"
                f["model/weights"] = np.ones((3, 4), np.float32)
            """, arguments: [path])
        try #require(result.status == 0, "h5py failed:\n\(result.stderr)")
        expectRejected(path, mentioning: ["not an icl-zoo checkpoint", "'something-else'"])
    }

    @Test func missingFileIsRejected() throws {
        let directory = try TemporaryDirectory()
        expectRejected(directory.file("nothing.h5"), mentioning: ["no such file"])
    }

    @Test func folderIsRejected() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("folder.h5"), withIntermediateDirectories: false)
        expectRejected(directory.file("folder.h5"), mentioning: ["is a directory"])
    }

    @Test func textFileIsRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("x.h5")
        try "not a checkpoint\n".write(toFile: path, atomically: false, encoding: .utf8)
        expectRejected(path, mentioning: ["not an HDF5 file"])
    }

    @Test func truncatedCheckpointIsRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.h5")
        try Fixture.trained().write(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectRejected(path, mentioning: ["truncated HDF5 file"])
    }

    func expectRejected(
        _ path: String, mentioning fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let checkpoint = try Checkpoint.read(path)
            Issue.record("read \(path) without error: \(checkpoint.config)", sourceLocation: sourceLocation)
        } catch {
            let message = "\(error)"
            #expect(
                message.hasPrefix(path + ": "), "error does not start with the file: \(message)",
                sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(
                    message.contains(fragment), "error lacks '\(fragment)': \(message)", sourceLocation: sourceLocation)
            }
            #expect(!message.contains("\n"), "error is not one line: \(message)", sourceLocation: sourceLocation)
        }
    }
}
