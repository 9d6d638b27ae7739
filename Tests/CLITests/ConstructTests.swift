import Foundation
import ICLTestSupport
import Testing

@Suite struct ConstructTests {
    /// η given: no line search; the weights are Proposition 1's, checked by h5py.
    @Test func gdWithEtaWritesTheConstruction() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("gd.h5")
        let result = try CLI.zoo(
            "construct", "gd", "--layers", "2", "--eta", "1.5",
            "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", out)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "wrote \(out)\n", "\(result)")
        let check = try Python.run(
            """
            import sys, json, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                assert sorted(f) == ["construction", "model"], sorted(f)
                assert json.loads(f.attrs["recipe"])["name"] == "gd-2"
                assert f["model"].attrs["layers"] == 2
                assert f["construction"].attrs["method"] == "gd"
                assert f["construction/eta"][()].tolist() == [1.5, 1.5], f["construction/eta"][()]
                assert "line_search" not in f["construction"]
                I = np.eye(11, dtype=np.float32)
                for l in range(2):
                    h = f[f"model/layer_{l}/attention/head_0"]
                    assert np.array_equal(h["W_Q"][()], np.diag([1] * 10 + [0]).astype(np.float32)), l
                    assert np.array_equal(h["W_V"][()], np.diag([0] * 10 + [-1]).astype(np.float32)), l
                    assert np.array_equal(h["P"][()], np.float32(1.5 / 10) * I), h["P"][()]
            print("ok")
            """, arguments: [out])
        #expect(check.stdout == "ok\n", "\(check.stderr)")
    }

    @Test func gdWithoutEtaRecordsTheLineSearch() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("gd.h5")
        let result = try CLI.zoo(
            "construct", "gd", "--tasks", "200", "--seed", "9",
            "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", out)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("line search over 250 values of η on 200 tasks: best η = "), "\(result)")
        let check = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                s = f["construction/line_search"]
                eta, loss = s["eta"][()], s["loss"][()]
                best = f["construction/eta"][0]
                assert s.attrs["tasks"] == 200 and s.attrs["seed"] == 9, dict(s.attrs)
                assert len(eta) == len(loss) == 250, (len(eta), len(loss))
                # The refined η is near the best grid point, and no grid point beats it by much.
                assert abs(best - eta[np.argmin(loss)]) <= 0.1, (best, eta[np.argmin(loss)])
                assert np.array_equal(f["model/layer_0/attention/head_0/P"][()], np.float32(best / 10) * np.eye(11, dtype=np.float32))
            print("ok")
            """, arguments: [out])
        #expect(check.stdout == "ok\n", "\(check.stderr)")
    }

    @Test(arguments: [
        (["--eta", "-1"], ["--eta must be positive (got -1.0)"]),
        (["--eta", "0"], ["--eta must be positive (got 0.0)"]),
        (["--layers", "0"], ["--layers must be at least 1 (got 0)"]),
        (["--layers", "-2"], ["--layers must be at least 1 (got -2)"]),
        (["--tasks", "0"], ["--tasks must be at least 1 (got 0)"]),
        (["--eta", "fast"], ["fast", "--eta"]),
    ])
    func badCommandLineIsAUsageError(arguments: [String], mentions: [String]) throws {
        expectUsageError(try CLI.run("icl-zoo", ["construct", "gd"] + arguments), mentioning: mentions)
    }

    /// A write that fails (here: a 2 KiB file-size limit, with SIGXFSZ ignored so write(2) returns
    /// EFBIG, as on a full disk) must leave the checkpoint already there untouched and no temporary file.
    @Test func failedWriteKeepsTheExistingCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("gd.h5")
        let recipe = CLI.zooRecipe("lsa-1.json")
        try #require(try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", recipe, "--out", out).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let (status, stdout, stderr) = try Subprocess.run(
            "/bin/sh",
            [
                "-c", #"trap "" XFSZ; ulimit -c 0; ulimit -f 4; exec "$0" "$@""#,
                CLI.binaries + "/icl-zoo", "construct", "gd", "--eta", "2", "--recipe", recipe, "--out", out,
            ])
        let result = CLI.Result(status: status, stdout: stdout, stderr: stderr)
        #expect(status != 0, "\(result)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "the existing checkpoint changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["gd.h5"], "temporary file left")
        #expect(result.stderr.hasPrefix("Error: \(out): "), "\(result)")
        // The file is built in memory and written with plain POSIX calls, so the size limit comes back as
        // EFBIG: an ordinary error, not a failed H5Fclose that HDF5 1.10.8 would crash on at exit.
        expectUserError(result, mentioning: ["\(out): cannot write: File too large"])
    }
}
