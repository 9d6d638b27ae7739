import Foundation

extension Recipe {
    /// The package's own `zoo/` folder (found from this source file, so it exists in a checkout and
    /// in the build made from it), the place recipes are looked up when run from elsewhere.
    public static let packageZoo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("zoo").path

    /// A recipe named by path or by name: `path` itself when it exists; otherwise, for a bare name
    /// like `lsa-1` or `lsa-1.json`, the file of that name in `./zoo/`, then in the package's `zoo/`.
    /// Returns `path` unchanged when nothing is found, so the error names what the user typed.
    public static func locate(_ path: String) -> String {
        let files = FileManager.default
        if files.fileExists(atPath: path) || path.contains("/") { return path }
        let name = path.hasSuffix(".json") ? path : path + ".json"
        for folder in ["zoo", packageZoo] {
            let candidate = (folder as NSString).appendingPathComponent(name)
            if files.fileExists(atPath: candidate) { return candidate }
        }
        return path
    }
}
