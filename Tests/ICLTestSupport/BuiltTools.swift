import Foundation

/// The package's own executables (`icl-zoo`, `icl-analyze`), as built beside the test binary: tests
/// that run them check what users run. `swift build --build-tests` builds them with the tests.
public enum BuiltTools {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The build folder: the directory of the running test executable (`/proc/self/exe`).
    public static var folder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The path of executable `name` in the build folder; throws if it has not been built.
    public static func path(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Missing(
                description: "\(path) is missing: build it with `swift build --build-tests` before running the tests")
        }
        return path
    }

    /// Runs executable `name` with `arguments` and captures its output.
    public static func run(_ name: String, _ arguments: [String]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try Subprocess.run(try path(name), arguments)
    }

    /// A path inside the package (e.g. `zoo/lsa-1.json`), independent of the working directory.
    public static func packageFile(_ relative: String) -> String {
        Python.packageRoot.appendingPathComponent(relative).path
    }

    /// Writes the small checkpoints the analysis tests run on into `folder`, with the built
    /// `icl-zoo`: `gd.h5` (the GD construction, η = 1), `lsa.h5` (the 1-layer recipe trained for 10
    /// steps of 64 tasks) and, when asked, `gd-recurrent.h5` (a 2-application recurrent GD, η = 1).
    /// Returns their paths by name.
    @discardableResult
    public static func makeCheckpoints(in folder: String, recurrent: Bool = false) throws -> [String: String] {
        let recipe = packageFile("zoo/lsa-1.json")
        var paths = ["gd": folder + "/gd.h5", "lsa": folder + "/lsa.h5"]
        var runs = [
            ["construct", "gd", "--eta", "1", "--recipe", recipe, "--out", paths["gd"]!],
            ["train", recipe, "--steps", "10", "--batch-size", "64", "--quiet", "--out", paths["lsa"]!],
        ]
        if recurrent {
            paths["gd-recurrent"] = folder + "/gd-recurrent.h5"
            runs.append([
                "construct", "gd", "--layers", "2", "--recurrent", "--eta", "1", "--recipe", recipe,
                "--out", paths["gd-recurrent"]!,
            ])
        }
        for arguments in runs {
            let result = try run("icl-zoo", arguments)
            guard result.status == 0 else {
                throw Missing(
                    description:
                        "icl-zoo \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
            }
        }
        return paths
    }
}
