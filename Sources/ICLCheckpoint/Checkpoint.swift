import Foundation
import ICLHDF5
import ICLModels
import ICLRecipe

/// One model as one HDF5 file (format `icl-zoo/checkpoint`, version 2; version 1 still read; every path is documented in
/// docs/checkpoint-format.md). Trained models carry their training record, constructions theirs.
public struct Checkpoint: Sendable {
    public static let format = "icl-zoo/checkpoint"
    public static let formatVersion: Int64 = 2

    public var config: ModelConfig
    /// Flat, in `AttentionStack(config).layout` order.
    public var parameters: [Float]
    /// The fully resolved recipe that made the model (for a construction: its model and task).
    public var recipe: Recipe
    public var origin: Origin
    public var softwareVersion: String = SoftwareVersion.current
    public var createdUTC: String = Checkpoint.timestamp()

    public enum Origin: Sendable, Equatable {
        case trained(TrainingRecord)
        case constructed(ConstructionRecord)
    }

    /// How a trained model was trained: the settings also live in the recipe; these are the values
    /// researchers look up first, plus the curve.
    public struct TrainingRecord: Sendable, Equatable {
        public var history: TrainingHistory
        public var seconds: Double
        /// Parameters during training, each in the `/model` layout under `/snapshots/step_<k>`.
        public var snapshots: [Snapshot]
        public init(history: TrainingHistory, seconds: Double, snapshots: [Snapshot] = []) {
            self.history = history
            self.seconds = seconds
            self.snapshots = snapshots
        }
    }

    /// A hand-made model: which construction, its learning rates, and the line search behind them.
    public struct ConstructionRecord: Sendable, Equatable {
        public var method: String
        public var etas: [Double]
        /// GD++'s γ per layer (empty for plain GD).
        public var gammas: [Double]
        public var lineSearchEtas: [Double]
        public var lineSearchLosses: [Double]
        public var lineSearchTasks: Int64
        public var lineSearchSeed: Int64
        public init(
            method: String, etas: [Double], gammas: [Double] = [], lineSearchEtas: [Double] = [],
            lineSearchLosses: [Double] = [], lineSearchTasks: Int64 = 0, lineSearchSeed: Int64 = 0
        ) {
            self.method = method
            self.etas = etas
            self.gammas = gammas
            self.lineSearchEtas = lineSearchEtas
            self.lineSearchLosses = lineSearchLosses
            self.lineSearchTasks = lineSearchTasks
            self.lineSearchSeed = lineSearchSeed
        }
    }

    public init(config: ModelConfig, parameters: [Float], recipe: Recipe, origin: Origin) {
        self.config = config
        self.parameters = parameters
        self.recipe = recipe
        self.origin = origin
    }

    public var layout: ParameterLayout { AttentionStack(config).layout }

    public var history: TrainingHistory? {
        if case .trained(let record) = origin { return record.history }
        return nil
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

/// Errors in a checkpoint's content, naming the file and the path inside it.
public struct CheckpointError: Error, CustomStringConvertible {
    public let file: String
    public let path: String
    public let message: String
    public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}

extension Checkpoint {
    /// The attributes stored on `group` in the file at `path`, each as text, sorted by name: what the
    /// file holds (for `icl-zoo show`), read without interpretation.
    public static func storedAttributes(of group: String, in path: String) throws -> [(name: String, value: String)] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        return try file.attributeNames(at: group).map { name in
            if let value = try? file.intAttribute(name, at: group) { return (name, "\(value)") }
            if let value = try? file.doubleAttribute(name, at: group) { return (name, "\(value)") }
            return (name, try file.stringAttribute(name, at: group))
        }
    }
}
