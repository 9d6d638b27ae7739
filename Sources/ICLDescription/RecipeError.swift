import Foundation

/// A recipe (or a description inside a file) that cannot be used; the message names the field.
public struct RecipeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A `DecodingError` as one line naming the field (`whole` when the error is about the whole file).
public func describe(_ error: DecodingError, whole: String = "the recipe") -> String {
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map(\.stringValue).joined(separator: ".")
        return p.isEmpty ? whole : "field '\(p)'"
    }
    switch error {
    case .typeMismatch(let type, let context):
        return "\(path(context)) has the wrong type: expected \(type)"
    case .valueNotFound(let type, let context):
        return "\(path(context)) is null: expected \(type)"
    case .keyNotFound(let key, let context):
        let p = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
        return "missing field '\(p)'"
    case .dataCorrupted(let context):
        if let underlying = context.underlyingError as? RecipeError { return underlying.message }
        return "\(path(context)): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
