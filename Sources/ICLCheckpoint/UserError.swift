/// A failure the user can fix (a bad file, flag or combination), for the command-line tools: printed
/// as one line, exit status 1. Defined here because every tool reads checkpoints through this module.
public struct UserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
