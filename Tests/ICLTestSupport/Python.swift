import Foundation

/// Runs Python from the package's own `.venv`, which `make test` creates with h5py and numpy, so tests
/// check our files against the reader users will actually use, not against our own reader.
public enum Python {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The package root: this file is `<root>/Tests/ICLTestSupport/Python.swift`.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var executable: String { packageRoot.appendingPathComponent(".venv/bin/python").path }

    /// Runs `python -c script arguments…` and waits; `sys.argv[1:]` are `arguments`.
    public static func run(_ script: String, arguments: [String] = []) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Unavailable(
                description: "\(executable) is missing: run `make test` "
                    + "(it creates .venv with h5py and numpy)")
        }
        return try Subprocess.run(executable, ["-c", script] + arguments)
    }
}

/// Runs a command-line tool (h5dump, our own binaries) and captures what it says.
public enum Subprocess {

    /// Runs any executable (an absolute path, or a name looked up on PATH) and captures its output;
    /// in `folder` when given, else in the tests' own working folder.
    public static func run(_ executable: String, _ arguments: [String], in folder: String? = nil) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain stderr on another thread while this one drains stdout: a full pipe blocks the child.
        let errorData = Collected()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) {
            errorData.data = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData.data, as: UTF8.self)
        )
    }
}

/// Written by one reader thread, read only after `DispatchGroup.wait()`, which orders the two.
private final class Collected: @unchecked Sendable {
    var data = Data()
}
