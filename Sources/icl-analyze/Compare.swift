import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTasks
import ICLTraining

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

    @Argument(help: "Second checkpoint (.h5); leave out with --against.")
    var b: String?

    @Option(
        help: ArgumentHelp(
            "Compare with a baseline instead of a second checkpoint (default: none). \(AgainstHelp.text).",
            valueName: "baseline"))
    var against: String?

    @Option(
        name: .customLong("gd-steps"), parsing: .unconditional,
        help: "Steps of the --against gd baseline (default: A's number of layers; same as gd:K).")
    var gdSteps: Int?

    // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
    // (by default ArgumentParser reads it as an option and reports a missing value).
    @Option(parsing: .unconditional, help: "Number of evaluation tasks.")
    var tasks = 10_000

    @Option(help: "Seed of the evaluation tasks.")
    var seed: UInt64 = 0

    @Flag(
        help:
            "Print one JSON object (keys loss_a, loss_b, prediction_diff, sensitivity_cosine, sensitivity_diff, tasks)."
    )
    var json = false

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
        if let gdSteps, gdSteps < 1 { throw ValidationError("--gd-steps must be at least 1 (got \(gdSteps))") }
        switch (b, against) {
        case (nil, nil): throw ValidationError("give a second checkpoint or --against gd (or another baseline)")
        case (.some, .some): throw ValidationError("give a second checkpoint or --against, not both")
        case (nil, let baseline?): _ = try BaselineSpec.parseAll([baseline], option: "--against")
        default: break
        }
    }

    func run() throws {
        let checkpointA = try Checkpoint.read(a)
        let ca = checkpointA.config
        guard ca.outputDim == 1 else {
            throw UserError("\(a): alignment measures need a single output (output_dim is \(ca.outputDim))")
        }
        // The same tasks for both models, drawn paired from A's family; a model on alternating
        // tokens sees them rearranged.
        let source = checkpointA.recipe.taskSource
        let paired = TaskSource(family: source.family, layout: .paired, positionalDim: 0)
        let batch = paired.sample(count: tasks, seed: seed, stream: RandomStream.evaluation, as: Float.self)
        let modelA = TrainedModel(config: ca, parameters: checkpointA.parameters)
        let modelB: any InContextPredictor
        let nameB: String
        if let b {
            let checkpointB = try Checkpoint.read(b)
            let cb = checkpointB.config
            guard checkpointA.recipe.task.family == checkpointB.recipe.task.family,
                ca.inputDim == cb.inputDim, ca.outputDim == cb.outputDim, ca.contextSize == cb.contextSize
            else {
                throw UserError(
                    "\(b): its tasks (\(checkpointB.recipe.task.family), d = \(cb.inputDim), outputs \(cb.outputDim), N = \(cb.contextSize)) differ from \(a)'s (\(checkpointA.recipe.task.family), d = \(ca.inputDim), outputs \(ca.outputDim), N = \(ca.contextSize)); the models cannot be compared on the same tasks"
                )
            }
            try requireSameTasks([(a, checkpointA.recipe), (b, checkpointB.recipe)])
            modelB = TrainedModel(config: cb, parameters: checkpointB.parameters)
            nameB = b
        } else {
            guard checkpointA.recipe.task.family == .linearRegression else {
                throw UserError(
                    "\(a): --against needs linear-regression tasks (this model's are '\(checkpointA.recipe.task.family)')"
                )
            }
            let baseline = try loadBaselines([against!])[0].baseline
            let resolved: (name: String, predictor: any InContextPredictor)
            do {
                resolved = try baseline.predictor(
                    tasks: checkpointA.recipe.tasks, batch: batch, seed: seed, defaultSteps: gdSteps ?? ca.layers)
            } catch let error as AnalysisError { throw UserError("\(a): \(error.message)") }
            modelB = resolved.predictor
            nameB = resolved.name + (resolved.name.hasPrefix("GD") ? " (η line-searched on these tasks)" : "")
        }
        let report = Alignment.compare(modelA, modelB, on: batch)
        if json {
            try OutputOptions.printJSON(report)  // an infinite loss prints as "Infinity", not an encoding error
            return
        }
        print("on \(tasks) tasks (seed \(seed)):")
        print(String(format: "  loss A              %.6f   %@", report.lossA, a))
        print(String(format: "  loss B              %.6f   %@", report.lossB, nameB))
        print(String(format: "  prediction diff     %.6f   mean |ŷ_A − ŷ_B|", report.predictionDiff))
        print(String(format: "  sensitivity cosine  %.6f   mean cos(∂ŷ_A/∂x_q, ∂ŷ_B/∂x_q)", report.sensitivityCosine))
        print(String(format: "  sensitivity diff    %.6f   mean ‖∂ŷ_A/∂x_q − ∂ŷ_B/∂x_q‖", report.sensitivityDiff))
    }
}
