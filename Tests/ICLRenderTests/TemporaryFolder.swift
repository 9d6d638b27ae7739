import Foundation

/// A fresh folder under the system temporary directory, removed when the test is done with it.
/// Each test makes its own, so tests running in parallel never see each other's files.
/// Set `ICL_RENDER_KEEP=1` to keep the folders (and look at the figures); their paths are printed.
final class TemporaryFolder {
    let path: String
    private let keep = ProcessInfo.processInfo.environment["ICL_RENDER_KEEP"] != nil

    init(_ label: String = #function) throws {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("icl-render-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names of the files in the folder (to check no temporary file is left behind).
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    deinit {
        if keep { print("kept \(path)") } else { try? FileManager.default.removeItem(atPath: path) }
    }
}
