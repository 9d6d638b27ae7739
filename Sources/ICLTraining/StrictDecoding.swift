import Foundation

/// Recipes are strict: an unknown field is an error (a typo must not silently fall back to a default).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws when the object being decoded has a key that `Keys` does not name.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _: Keys.Type) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let known = Set(Keys.allCases.map(\.stringValue))
    for key in container.allKeys where !known.contains(key.stringValue) {
        let path = (decoder.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
        throw RecipeError("unknown field '\(path)' (known here: \(known.sorted().joined(separator: ", ")))")
    }
}

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

/// A string field that must name one case of `Choice`; the error lists the known ones.
func decodeChoice<Choice: RawRepresentable & CaseIterable, Keys: CodingKey>(
    _ container: KeyedDecodingContainer<Keys>, _ key: Keys, _ field: String
) throws -> Choice? where Choice.RawValue == String {
    guard let raw = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
    guard let choice = Choice(rawValue: raw) else {
        let known = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        throw RecipeError("\(field): unknown value '\(raw)' (known: \(known))")
    }
    return choice
}
