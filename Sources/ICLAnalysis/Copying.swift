import ICLMath
import ICLModels
import ICLTasks

/// Figure 5 (right): does the first layer copy each token's neighbour into it? For an output
/// token k of the first layer, the gradient of its feature sum `t_k = Σ_f out_k[f]` with respect to
/// input token j: "own" at j = k, "next" at j = k + 1, "others" over the remaining tokens. The full
/// layer output is differentiated, residual included. The paper's copying construction
/// (Proposition 3) drives "next" up. `CopyingMeasure` says how tasks and tokens are averaged.
public struct CopyingPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var own: Double
    public var next: Double
    public var others: Double
}

/// Two ways to average the sensitivities over tasks; they differ wherever the gradients change
/// sign between tasks (the norm of a mean is at most the mean of the norms).
public enum CopyingMeasure: String, CaseIterable, Codable, Sendable {
    /// The authors' code (the default, comparable with the paper's Figure 5): for each of the 2N − 1
    /// non-query context tokens k = 0 … 2N − 2, the gradient of `t_k` with respect to the raw input
    /// tokens (their first d features, before the position code) is averaged over the tasks first;
    /// then the L2 norm is taken per source token j. own = the norm at j = k, next = at j = k + 1,
    /// others = the sum of the norms at every j ≠ k (k + 1 and the query included) divided by 2N − 1;
    /// each averaged over k. The residual path alone gives own = √d (√10 for the paper's tokens).
    case authors
    /// Our first measure: the norm of each task's own gradient (over all features of the token),
    /// averaged over tasks and over every output token k; others = the mean over j ∉ {k, k + 1}.
    case perTask = "per-task"
}

public enum Copying {
    /// The first parameter layer of a model as a one-layer model (its own weights, same names).
    public static func firstLayer(_ config: ModelConfig, _ parameters: [Float]) throws -> TrainedModel {
        guard config.architecture == .lsa || config.architecture == .softmax || config.architecture == .transformer
        else {
            throw AnalysisError("copying needs an attention model (got architecture '\(config.architecture.rawValue)')")
        }
        guard config.embeddingDim == 0, !config.mlpFirst else {
            throw AnalysisError(
                "copying looks at the first attention layer on the raw tokens: this model embeds or applies an MLP first"
            )
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

    /// The three sensitivities of `layer` (a one-layer model) on `batch`, by `measure`.
    public static func sensitivities(
        of layer: TrainedModel, on batch: TaskBatch<Float>, step: Int = 0,
        measure: CopyingMeasure = .authors
    ) -> CopyingPoint {
        let c = layer.config
        let T = c.tokenCount, W = c.tokenDim, B = batch.count
        let workspace = layer.stack.makeWorkspace(batchSize: B, as: Float.self)
        workspace.computeAllTokens = true
        _ = layer.stack.forward(parameters: layer.parameters, tokens: batch.tokens, count: B, workspace: workspace)
        func tokenGradients(_: TrainedModel, _: TaskBatch<Float>, outputToken k: Int) -> [Float] {
            Copying.tokenGradients(layer, after: workspace, count: B, outputToken: k)
        }
        var own = 0.0, next = 0.0, others = 0.0, nextCount = 0.0
        switch measure {
        case .authors:
            let d = c.inputDim, outputs = T - 2  // k = 0 … 2N − 2; the raw token is the first d features
            for k in 0..<outputs {
                let g = tokenGradients(layer, batch, outputToken: k)
                var mean = [Double](repeating: 0, count: T * d)
                for b in 0..<B {
                    for j in 0..<T { for f in 0..<d { mean[j * d + f] += Double(g[(b * T + j) * W + f]) } }
                }
                let norms = (0..<T).map { j in
                    (0..<d).reduce(0.0) { $0 + (mean[j * d + $1] / Double(B)) * (mean[j * d + $1] / Double(B)) }
                        .squareRoot()
                }
                own += norms[k]
                next += norms[k + 1]
                others += (0..<T).filter { $0 != k }.reduce(0.0) { $0 + norms[$1] } / Double(outputs)
            }
            return CopyingPoint(
                step: step, own: own / Double(outputs), next: next / Double(outputs), others: others / Double(outputs))
        case .perTask:
            for k in 0..<T {
                let g = tokenGradients(layer, batch, outputToken: k)
                for b in 0..<B {
                    func norm(_ j: Int) -> Double {
                        (0..<W).reduce(0.0) { $0 + Double(g[(b * T + j) * W + $1]) * Double(g[(b * T + j) * W + $1]) }
                            .squareRoot()
                    }
                    own += norm(k)
                    if k + 1 < T { next += norm(k + 1); nextCount += 1 }
                    var rest = 0.0
                    for j in 0..<T where j != k && j != k + 1 { rest += norm(j) }
                    others += rest / Double(T - (k + 1 < T ? 2 : 1))
                }
            }
            return CopyingPoint(
                step: step, own: own / Double(B * T), next: next / max(nextCount, 1), others: others / Double(B * T))
        }
    }

    /// `∂(Σ_f out_k[f]) / ∂ tokens` for every task of the forward pass in `workspace` (run with
    /// `computeAllTokens`): `[B, T, tokenDim]`.
    static func tokenGradients(
        _ layer: TrainedModel, after workspace: Workspace<Float>, count B: Int, outputToken k: Int
    ) -> [Float] {
        let c = layer.config, stack = layer.stack
        let T = c.tokenCount, D = c.modelDim
        var gradients = [Float](repeating: 0, count: layer.parameters.count)
        var seed = [Float](repeating: 0, count: B * T * D)
        for b in 0..<B { for f in 0..<D { seed[(b * T + k) * D + f] = 1 } }
        var dTokens = [Float](repeating: 0, count: B * T * c.tokenDim)
        seed.withUnsafeBufferPointer { s in
            dTokens.withUnsafeMutableBufferPointer { d in
                stack.backward(
                    parameters: layer.parameters, dPredictions: [Float](repeating: 0, count: B * c.outputDim),
                    workspace: workspace, gradients: &gradients, inputGradients: d.baseAddress!,
                    outputGradients: s.baseAddress!)
            }
        }
        return dTokens
    }
}
