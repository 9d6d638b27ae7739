import ICLDescription

/// What tasks a model is trained on: a recipe's `task` section. The sizes the model is built for
/// (`input_dim`, `output_dim`, `context_size`) are also stored under a checkpoint's `/model`.
public struct TaskDescription: Described, Equatable, Sendable {
    public var family = TaskFamily.linearRegression
    /// d: input width.
    public var inputDim = 10
    public var outputDim = 1
    /// N: context examples per task.
    public var contextSize = 10
    /// Inputs `x ~ U(−r/2, r/2)`: 1 is the authors' code, 2 the paper's text.
    public var inputRange = 1.0
    public var weightScale = 1.0
    /// Target noise: `y = W x + ε`, `ε ~ N(0, noise_std²)` (0: the paper's noiseless tasks).
    public var noiseStd = 0.0
    /// Sine family: amplitude range and whether the phase is drawn from the amplitude's number.
    public var amplitudeMin = 0.1
    public var amplitudeMax = 5.0
    public var correlatedPhase = false

    public init() {}

    public static let fields: [Field<TaskDescription>] = [
        Field("family", \.family),
        Field("input_dim", \.inputDim, .recipeAndModel),
        Field("output_dim", \.outputDim, .recipeAndModel),
        Field("context_size", \.contextSize, .recipeAndModel),
        Field("input_range", \.inputRange),
        Field("weight_scale", \.weightScale),
        Field("noise_std", \.noiseStd),
        Field("amplitude_min", \.amplitudeMin),
        Field("amplitude_max", \.amplitudeMax),
        Field("correlated_phase", \.correlatedPhase),
    ]
}
