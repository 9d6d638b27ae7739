import ICLMath

/// Where each named tensor lives in one flat parameter buffer (llm.c's habit): the optimiser sees
/// one array, layers see pointers into it, and the checkpoint writes one dataset per entry.
/// An entry's name is its path under `/model` in the checkpoint, e.g. `layer_0/attention/head_0/W_Q`.
public struct ParameterLayout: Sendable, Equatable {
    /// How an entry starts: weights by variance scaling over their fan-in (the input width of the
    /// linear map), biases and LayerNorm offsets at 0, LayerNorm scales at 1 (Haiku's defaults).
    public enum Initialisation: Sendable, Equatable {
        case varianceScaling(fanIn: Int)
        case zeros
        case ones
    }

    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let initialisation: Initialisation
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var count = 0

    public init() {}

    /// Appends an entry and returns its offset.
    @discardableResult
    public mutating func add(_ name: String, shape: [Int], fanIn: Int) -> Int {
        add(name, shape: shape, initialisation: .varianceScaling(fanIn: fanIn))
    }

    @discardableResult
    public mutating func add(_ name: String, shape: [Int], initialisation: Initialisation) -> Int {
        precondition(entry(named: name) == nil, "duplicate parameter \(name)")
        let entry = Entry(name: name, shape: shape, offset: count, initialisation: initialisation)
        entries.append(entry)
        count += entry.count
        return entry.offset
    }

    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The entry that starts at `offset` (a weight view's location).
    public func entry(at offset: Int) -> Entry? {
        entries.first { $0.offset == offset }
    }

    /// Offset of a named entry; a missing name is a programming error.
    public func offset(_ name: String) -> Int {
        guard let entry = entry(named: name) else { preconditionFailure("no parameter named \(name)") }
        return entry.offset
    }

    /// Haiku's `VarianceScaling(scale, "fan_in", "truncated_normal")` on every weight: a normal
    /// truncated at ±2σ, rescaled to standard deviation `√(scale / fanIn)`; biases 0, norm scales 1.
    public func initialValues(seed: UInt64, scale: Double) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        for (k, entry) in entries.enumerated() {
            switch entry.initialisation {
            case .varianceScaling(let fanIn):
                var random = SplitMix64(seed: seed, stream: RandomStream.initialisation, index: UInt64(k))
                let std = (scale / Double(fanIn)).squareRoot()
                for i in entry.range { values[i] = Float(random.truncatedNormal(std: std)) }
            case .zeros:
                for i in entry.range { values[i] = 0 }
            case .ones:
                for i in entry.range { values[i] = 1 }
            }
        }
        return values
    }
}
