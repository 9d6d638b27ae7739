import Foundation

/// A fresh directory per test (tests run in parallel), removed with everything in it on deinit.
public final class TemporaryDirectory {
    public let path: String

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

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
