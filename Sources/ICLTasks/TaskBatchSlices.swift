extension TaskBatch {
    /// The tasks in order, in consecutive slices of at most `size` tasks: how a batch larger than
    /// a model's workspace is run (validation, evaluation, rollouts). Each slice is made when reached.
    @inlinable
    public func slices(of size: Int) -> LazyMapSequence<StrideTo<Int>, TaskBatch<T>> {
        precondition(size > 0, "TaskBatch.slices: size must be positive")
        return stride(from: 0, to: count, by: size).lazy.map { slice($0..<Swift.min($0 + size, count)) }
    }
}
