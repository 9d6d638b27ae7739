import ICLMath
import ICLModels
import ICLTasks

/// Figure 5 (right): does the first layer copy each token's neighbour into it? For every output
/// token k of the first layer, the norm of the gradient of its feature sum with respect to input
/// token k itself, to its right neighbour k + 1, and the mean over all other tokens, averaged over
/// tokens and tasks. The full layer output is differentiated, residual included (so "own" is at
/// least about √D). The paper's copying construction (Proposition 3) drives "next" up.
public struct CopyingPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var own: Double
    public var next: Double
    public var others: Double
}

public enum Copying {
    /// The first parameter layer of a model as a one-layer model (its own weights, same names).
    public static func firstLayer(_ config: ModelConfig, _ parameters: [Float]) throws -> TrainedModel {
        guard config.architecture == .lsa || config.architecture == .softmax || config.architecture == .transformer else {
            throw AnalysisError("copying needs an attention model (got architecture '\(config.architecture.rawValue)')")
        }
        guard config.embeddingDim == 0, !config.mlpFirst else {
            throw AnalysisError("copying looks at the first attention layer on the raw tokens: this model embeds or applies an MLP first")
        }
        var one = config
        one.layers = 1
        one.recurrent = false
        one.attention = [config.attention[0]]
        one.clipTokens = nil
        one.mlpHidden = 0
        let stack = AttentionStack(config), first = AttentionStack(one)
        var values = [Float](repeating: 0, count: first.layout.count)
        for entry in first.layout.entries {
            guard let source = stack.layout.entry(named: entry.name) else {
                throw AnalysisError("the model has no parameter \(entry.name)")
            }
            values.replaceSubrange(entry.range, with: parameters[source.range])
        }
        return TrainedModel(config: one, parameters: values)
    }

    /// The three sensitivities of `layer` (a one-layer model) on `batch`.
    public static func sensitivities(of layer: TrainedModel, on batch: TaskBatch<Float>, step: Int = 0) -> CopyingPoint {
        let c = layer.config, stack = layer.stack
        let T = c.tokenCount, D = c.modelDim, B = batch.count
        let workspace = stack.makeWorkspace(batchSize: B, as: Float.self)
        workspace.computeAllTokens = true
        _ = stack.forward(parameters: layer.parameters, tokens: batch.tokens, count: B, workspace: workspace)
        var gradients = [Float](repeating: 0, count: layer.parameters.count)
        var seed = [Float](repeating: 0, count: B * T * D)
        var dTokens = [Float](repeating: 0, count: B * T * c.tokenDim)
        var own = 0.0, next = 0.0, others = 0.0, nextCount = 0.0
        for k in 0..<T {
            // ∂(Σ_f out_k[f]) / ∂ tokens, for every task at once.
            for b in 0..<B { for i in 0..<T { for f in 0..<D { seed[(b * T + i) * D + f] = i == k ? 1 : 0 } } }
            seed.withUnsafeBufferPointer { s in
                dTokens.withUnsafeMutableBufferPointer { d in
                    stack.backward(parameters: layer.parameters, dPredictions: [Float](repeating: 0, count: B * c.outputDim),
                                   workspace: workspace, gradients: &gradients, inputGradients: d.baseAddress!,
                                   outputGradients: s.baseAddress!)
                }
            }
            for b in 0..<B {
                func norm(_ j: Int) -> Double {
                    var sum = 0.0
                    for f in 0..<c.tokenDim { let g = Double(dTokens[(b * T + j) * c.tokenDim + f]); sum += g * g }
                    return sum.squareRoot()
                }
                own += norm(k)
                if k + 1 < T { next += norm(k + 1); nextCount += 1 }
                var rest = 0.0
                for j in 0..<T where j != k && j != k + 1 { rest += norm(j) }
                others += rest / Double(T - (k + 1 < T ? 2 : 1))
            }
        }
        return CopyingPoint(step: step, own: own / Double(B * T), next: next / max(nextCount, 1),
                            others: others / Double(B * T))
    }
}
