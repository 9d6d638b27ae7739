import Foundation

/// The code version recorded in every checkpoint: the release number and, when the sources are a
/// git checkout (as in development and CI), the commit and whether the tree had local changes.
public enum SoftwareVersion {
    public static let release = "0.1.0"

    public static let current: String = {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        guard let commit = git(["-C", sources, "rev-parse", "--short=12", "HEAD"]) else { return release }
        let dirty =
            (git(["-C", sources, "status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty ? "" : ".dirty"
        return "\(release)+git.\(commit)\(dirty)"
    }()

    private static func git(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
