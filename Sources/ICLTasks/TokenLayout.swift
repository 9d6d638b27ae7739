import ICLDescription

/// How a task becomes tokens: a recipe's `model.token_layout`, spelled as its raw value.
public enum TokenLayout: String, Choice, Sendable {
    /// `e_j = (x_j, y_j)`, query `(x_q, 0)` (Proposition 1).
    case paired
    /// `x_1, (0,…,0,y_1), x_2, …, x_q`, each d wide, with sinusoidal positions concatenated (Section 4).
    case alternating
    /// The same with one-hot positions of width T = 2N + 1 (Appendix A.5, the copy construction).
    case alternatingOneHot = "alternating_onehot"

    /// Inputs and targets in separate tokens.
    public var isAlternating: Bool { self != .paired }

    /// Tasks drawn as pairs `(x_j, y_j)`, in this layout: the one place the layout decides the tokens.
    @inlinable
    public func tokens<T: BinaryFloatingPoint>(from paired: TaskBatch<T>, inputDim: Int, positionalDim: Int)
        -> TaskBatch<T>
    {
        switch self {
        case .paired:
            return paired
        case .alternating, .alternatingOneHot:
            return AlternatingTokens.make(
                from: paired, inputDim: inputDim, positionalDim: positionalDim,
                oneHot: self == .alternatingOneHot)
        }
    }

    /// The same into an existing batch of this layout's shape (the training loop reuses one).
    @inlinable
    public func tokens<T: BinaryFloatingPoint>(
        from paired: TaskBatch<T>, into batch: inout TaskBatch<T>, inputDim: Int, positionalDim: Int
    ) {
        switch self {
        case .paired:
            batch = paired
        case .alternating, .alternatingOneHot:
            AlternatingTokens.make(
                from: paired, into: &batch, inputDim: inputDim, positionalDim: positionalDim,
                oneHot: self == .alternatingOneHot)
        }
    }
}
