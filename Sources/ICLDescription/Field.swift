import Foundation

/// One named field of a description (a recipe section, the model, the task): the same name is the
/// JSON key in a recipe and, for fields `stored` in a checkpoint, the attribute name under `/model`.
/// A type lists its fields once (`Described.fields`); decoding, encoding, the attributes a
/// checkpoint writes and reads, and the comparison of a file against its recipe all walk that list.
public struct Field<Root> {
    public let name: String
    public let storage: FieldStorage
    /// Written as a checkpoint attribute (false: the recipe only, like `eta_init`).
    public var stored: Bool { storage != .recipe }
    /// How the value is stored as an attribute, so a reader knows which type to ask for.
    public let kind: AttributeValue.Kind
    public let attribute: (Root) -> AttributeValue
    /// Sets the field from a stored attribute; throws `FieldError` naming what was wrong.
    public let setAttribute: (inout Root, AttributeValue) throws -> Void
    /// The value of a new `Root()` (only for `omittedWhenDefault`: a file without the field means it).
    public let defaultAttribute: AttributeValue?
    let decode: (KeyedDecodingContainer<AnyCodingKey>, inout Root) throws -> Void
    let encode: (inout KeyedEncodingContainer<AnyCodingKey>, Root) throws -> Void

    public init<Value: FieldValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value>,
        _ storage: FieldStorage = .recipe
    ) {
        self.name = name
        self.storage = storage
        if storage == .omittedWhenDefault, let described = Root.self as? any Described.Type,
            let root = described.init() as? Root
        {
            defaultAttribute = root[keyPath: keyPath].attribute
        } else {
            precondition(storage != .omittedWhenDefault, "\(name): only a field of a Described type has a default")
            defaultAttribute = nil
        }
        kind = Value.attributeKind
        attribute = { $0[keyPath: keyPath].attribute }
        setAttribute = { root, value in root[keyPath: keyPath] = try Value(attribute: value) }
        let key = AnyCodingKey(stringValue: name)
        decode = { container, root in
            if let value = try Value.decode(from: container, key) { root[keyPath: keyPath] = value }
        }
        encode = { [defaultAttribute] container, root in
            let value = root[keyPath: keyPath]
            if let defaultAttribute, value.attribute == defaultAttribute { return }
            try container.encode(value, forKey: key)
        }
    }

    /// Whether a checkpoint writes this field of `root` under `/model`.
    public func isWritten(_ root: Root) -> Bool {
        stored && (defaultAttribute == nil || attribute(root) != defaultAttribute)
    }

    /// This field of a description held inside `Outer` (the model section inside `ModelConfig`).
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root>) -> Field<Outer> {
        Field<Outer>(
            name: name, storage: storage, kind: kind, defaultAttribute: defaultAttribute,
            attribute: { attribute($0[keyPath: path]) },
            setAttribute: { try setAttribute(&$0[keyPath: path], $1) },
            decode: { try decode($0, &$1[keyPath: path]) },
            encode: { try encode(&$0, $1[keyPath: path]) })
    }

    private init(
        name: String, storage: FieldStorage, kind: AttributeValue.Kind, defaultAttribute: AttributeValue?,
        attribute: @escaping (Root) -> AttributeValue,
        setAttribute: @escaping (inout Root, AttributeValue) throws -> Void,
        decode: @escaping (KeyedDecodingContainer<AnyCodingKey>, inout Root) throws -> Void,
        encode: @escaping (inout KeyedEncodingContainer<AnyCodingKey>, Root) throws -> Void
    ) {
        self.name = name
        self.storage = storage
        self.defaultAttribute = defaultAttribute
        self.kind = kind
        self.attribute = attribute
        self.setAttribute = setAttribute
        self.decode = decode
        self.encode = encode
    }
}

/// A type described by a list of fields: JSON with exactly these keys, each optional (a missing
/// key keeps the default of `init()`), an unknown key an error naming it, `null` written out for an
/// unset optional.
public protocol Described: Codable {
    init()
    static var fields: [Field<Self>] { get }
}

extension Described {
    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Self.fields.map(\.name))
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = (decoder.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw RecipeError("unknown field '\(path)' (known here: \(known.sorted().joined(separator: ", ")))")
        }
        for field in Self.fields { try field.decode(container, &self) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for field in Self.fields { try field.encode(&container, self) }
    }
}

/// A value as a checkpoint stores it in an HDF5 attribute.
public enum AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int64), double(Double), string(String)

    public enum Kind: Sendable { case int, double, string }

    public var description: String {
        switch self {
        case .int(let value): return "\(value)"
        case .double(let value): return "\(value)"
        case .string(let value): return value
        }
    }
}

/// Why a stored attribute cannot be a field's value (the caller adds the file and the field's name).
public struct FieldError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Where a field is written.
public enum FieldStorage: Sendable {
    /// In the recipe only.
    case recipe
    /// In the recipe and as a `/model` attribute.
    case recipeAndModel
    /// In both, but left out of both while at its default: a field added after format version 2,
    /// so that the files of models that do not use it stay as they were and older files still load.
    case omittedWhenDefault
}
