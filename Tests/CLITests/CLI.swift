import Foundation
import ICLTestSupport
import Testing

/// Runs the built executables, which `swift build` (and `swift test`) put beside the test runner.
enum CLI {
    /// The folder of the running test binary (`.build/<triple>/debug/`).
    static let binaries: String = {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (runner as NSString).deletingLastPathComponent
    }()

    struct Result: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)" }
        var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
    }

    static func run(_ tool: String, _ arguments: [String], in folder: String? = nil) throws -> Result {
        let executable = binaries + "/" + tool
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "\(executable) is missing: run `swift build` before `swift test --skip-build`")
        let (status, stdout, stderr) = try Subprocess.run(executable, arguments, in: folder)
        return Result(status: status, stdout: stdout, stderr: stderr)
    }

    static func zoo(_ arguments: String...) throws -> Result { try run("icl-zoo", arguments) }
    static func analyze(_ arguments: String...) throws -> Result { try run("icl-analyze", arguments) }

    /// A recipe in the package's zoo/, by absolute path (tests do not run from the package root).
    static func zooRecipe(_ name: String) -> String { Python.packageRoot.appendingPathComponent("zoo/\(name)").path }

    /// A recipe with the task shape of lsa-1 (d = 10, N = 10) but a small validation set, so a debug
    /// build trains it in a fraction of a second (10 steps of 32 tasks, 100 validation tasks, seed 0).
    static func writeSmallRecipe(
        in directory: TemporaryDirectory, name: String = "small", architecture: String = "lsa", layers: Int = 1,
        heads: Int = 1, inputDim: Int = 10, contextSize: Int = 10, moreModel: String = ""
    ) throws -> String {
        let path = directory.file("\(name).json")
        try """
        {"name": "\(name)", "model": {"architecture": "\(architecture)", "layers": \(layers), "heads": \(heads)\(moreModel)},
         "task": {"input_dim": \(inputDim), "context_size": \(contextSize)},
         "training": {"seed": 0, "steps": 10, "batch_size": 32, "eval_every": 5, "validation_tasks": 100}}
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
}

/// A failure a user can fix: exit 1 and exactly one line on stderr, `Error: <file>: <what>`, with no
/// crash report, HDF5 diagnostics or Swift runtime trap.
func expectUserError(
    _ result: CLI.Result, mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1, "stderr is not one line: \(result)", sourceLocation: sourceLocation)
    expectErrorLine(result, mentioning: fragments, sourceLocation: sourceLocation)
}

/// A command line the parser rejects: exit 64 (EX_USAGE), an `Error:` line saying what is wrong, then
/// only ArgumentParser's usage reminder (`Help:`, `Usage:`, `See '… --help'`).
func expectUsageError(
    _ result: CLI.Result, mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 64, "\(result)", sourceLocation: sourceLocation)
    for line in result.stderrLines.dropFirst() {
        let reminder =
            line.hasPrefix("Usage: ") || line.hasPrefix("Help: ") || line.hasPrefix("  See '")
            || line.hasPrefix("        ")  // continuation of a wrapped usage line
        #expect(reminder, "unexpected stderr line '\(line)' in \(result)", sourceLocation: sourceLocation)
    }
    expectErrorLine(result, mentioning: fragments, sourceLocation: sourceLocation)
}

private func expectErrorLine(_ result: CLI.Result, mentioning fragments: [String], sourceLocation: SourceLocation) {
    let first = result.stderrLines.first.map(String.init) ?? ""
    #expect(first.hasPrefix("Error: "), "\(result)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(
            first.contains(fragment), "first stderr line lacks '\(fragment)': \(result)", sourceLocation: sourceLocation
        )
    }
    for crash in ["HDF5-DIAG", "Fatal error", "Program crashed", "Backtracing", "Thread 0"] {
        #expect(!result.stderr.contains(crash), "stderr has '\(crash)': \(result)", sourceLocation: sourceLocation)
    }
    #expect(result.stdout.isEmpty, "stdout should be empty on failure: \(result)", sourceLocation: sourceLocation)
}

/// The /model datasets of two checkpoints, compared bit for bit by h5py: "same" or "different".
func compareWeights(_ a: String, _ b: String) throws -> String {
    let result = try Python.run(
        """
        import sys, h5py, numpy as np
        def weights(path):
            with h5py.File(path, "r") as f:
                out = {}
                f["model"].visititems(lambda n, o: out.__setitem__(n, o[()].view(np.uint32)) if isinstance(o, h5py.Dataset) else None)
                return out
        a, b = weights(sys.argv[1]), weights(sys.argv[2])
        assert a and sorted(a) == sorted(b), (sorted(a), sorted(b))
        print("same" if all(np.array_equal(a[k], b[k]) for k in a) else "different")
        """, arguments: [a, b])
    try #require(result.status == 0, "h5py failed:\n\(result.stderr)")
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
