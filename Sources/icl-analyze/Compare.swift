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

    @Option(help: "Compare with a baseline built on the fly instead of a second checkpoint: 'gd' (gradient descent with as many steps as A has layers, η line-searched on the evaluation tasks) (default: none).")
    var against: String?

    @Option(name: .customLong("gd-steps"), parsing: .unconditional, help: "Steps of the --against gd baseline (default: A's number of layers).")
    var gdSteps: Int?

    // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
    // (by default ArgumentParser reads it as an option and reports a missing value).
    @Option(parsing: .unconditional, help: "Number of evaluation tasks.")
    var tasks = 10_000

    @Option(help: "Seed of the evaluation tasks.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object (keys loss_a, loss_b, prediction_diff, sensitivity_cosine, sensitivity_diff, tasks).")
    var json = false

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
        if let gdSteps, gdSteps < 1 { throw ValidationError("--gd-steps must be at least 1 (got \(gdSteps))") }
        switch (b, against) {
        case (nil, nil): throw ValidationError("give a second checkpoint or --against gd")
        case (.some, .some): throw ValidationError("give a second checkpoint or --against, not both")
        case (nil, let baseline?) where baseline != "gd":
            throw ValidationError("--against takes 'gd' (got '\(baseline)'); for GD++ pass a trained gdpp checkpoint as the second file")
        default: break
        }
    }

    func run() throws {
        let checkpointA = try Checkpoint.read(a)
        let ca = checkpointA.config
        guard ca.outputDim == 1 else { throw UserError("\(a): alignment measures need a single output (output_dim is \(ca.outputDim))") }
        // The same tasks for both models, drawn paired from A's family; a model on alternating
        // tokens sees them rearranged.
        let source = checkpointA.recipe.taskSource
        let paired = TaskSource(family: source.family, layout: .paired, positionalDim: 0)
        let batch = paired.sample(count: tasks, seed: seed, stream: RandomStream.evaluation, as: Float.self)
        let modelA = TrainedModel(config: ca, parameters: checkpointA.parameters)
        let modelB: TrainedModel
        let nameB: String
        if let b {
            let checkpointB = try Checkpoint.read(b)
            let cb = checkpointB.config
            guard checkpointA.recipe.task.family == checkpointB.recipe.task.family,
                  ca.inputDim == cb.inputDim, ca.outputDim == cb.outputDim, ca.contextSize == cb.contextSize else {
                throw UserError("\(b): its tasks (\(checkpointB.recipe.task.family), d = \(cb.inputDim), outputs \(cb.outputDim), N = \(cb.contextSize)) differ from \(a)'s (\(checkpointA.recipe.task.family), d = \(ca.inputDim), outputs \(ca.outputDim), N = \(ca.contextSize)); the models cannot be compared on the same tasks")
            }
            modelB = TrainedModel(config: cb, parameters: checkpointB.parameters)
            nameB = b
        } else {
            guard checkpointA.recipe.task.family == "linear-regression" else {
                throw UserError("\(a): --against gd needs linear-regression tasks (this model's are '\(checkpointA.recipe.task.family)')")
            }
            let steps = gdSteps ?? ca.layers
            let gd = ModelConfig(layers: steps, recurrent: true, inputDim: ca.inputDim, outputDim: ca.outputDim, contextSize: ca.contextSize)
            let search = LineSearch.search(batch.converted(to: Double.self), inputDim: ca.inputDim, steps: steps)
            modelB = TrainedModel(config: gd, parameters: Construction.gradientDescent(gd, etas: [search.bestEta]).map { Float($0) })
            nameB = String(format: "GD, %d step(s), η = %.4f (line search on these tasks)", steps, search.bestEta)
        }
        let report = Alignment.compare(modelA, modelB, on: batch)
        if json {
            try OutputOptions.printJSON(report)   // an infinite loss prints as "Infinity", not an encoding error
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
