import Foundation

/// A fresh directory per test (tests run in parallel), removed with everything in it on deinit.
/// Set `ICL_TEST_KEEP=1` to keep the directories (to look at the figures); their paths are printed.
public final class TemporaryDirectory {
    public let path: String
    private let keep = ProcessInfo.processInfo.environment["ICL_TEST_KEEP"] != nil

    public init() throws {
        let pattern = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("icl-zoo-test-XXXXXX").path
        var template = Array(pattern.utf8CString)
        guard let created = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, userInfo: [NSFilePathErrorKey: pattern])
        }
        path = String(cString: created)
    }

    /// The path of `name` inside this directory (nothing is created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// Names of the files in the directory (to check no temporary file is left behind).
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    deinit {
        if keep { print("kept \(path)") } else { try? FileManager.default.removeItem(atPath: path) }
    }
}
