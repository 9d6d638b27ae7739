import ICLDescription

/// The task families a model is trained on: a recipe's `task.family`, spelled as its raw value.
public enum TaskFamily: String, Choice, Sendable, CustomStringConvertible {
    /// In-context linear regression, `y = W x` (Section 3): `LinearRegressionTasks`.
    case linearRegression = "linear-regression"
    /// Sine waves `y = a sin(x + b)` (Section 4, Figure 4): `SineTasks`.
    case sine

    /// The recipe's spelling, so messages and tables read `linear-regression`.
    public var description: String { rawValue }
}
