import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss along the straight line between two models' scale-corrected weight products (Appendix A.3).",
        discussion: """
            Each parameter layer's W_KQ = W_Kᵀ W_Q is divided by β, the mean of its first d diagonal entries, \
            and W_PV = P W_V multiplied by β (the layer computes the same function); then W(α) = (1 − α)·W_A + α·W_B \
            for both products, α from 0 (model A) to 1 (model B). The midpoint α = 0.5 is the paper's "interpolated" \
            model; it is also compared with B by the alignment measures. Single-head linear attention only, with the same \
            number of layers and the same recurrence in A and B. Tasks come from A's task settings.
            """)

    @Argument(help: "Model A, at α = 0 (.h5): typically a trained model.")
    var a: String

    @Argument(help: "Model B, at α = 1 (.h5): typically the GD construction.")
    var b: String

    @Option(help: "Evenly spaced values of α from 0 to 1.")
    var steps = 21

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if steps < 2 { throw ValidationError("--steps must be at least 2 (got \(steps))") }
    }

    func run() throws {
        let models = try [a, b].map(LoadedModel.init)
        try requireSameTasks(models)
        let (ma, mb) = (models[0], models[1])
        for m in models {
            if let reason = Interpolation.inapplicability(m.model.config) { throw UserError("\(m.path): \(reason)") }
        }
        if let problem = Interpolation.incompatibility(ma.model.config, mb.model.config) {
            throw UserError("\(b): \(problem) (A is \(a))")
        }
        let tasks = try ma.linearTasks()
        let batch = tasks.sample(
            count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
        let curve = try ma.analyse {
            try Interpolation.curve(ma.model, mb.model, alphas: Interpolation.alphas(count: steps), on: batch)
        }

        if output.json {
            try output.printJSON(curve)
        } else {
            print("interpolation of corrected products, \(output.tasks) tasks (seed \(output.seed)):")
            print("  A (α = 0)  \(ma.name)  \(a)  β = \(curve.betasA.map(number).joined(separator: ", "))")
            print("  B (α = 1)  \(mb.name)  \(b)  β = \(curve.betasB.map(number).joined(separator: ", "))")
            print("  loss A (own weights)        \(number(curve.lossA))")
            print("  loss B (own weights)        \(number(curve.lossB))")
            print("  loss at the midpoint α=0.5  \(number(curve.midpointLoss))")
            let m = curve.midpointAlignment
            print(
                "  midpoint vs B: prediction diff \(number(m.predictionDiff)), sensitivity cosine \(number(m.sensitivityCosine)), "
                    + "sensitivity diff \(number(m.sensitivityDiff))")
            print("     α  loss")
            for (alpha, loss) in zip(curve.alphas, curve.losses) {
                print("  \(String(format: "%.3f", alpha))  \(number(loss))")
            }
        }
        try output.writeCSV(
            header: ["alpha", "loss"], rows: zip(curve.alphas, curve.losses).map { [String($0), String($1)] })
        try output.writeFigure { Figures.interpolation(curve, nameA: ma.name, nameB: mb.name) }
    }
}
