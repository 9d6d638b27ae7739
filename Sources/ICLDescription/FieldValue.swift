import Foundation

/// What a field may hold: how it reads from a recipe's JSON and how it is stored as an attribute.
/// Numbers are stored as int64 or float64, flags as 0 or 1, choices by name.
public protocol FieldValue: Codable {
    static var attributeKind: AttributeValue.Kind { get }
    var attribute: AttributeValue { get }
    init(attribute: AttributeValue) throws
    /// The value under `key`, nil when the key is absent.
    static func decode(from container: KeyedDecodingContainer<AnyCodingKey>, _ key: AnyCodingKey) throws -> Self?
}

extension FieldValue {
    public static func decode(
        from container: KeyedDecodingContainer<AnyCodingKey>,
        _ key: AnyCodingKey
    ) throws -> Self? {
        try container.decodeIfPresent(Self.self, forKey: key)
    }
}

/// Values that are never stored as attributes (recipe sections, training settings).
public protocol RecipeOnlyValue: FieldValue {}
extension RecipeOnlyValue {
    public static var attributeKind: AttributeValue.Kind { .string }
    public var attribute: AttributeValue { .string("") }
    public init(attribute: AttributeValue) throws { throw FieldError("is not stored as an attribute") }
}

extension String: RecipeOnlyValue {}
extension UInt64: RecipeOnlyValue {}

extension Int: FieldValue {
    public static var attributeKind: AttributeValue.Kind { .int }
    public var attribute: AttributeValue { .int(Int64(self)) }
    public init(attribute: AttributeValue) throws {
        guard case .int(let value) = attribute, let int = Int(exactly: value) else {
            throw FieldError("is \(attribute), expected an integer")
        }
        self = int
    }
}

extension Bool: FieldValue {
    public static var attributeKind: AttributeValue.Kind { .int }
    public var attribute: AttributeValue { .int(self ? 1 : 0) }
    public init(attribute: AttributeValue) throws {
        guard case .int(let value) = attribute, value == 0 || value == 1 else {
            throw FieldError("is \(attribute), expected 0 or 1")
        }
        self = value == 1
    }
}

extension Double: FieldValue {
    public static var attributeKind: AttributeValue.Kind { .double }
    public var attribute: AttributeValue { .double(self) }
    public init(attribute: AttributeValue) throws {
        guard case .double(let value) = attribute, value.isFinite else {
            throw FieldError("is \(attribute), expected a finite number")
        }
        self = value
    }
}

/// An optional size (null in a recipe: derived) is stored resolved, so always as a number.
extension Optional: FieldValue where Wrapped: OptionalField {
    public static var attributeKind: AttributeValue.Kind { Wrapped.attributeKind }
    public var attribute: AttributeValue { self?.attribute ?? Wrapped.noneAttribute }
    public init(attribute: AttributeValue) throws { self = try Wrapped.optional(attribute: attribute) }
    public static func decode(
        from container: KeyedDecodingContainer<AnyCodingKey>,
        _ key: AnyCodingKey
    ) throws -> Self? {
        try Wrapped.decode(from: container, key).map { .some($0) }
    }
}

/// A field value that may be null in a recipe, and how "none" is stored.
public protocol OptionalField: FieldValue {
    static var noneAttribute: AttributeValue { get }
    static func optional(attribute: AttributeValue) throws -> Self?
}

extension OptionalField {
    public static func optional(attribute: AttributeValue) throws -> Self? { try Self(attribute: attribute) }
}

extension Int: OptionalField {
    public static var noneAttribute: AttributeValue { .int(0) }
}

/// An optional number (`clip_tokens`) is stored as 0 for none.
extension Double: OptionalField {
    public static var noneAttribute: AttributeValue { .double(0) }
    public static func optional(attribute: AttributeValue) throws -> Double? {
        guard case .double(let value) = attribute, value.isFinite, value >= 0 else {
            throw FieldError("is \(attribute), expected a number ≥ 0 (0: none)")
        }
        return value > 0 ? value : nil
    }
}

/// A closed choice, spelled by its raw value; an unknown name is an error listing the known ones.
public protocol Choice: FieldValue, RawRepresentable, CaseIterable where RawValue == String {}

extension Choice {
    public static var attributeKind: AttributeValue.Kind { .string }
    public var attribute: AttributeValue { .string(rawValue) }
    public init(attribute: AttributeValue) throws {
        guard let choice = Self(rawValue: attribute.description) else {
            throw FieldError("is '\(attribute)', not one of: \(Self.known)")
        }
        self = choice
    }
    public static func decode(
        from container: KeyedDecodingContainer<AnyCodingKey>,
        _ key: AnyCodingKey
    ) throws -> Self? {
        guard let raw = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        return try named(raw, field: container.codingPath + [key])
    }
    static var known: String { allCases.map(\.rawValue).joined(separator: ", ") }
    /// The case named `raw`; the error names the recipe field.
    static func named(_ raw: String, field: [CodingKey]) throws -> Self {
        guard let choice = Self(rawValue: raw) else {
            let path = field.map(\.stringValue).joined(separator: ".")
            throw RecipeError("\(path): unknown value '\(raw)' (known: \(known))")
        }
        return choice
    }
}

/// A list of choices (`attention`), stored comma-separated.
extension Array: FieldValue where Element: Choice {
    public static var attributeKind: AttributeValue.Kind { .string }
    public var attribute: AttributeValue { .string(map(\.rawValue).joined(separator: ",")) }
    public init(attribute: AttributeValue) throws {
        self = try attribute.description.split(separator: ",").map { try Element(attribute: .string(String($0))) }
    }
    public static func decode(
        from container: KeyedDecodingContainer<AnyCodingKey>,
        _ key: AnyCodingKey
    ) throws -> Self? {
        guard let raw = try container.decodeIfPresent([String].self, forKey: key) else { return nil }
        return try raw.map { try Element.named($0, field: container.codingPath + [key]) }
    }
}

extension Array: OptionalField where Element: Choice {
    public static var noneAttribute: AttributeValue { .string("") }
}
