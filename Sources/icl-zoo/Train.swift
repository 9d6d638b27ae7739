import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a recipe and write its checkpoint.",
        discussion: "Progress (step, loss, validation loss, steps/s, ETA) goes to stderr; the checkpoint path and final losses to stdout.")

    @Argument(help: "Recipe JSON file (default: \(Paths.defaultRecipe), a 1-layer LSA with the paper's settings).")
    var recipe: String = Paths.defaultRecipe

    @Option(help: "Random seed: fixes the initialisation, the training tasks and the validation tasks (default: the recipe's, 0).")
    var seed: UInt64?

    // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
    // (by default ArgumentParser reads it as an option and reports a missing value).
    @Option(parsing: .unconditional, help: "Training steps (default: the recipe's; 5,000 for lsa-1).")
    var steps: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Tasks per step (default: the recipe's; 2,048).")
    var batchSize: Int?

    @Option(help: "Checkpoint to write (default: zoo/models/<recipe name>/seed-<seed>.h5).")
    var out: String?

    @Flag(help: "Print plain progress lines even on a terminal.")
    var quiet = false

    func validate() throws {
        if let steps, steps < 0 { throw ValidationError("--steps must not be negative (got \(steps))") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        if let out, !out.hasSuffix(".h5") { throw ValidationError("--out must name an .h5 file (got \(out))") }
    }

    func run() throws {
        var r: Recipe
        do { r = try Recipe.load(recipe) } catch let error as RecipeError { throw UserError(error.message) }
        if let seed { r.training.seed = seed }
        if let steps { r.training.steps = steps }
        if let batchSize { r.training.batchSize = batchSize }
        let trainer: Trainer
        do { trainer = try Trainer(recipe: r) } catch let error as RecipeError { throw UserError("\(recipe): \(error.message)") }
        let path = out ?? Paths.checkpoint(recipe: r.name, seed: r.training.seed)
        let progress = ProgressLine(label: "\(r.name) seed \(r.training.seed)", live: quiet ? false : isatty(STDERR_FILENO) != 0)
        let result = trainer.run { progress.update($0) }
        let checkpoint = Checkpoint(config: trainer.recipe.modelConfig, parameters: result.parameters, recipe: trainer.recipe,
                                    origin: .trained(.init(history: result.history, seconds: result.seconds)))
        try checkpoint.write(to: path)
        let h = result.history
        print("wrote \(path)")
        print(String(format: "final train loss %.6f, validation loss %.6f (%d tasks), %.1f s, %.2f ms/step",
                     h.trainLoss.last ?? .nan, h.validationLoss.last ?? .nan, r.training.validationTasks,
                     result.seconds, r.training.steps > 0 ? 1000 * result.seconds / Double(r.training.steps) : 0))
    }
}
