import ICLModels
import ICLTasks

/// A recipe's tasks as the model sees them: a task family, then the token layout.
public struct TaskSource: Sendable {
    public enum Family: Sendable {
        case linearRegression(LinearRegressionTasks)
        case sine(SineTasks)
    }

    public let family: Family
    public let layout: ModelConfig.TokenLayout
    public let positionalDim: Int

    public init(family: Family, layout: ModelConfig.TokenLayout, positionalDim: Int) {
        self.family = family
        self.layout = layout
        self.positionalDim = positionalDim
    }

    /// Draws into an existing batch of the right shape (the training loop reuses one). Inlinable, so
    /// that it is specialised for the element type: generic, the batches it allocates were filled
    /// entry by entry through value witnesses.
    @inlinable
    public func sample<T: BinaryFloatingPoint>(into batch: inout TaskBatch<T>, seed: UInt64, stream: UInt64) {
        switch family {
        case .linearRegression(let tasks) where layout == .paired:
            tasks.sample(into: &batch, seed: seed, stream: stream)
        case .linearRegression(let tasks):
            let paired: TaskBatch<T> = tasks.sample(count: batch.count, seed: seed, stream: stream)
            layout.tokens(from: paired, into: &batch, inputDim: tasks.inputDim, positionalDim: positionalDim)
        case .sine:
            batch = sample(count: batch.count, seed: seed, stream: stream)
        }
    }

    @inlinable
    public func sample<T: BinaryFloatingPoint>(count: Int, seed: UInt64, stream: UInt64, as _: T.Type = T.self)
        -> TaskBatch<T>
    {
        switch family {
        case .sine(let tasks):
            return tasks.sample(count: count, seed: seed, stream: stream)
        case .linearRegression(let tasks):
            let paired: TaskBatch<T> = tasks.sample(count: count, seed: seed, stream: stream)
            return layout.tokens(from: paired, inputDim: tasks.inputDim, positionalDim: positionalDim)
        }
    }
}
