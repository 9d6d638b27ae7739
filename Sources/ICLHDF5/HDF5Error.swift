import CHDF5

/// What went wrong, where: the file on disk, the object inside it, and a message a user can act on.
/// Reads as `zoo/x.h5: /model/layer_0/attention/head_0/W_Q: missing dataset`.
public struct HDF5Error: Error, CustomStringConvertible {
    /// The file as the caller named it.
    public let file: String
    /// The object inside the file (`/model/W_Q`); empty when the error is about the file itself.
    public let path: String
    public let message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}

/// HDF5 prints a 25-line `HDF5-DIAG` stack to stderr on every failed call unless told not to, and the
/// setting is per thread in Debian's thread-safe build; so every public entry point calls this (cheap).
func silenceHDF5ErrorPrinting() {
    H5Eset_auto2(chdf5_error_stack_default(), nil, nil)
}

/// The cause HDF5 recorded for the call that just failed, e.g. `truncated file: eof = 1024, …`, on one line.
/// The deepest entry of the error stack names the cause; the top one only repeats which API call
/// failed. Call it straight after the failing call: the next HDF5 call clears the stack.
func hdf5Cause() -> String? {
    var descriptions: [String] = []
    withUnsafeMutablePointer(to: &descriptions) { collected in
        _ = H5Ewalk2(
            chdf5_error_stack_default(), H5E_WALK_DOWNWARD,
            { _, entry, clientData in
                if let description = entry?.pointee.desc, let clientData {
                    clientData.assumingMemoryBound(to: [String].self).pointee.append(String(cString: description))
                }
                return 0
            }, collected)
    }
    return descriptions.last(where: { !$0.isEmpty }).map(oneLine)
}

/// HDF5's causes can span lines (its I/O errors embed `ctime()`, which ends in a newline); errors are
/// printed as one line, so each newline becomes a space.
func oneLine(_ text: String) -> String {
    String(text.map { $0.isNewline ? " " : $0 }).trimmingTrailingSpaces()
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}

/// An error for an HDF5 call that just failed, with HDF5's own cause appended when it recorded one.
func hdf5Failure(file: String, path: String, _ message: String) -> HDF5Error {
    guard let cause = hdf5Cause() else { return HDF5Error(file: file, path: path, message: message) }
    return HDF5Error(file: file, path: path, message: "\(message) (HDF5: \(cause))")
}
