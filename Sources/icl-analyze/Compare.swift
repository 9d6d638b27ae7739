import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTasks

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss of two models on the same tasks, and the paper's three alignment measures.",
        discussion: """
        Tasks come from the first checkpoint's task settings, drawn with --seed (evaluation stream, \
        disjoint from training and validation tasks). Measures, averaged over tasks: prediction \
        difference |ŷ_A − ŷ_B|, cosine similarity of the sensitivities ∂ŷ/∂x_q, and the L2 norm of their difference.
        """)

    @Argument(help: "First checkpoint (.h5).")
    var a: String

    @Argument(help: "Second checkpoint (.h5).")
    var b: String

    // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
    // (by default ArgumentParser reads it as an option and reports a missing value).
    @Option(parsing: .unconditional, help: "Number of evaluation tasks (default: 10,000).")
    var tasks = 10_000

    @Option(help: "Seed of the evaluation tasks (default: 0).")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object (keys loss_a, loss_b, prediction_diff, sensitivity_cosine, sensitivity_diff, tasks).")
    var json = false

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
    }

    func run() throws {
        let checkpointA = try Checkpoint.read(a)
        let checkpointB = try Checkpoint.read(b)
        let ca = checkpointA.config, cb = checkpointB.config
        guard ca.inputDim == cb.inputDim, ca.outputDim == cb.outputDim, ca.contextSize == cb.contextSize else {
            throw UserError("\(b): its tasks (d = \(cb.inputDim), outputs \(cb.outputDim), N = \(cb.contextSize)) differ from \(a)'s (d = \(ca.inputDim), outputs \(ca.outputDim), N = \(ca.contextSize)); the models cannot be compared on the same tasks")
        }
        guard ca.outputDim == 1 else { throw UserError("\(a): alignment measures need a single output (output_dim is \(ca.outputDim))") }
        let batch = checkpointA.recipe.tasks.sample(count: tasks, seed: seed, stream: RandomStream.evaluation, as: Float.self)
        let report = Alignment.compare(TrainedModel(config: ca, parameters: checkpointA.parameters),
                                       TrainedModel(config: cb, parameters: checkpointB.parameters), on: batch)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("on \(tasks) tasks (seed \(seed)):")
        print(String(format: "  loss A              %.6f   %@", report.lossA, a))
        print(String(format: "  loss B              %.6f   %@", report.lossB, b))
        print(String(format: "  prediction diff     %.6f   mean |ŷ_A − ŷ_B|", report.predictionDiff))
        print(String(format: "  sensitivity cosine  %.6f   mean cos(∂ŷ_A/∂x_q, ∂ŷ_B/∂x_q)", report.sensitivityCosine))
        print(String(format: "  sensitivity diff    %.6f   mean ‖∂ŷ_A/∂x_q − ∂ŷ_B/∂x_q‖", report.sensitivityDiff))
    }
}
