import Foundation

/// `mkdir -p` for the folder a file will be written to, each failure one readable line naming the
/// folder (Foundation's own errors read `NSCocoaErrorDomain Code=642 …`).
public func makeFolders(for file: String) throws {
    let folder = (file as NSString).deletingLastPathComponent
    var path = folder.hasPrefix("/") ? "" : "."
    for component in folder.split(separator: "/") {
        path += "/" + component
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw CheckpointError(
                    file: file, path: "", message: "cannot create its folder: \(path) is a file, not a folder")
            }
            continue
        }
        guard errno == ENOENT, mkdir(path, 0o777) == 0 || errno == EEXIST else {
            throw CheckpointError(
                file: file, path: "", message: "cannot create its folder \(path): \(String(cString: strerror(errno)))")
        }
    }
}
