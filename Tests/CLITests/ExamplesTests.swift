import Foundation
import ICLTestSupport
import Testing

/// docs/examples/: forward.py reruns our checkpoints in numpy and reproduces `compare`'s loss;
/// write.py writes numpy weights as checkpoints that every command accepts. Both run in the `.venv`
/// python (h5py, numpy), against the built binaries.
@Suite struct ExamplesTests {
    static let examples = BuiltTools.packageFile("docs/examples")

    /// Runs `docs/examples/<script>` with `arguments`; the script must succeed.
    func runExample(_ script: String, _ arguments: [String]) throws -> String {
        let result = try Subprocess.run(Python.executable, [Self.examples + "/" + script] + arguments)
        try #require(
            result.status == 0,
            "\(script) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        return result.stdout
    }

    /// One JSON object per line of `text`.
    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    func compareLoss(_ file: String, tasks: Int) throws -> Double {
        let result = try CLI.analyze("compare", file, file, "--tasks", "\(tasks)", "--json")
        try #require(result.status == 0, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double])
        return try #require(object["loss_a"])
    }

    /// icl-zoo runs the models in Float, forward.py in Double on the same tasks: they agree to float
    /// rounding (measured: at most 5e-7 relative on the models below, 1.0e-6 on the paper's 12-layer
    /// mlp-12-4head; 1.3e-9 absolute on gdpp-12, whose loss of 2.8e-7 is at Float's rounding level).
    func expectSameLoss(
        _ numpy: Double, _ ours: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            abs(numpy - ours) <= 1e-5 * abs(ours) + 1e-9, "\(what): forward.py \(numpy), icl-analyze compare \(ours)",
            sourceLocation: sourceLocation)
    }

    // MARK: write.py

    /// The demo: Proposition 1's weights built in numpy are a checkpoint `show`, `list` and every
    /// analysis that applies to a 1-layer LSA accept, computing exactly our GD construction.
    @Test func writtenGradientDescentIsAcceptedAndEqualsTheConstruction() throws {
        let directory = try TemporaryDirectory()
        let written = directory.file("gd-numpy.h5"), gd = directory.file("gd.h5")
        _ = try runExample("write.py", [written, "--layers", "1", "--eta", "1.5"])
        let show = try CLI.zoo("show", written)
        #expect(
            show.status == 0 && show.stdout.contains("gd-1-numpy") && show.stdout.contains("docs/examples/write.py"),
            "\(show)")
        let list = try CLI.zoo("list", directory.path)
        #expect(list.status == 0 && list.stdout.contains("gd-1-numpy"), "\(list)")
        try #require(
            try CLI.zoo("construct", "gd", "--eta", "1.5", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", gd).status
                == 0)

        let result = try CLI.analyze("compare", written, gd, "--tasks", "300", "--json")
        try #require(result.status == 0, "\(result)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double])
        #expect(
            report["loss_a"] == report["loss_b"] && report["prediction_diff"] == 0 && report["sensitivity_diff"] == 0,
            "\(report)")

        // Every analysis of a single paired-token LSA layer (spectrum and copying: below, on the
        // recurrent and alternating models they need).
        let small = ["--tasks", "100", "--json"]
        for arguments in [
            ["interpolate", written, gd, "--steps", "3"], ["ood", written, "--points", "3"],
            ["rollout", written, "--steps", "3"], ["heatmap", written], ["curves", written],
            ["context-length", written, "--lengths", "5,10"],
            ["fingerprint", written, "--against", "gd", "--max-steps", "1"],
        ] {
            let run = try CLI.run("icl-analyze", arguments + small)
            #expect(run.status == 0 && !run.stdout.isEmpty, "icl-analyze \(arguments.joined(separator: " ")): \(run)")
        }
    }

    /// write.py refuses a recipe that leaves out a value the attributes repeat, naming it.
    @Test func writeNamesAMissingRecipeField() throws {
        let directory = try TemporaryDirectory()
        let weights = directory.file("w.npz"), recipe = directory.file("r.json")
        let make = try Python.run(
            """
            import json, sys, numpy as np
            np.savez(sys.argv[1], **{"layer_0/attention/head_0/W_Q": np.eye(11, dtype=np.float32)})
            json.dump({"model": {"architecture": "lsa"}, "task": {}, "training": {}}, open(sys.argv[2], "w"))
            """, arguments: [weights, recipe])
        try #require(make.status == 0, "\(make.stderr)")
        let result = try Subprocess.run(
            Python.executable,
            [
                Self.examples + "/write.py", directory.file("out.h5"),
                "--weights", weights, "--recipe", recipe,
            ])
        #expect(
            result.status == 1 && result.stderr.hasPrefix("Error: ") && result.stderr.contains("model.token_layout"),
            "\(result)")
        #expect(try directory.contents() == ["r.json", "w.npz"], "no file and no temporary file left")
    }

    // MARK: forward.py, on every model kind

    /// Small recipes of every kind the stack runs (d = 4, N = 6): multi-head, several separate
    /// layers with clipping, recurrent, softmax + LayerNorm + ReLU MLP with Dk ≠ D, an embedding with
    /// the GELU MLP first on sine tasks, alternating tokens, GD++, mlp_gd (derived weights), and tasks with an
    /// odd d, another input range and teacher scale, and noisy targets.
    static let linear = #""input_dim": 4, "context_size": 6"#
    static let sine = #""family": "sine", "input_dim": 1, "context_size": 6, "input_range": 10"#
    static let kinds: [(name: String, model: String, task: String)] = [
        ("heads", #""architecture": "lsa", "heads": 2"#, linear),
        ("layers-clipped", #""architecture": "lsa", "layers": 3, "clip_tokens": 1.5"#, linear),
        ("recurrent", #""architecture": "lsa", "layers": 3, "recurrent": true"#, linear),
        (
            "mixed",
            #""architecture": "transformer", "layers": 2, "heads": 2, "key_dim": 3, "attention": ["softmax", "linear"], "layer_norm": true, "mlp_hidden": 8, "activation": "relu""#,
            linear
        ),
        ("sine", #""architecture": "transformer", "embedding_dim": 6, "mlp_hidden": 12, "mlp_first": true"#, sine),
        (
            "alternating",
            #""architecture": "transformer", "layers": 2, "attention": ["softmax", "linear"], "token_layout": "alternating", "positional_dim": 4"#,
            linear
        ),
        ("gdpp", #""architecture": "gdpp", "layers": 2, "recurrent": true"#, linear),
        (
            "odd-noisy", #""architecture": "lsa", "layers": 2"#,
            #""input_dim": 3, "context_size": 5, "input_range": 2, "weight_scale": 0.5, "noise_std": 0.3"#
        ),
        ("mlp-gd", #""architecture": "mlp_gd", "embedding_dim": 6, "mlp_hidden": 12, "mlp_first": true"#, sine),
    ]

    /// For each kind: icl-zoo trains one step (for the file's shapes and resolved recipe), write.py
    /// rewrites it with random weights large enough that every block changes the prediction, and
    /// forward.py's loss equals `compare`'s. Then icl-zoo's own files: the GD construction, a trained
    /// LSA (whose recorded validation loss forward.py also reproduces) and the copy construction.
    @Test func forwardReproducesCompareOnEveryKind() throws {
        let directory = try TemporaryDirectory()
        var pairs: [String] = []
        for kind in Self.kinds {
            let recipe = directory.file("\(kind.name).json"), source = directory.file("\(kind.name)-source.h5")
            try """
            {"name": "\(kind.name)", "model": {\(kind.model)},
             "task": {\(kind.task)},
             "training": {"steps": 1, "batch_size": 8, "validation_tasks": 20}}
            """.write(toFile: recipe, atomically: false, encoding: .utf8)
            let train = try CLI.zoo("train", recipe, "--quiet", "--out", source)
            try #require(train.status == 0, "\(kind.name): \(train)")
            pairs += [source, directory.file("\(kind.name).h5")]
        }
        // Random weights of each source's shapes, written by write.py's write_checkpoint with the
        // source's resolved recipe and curve.
        let rewrite = try Python.run(
            """
            import json, sys, h5py, numpy as np
            sys.path.insert(0, sys.argv[1])
            import write
            rng = np.random.default_rng(0)
            for source, out in zip(sys.argv[2::2], sys.argv[3::2]):
                with h5py.File(source, "r") as f:
                    recipe = json.loads(f.attrs["recipe"])
                    shapes = {}
                    f["model"].visititems(lambda name, item: shapes.__setitem__(name, item.shape) if isinstance(item, h5py.Dataset) else None)
                    curve = {name: f["training/" + name][()] for name in ("step", "train_loss", "validation_loss")}
                # Matrices [out, in] N(0, 0.5/in), vectors (biases, norms, η, γ) N(0, 0.5²): every dataset
                # moves the loss (scaling any one by 1.01 changes it by at least 9e-6 relative: the
                # alternating model's softmax W_Q; the next least, mixed's mlp_norm/offset, by 1.4e-5).
                weights = {name: rng.normal(0, np.sqrt(0.5 / shape[1]) if len(shape) == 2 else 0.5, shape)
                           for name, shape in shapes.items()}
                write.write_checkpoint(out, recipe, weights, curve)
            """, arguments: [Self.examples] + pairs)
        try #require(rewrite.status == 0, "\(rewrite.stderr)")
        let written = stride(from: 1, to: pairs.count, by: 2).map { pairs[$0] }

        let made = try BuiltTools.makeCheckpoints(in: directory.path, recurrent: true)
        let copy = directory.file("copy.h5")
        try #require(try CLI.zoo("construct", "copy", "--out", copy).status == 0)
        let files = written + [made["gd"]!, made["gd-recurrent"]!, made["lsa"]!, copy]
        let numpy = try jsonLines(try runExample("forward.py", files + ["--tasks", "300", "--json"]))
        try #require(numpy.count == files.count)
        for (file, result) in zip(files, numpy) {
            expectSameLoss(try #require(result["loss"] as? Double), try compareLoss(file, tasks: 300), file)
        }
        // The analyses that need a recurrent stack or alternating tokens accept those written by write.py.
        let spectrum = try CLI.analyze(
            "spectrum", directory.file("recurrent.h5"), "--context-sizes", "6", "--gamma-points", "3",
            "--tasks", "50", "--json")
        #expect(spectrum.status == 0, "\(spectrum)")
        let copying = try CLI.analyze("copying", directory.file("alternating.h5"), "--tasks", "50", "--json")
        #expect(copying.status == 0, "\(copying)")

        // The validation set, drawn in numpy: the last recorded validation loss of a trained file.
        let validation = try jsonLines(try runExample("forward.py", [made["lsa"]!, "--validation", "--json"]))[0]
        expectSameLoss(
            try #require(validation["loss"] as? Double), try #require(validation["recorded"] as? Double),
            "validation of \(made["lsa"]!)")
    }
}
