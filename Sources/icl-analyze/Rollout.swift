import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath

struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract:
            "Apply one layer again and again with dampened target updates; the loss after each application (Appendix A.6, Figures 1, 10).",
        discussion: """
            Each application computes the layer's update of every token and moves only the targets, y ← y + λ·Δy; the \
            inputs x are left as they are. For the GD construction this is gradient descent with learning rate λ·η. \
            Loss after k applications uses ŷ = −y of the query, as in training. Tasks come from the first checkpoint's \
            settings; all models see the same tasks.
            """)

    @Argument(
        help:
            "Checkpoints (.h5) with one parameter layer (a 1-layer or recurrent model; see --layer), all on one figure."
    )
    var checkpoints: [String]

    @Option(help: "Applications of the layer.")
    var steps = 50

    @Option(
        name: .customLong("lambda"), parsing: .singleValue,
        help: ArgumentHelp(
            "Dampening λ in y ← y + λ·Δy; several as a list (1,0.9,0.75,0.5: Figure 10) or by repeating, all on one figure (default: 0.75).",
            valueName: "λ"))
    var lambdaValues: [String] = []

    /// The λ values asked for, in order.
    var lambdas: [Double] {
        let values = lambdaValues.flatMap {
            $0.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
        }
        return values.isEmpty ? [0.75] : values
    }

    @Option(
        help:
            "Which parameter layer to repeat in models with several (default: the only one; needed when there are several)."
    )
    var layer: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one checkpoint") }
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        if let bad = lambdas.first(where: { !$0.isFinite }) {
            throw ValidationError(
                "--lambda must be finite numbers, e.g. 0.75 or 1,0.9,0.75,0.5 (got \(lambdaValues.joined(separator: " ")); \(bad))"
            )
        }
        if let layer, layer < 0 { throw ValidationError("--layer must not be negative (got \(layer))") }
    }

    func run() throws {
        let loaded = try LoadedModel.all(checkpoints)
        try requireSameTasks(loaded)
        let base = try loaded[0].linearTasks()
        var layers: [TrainedModel] = []
        for m in loaded {
            if let problem = Evaluation.mismatch(m.model.config, base) {
                throw UserError("\(m.path): \(problem) (tasks of \(loaded[0].path))")
            }
            let count = m.model.config.parameterLayers
            if layer == nil && count > 1 {
                throw UserError(
                    "\(m.path): the model has \(count) separate layers; choose the one to repeat with --layer 0…\(count - 1)"
                )
            }
            layers.append(try m.analyse { try Rollout.singleLayer(m.model, layer: layer ?? 0) })
        }
        let batch = base.sample(count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
        let lambda = lambdas[0]
        // λ-major: Figure 10's order (each λ, then each model).
        let curves = lambdas.flatMap { lambda in
            zip(loaded, layers).map { Rollout.curve(name: $0.name, $1, on: batch, steps: steps, lambda: lambda) }
        }

        if output.json {
            struct Report: Encodable {
                let lambda: Double; let lambdas: [Double]; let steps: Int; let tasks: Int; let seed: UInt64;
                let curves: [RolloutCurve]
            }
            try output.printJSON(
                Report(
                    lambda: lambda, lambdas: lambdas, steps: steps, tasks: output.tasks, seed: output.seed,
                    curves: curves))
        } else {
            print(
                "rollout with y ← y + λ·Δy, λ = \(lambdas.map(number).joined(separator: ", ")), \(output.tasks) tasks (seed \(output.seed))\(layer.map { ", layer \($0)" } ?? ""):"
            )
            for (k, c) in curves.enumerated() {
                print("  [\(k + 1)] \(c.name), λ = \(number(c.lambda))  \(loaded[k % loaded.count].path)")
            }
            print("  " + pad("step", 5) + curves.indices.map { pad("[\($0 + 1)]", 13) }.joined())
            for step in 0...steps {
                print("  " + pad(String(step), 5) + curves.map { pad(number($0.losses[step]), 13) }.joined())
            }
        }
        let header = curves.map { csvField(lambdas.count > 1 ? "\($0.name) lambda=\(number($0.lambda))" : $0.name) }
        try output.writeCSV(
            header: ["step"] + header,
            rows: (0...steps).map { step in [String(step)] + curves.map { String($0.losses[step]) } })
        try output.writeFigure { Figures.rollout(curves) }
    }
}
