import ICLMath
import ICLModels
import ICLTasks

/// A model with its weights, as analysis sees it: whatever it came from (training, a construction,
/// a checkpoint), it predicts and it has input sensitivities.
public struct TrainedModel: Sendable {
    public let stack: AttentionStack
    public let parameters: [Float]

    public init(config: ModelConfig, parameters: [Float]) {
        stack = AttentionStack(config)
        precondition(parameters.count == stack.layout.count, "parameters do not fit the model's layout")
        self.parameters = parameters
    }

    public var config: ModelConfig { stack.config }

    /// `batch` in this model's token layout: analyses draw paired tasks `(x_j, y_j)`, and a model on
    /// alternating tokens sees the same tasks rearranged (so models of both layouts can be compared).
    public func inLayout(_ batch: TaskBatch<Float>) -> TaskBatch<Float> {
        let c = config
        // Paired tasks have N + 1 tokens; a batch already in the model's layout is passed through.
        guard batch.tokenCount == c.contextSize + 1 else { return batch }
        return c.tokenLayout.tokens(from: batch, inputDim: c.inputDim, positionalDim: c.positionalDim)
    }

    /// Runs the forward pass over `paired` (in this model's layout) in slices of at most `sliceSize`
    /// tasks, handing `body` each slice, its predictions and the workspace holding its pass (for a
    /// backward pass): the one loop every evaluation of a model goes through.
    public func forwardInSlices(
        _ paired: TaskBatch<Float>, sliceSize: Int,
        _ body: (_ part: TaskBatch<Float>, _ predictions: [Float], _ workspace: Workspace<Float>) -> Void
    ) {
        let batch = inLayout(paired)
        let workspace = stack.makeWorkspace(batchSize: min(sliceSize, batch.count), as: Float.self)
        for part in batch.slices(of: sliceSize) {
            body(
                part,
                stack.forward(parameters: parameters, tokens: part.tokens, count: part.count, workspace: workspace),
                workspace)
        }
    }

    /// Predictions `[B, outputDim]` and, for every task, the sensitivity `∂ŷ/∂x_q` of the (first)
    /// output to the query's input part (`[B, d]`), from the backward pass with `dŷ = 1` per task.
    public func predictionsAndSensitivities(_ paired: TaskBatch<Float>, sliceSize: Int = 4_096)
        -> (predictions: [Float], sensitivities: [Float])
    {
        let c = config
        let d = c.inputDim, D = c.tokenDim, T = c.tokenCount
        var predictions: [Float] = []
        var sensitivities: [Float] = []
        predictions.reserveCapacity(paired.count * c.outputDim)
        sensitivities.reserveCapacity(paired.count * d)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dTokens = [Float](repeating: 0, count: min(sliceSize, paired.count) * T * D)
        forwardInSlices(paired, sliceSize: sliceSize) { part, y, workspace in
            predictions += y
            var dPredictions = [Float](repeating: 0, count: part.count * c.outputDim)
            for b in 0..<part.count { dPredictions[b * c.outputDim] = 1 }
            dTokens.withUnsafeMutableBufferPointer { buffer in
                stack.backward(
                    parameters: parameters, dPredictions: dPredictions, workspace: workspace,
                    gradients: &gradients, inputGradients: buffer.baseAddress!)
            }
            for b in 0..<part.count {
                let query = (b * T + T - 1) * D  // the query token is last in every layout
                sensitivities += dTokens[query..<(query + d)]
            }
        }
        return (predictions, sensitivities)
    }
}
