import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTasks
import ICLTraining

struct Construct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a hand-constructed model as a checkpoint.",
        subcommands: [GD.self, GDPlusPlus.self, Copy.self])
}

extension Construct {
    struct GD: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gd",
            abstract:
                "The Proposition 1 construction: L linear self-attention layers that each take one gradient-descent step.",
            discussion: """
                Without --eta, η is found by line search (grid [0.001, 25) step 0.1, then golden-section refinement) \
                on --tasks tasks drawn with --seed, for L GD steps sharing one η. The loss curve over η is stored \
                in the checkpoint under /construction/line_search.
                """)

        // parsing: .unconditional takes `-5` as the value, so validate() can say what is wrong with it
        // (by default ArgumentParser reads it as an option and reports a missing value).
        @Option(parsing: .unconditional, help: "Number of layers, i.e. of GD steps.")
        var layers = 1

        @Flag(help: "One layer applied L times instead of L separate layers.")
        var recurrent = false

        @Option(parsing: .unconditional, help: "Learning rate η (default: line search).")
        var eta: Double?

        @Option(parsing: .unconditional, help: "Tasks for the line search.")
        var tasks = 10_000

        @Option(help: "Seed of the line-search tasks.")
        var seed: UInt64 = 0

        @Option(help: "Recipe (a file, or a name in zoo/) whose task section describes the tasks.")
        var recipe: String = Paths.defaultRecipe

        @Option(help: "Checkpoint to write (default: zoo/models/gd-<L>/construction.h5).")
        var out: String?

        func validate() throws {
            if layers < 1 { throw ValidationError("--layers must be at least 1 (got \(layers))") }
            if let eta, !(eta > 0) { throw ValidationError("--eta must be positive (got \(eta))") }
            if tasks < 1 { throw ValidationError("--tasks must be at least 1 (got \(tasks))") }
        }

        func run() throws {
            var r: Recipe
            do { r = try Recipe.load(Recipe.locate(recipe)) } catch let error as RecipeError {
                throw UserError(error.message)
            }
            r.name = "gd-\(layers)"
            r.description = "Proposition 1 construction: \(layers) step(s) of gradient descent"
            r.model = ModelDescription()
            r.model.layers = layers
            r.model.recurrent = recurrent
            r.training.steps = 0
            r = r.resolved()
            let config = r.modelConfig
            var record: Checkpoint.ConstructionRecord
            if let eta {
                record = .init(method: "gd", etas: Array(repeating: eta, count: config.parameterLayers))
            } else {
                let batch = r.tasks.sample(count: tasks, seed: seed, stream: RandomStream.evaluation, as: Double.self)
                let search = LineSearch.search(batch, inputDim: config.inputDim, steps: layers)
                print(
                    String(
                        format: "line search over %d values of η on %d tasks: best η = %.6f, loss %.6f",
                        search.etas.count, tasks, search.bestEta, search.bestLoss))
                record = .init(
                    method: "gd", etas: Array(repeating: search.bestEta, count: config.parameterLayers),
                    lineSearchEtas: search.etas, lineSearchLosses: search.losses,
                    lineSearchTasks: Int64(tasks), lineSearchSeed: Int64(bitPattern: seed))
            }
            let parameters = Construction.gradientDescent(config, etas: record.etas).map { Float($0) }
            let path = out ?? "zoo/models/\(r.name)\(recurrent ? "-recurrent" : "")/construction.h5"
            try Checkpoint(config: config, parameters: parameters, recipe: r, origin: .constructed(record)).write(
                to: path)
            print("wrote \(path)")
        }
    }
}

extension Construct {
    struct GDPlusPlus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gdpp",
            abstract: "The linear self-attention weights that compute a stored GD or GD++ model (Appendix A.10).",
            discussion: """
                Reads a checkpoint of architecture gd or gdpp (trained η, γ) and writes an lsa checkpoint whose \
                layers are W_Q = W_K = [[I, 0], [0, 0]], W_V = −I, P = diag(γ·1_d, (η/N)·1), so the analyses of \
                attention weights run on either form.
                """)

        @Argument(help: "A gd or gdpp checkpoint (.h5).")
        var from: String

        @Option(
            help:
                "Checkpoint to write (default: for DIR/NAME/seed-S.h5, DIR/NAME-lsa/construction-seed-S.h5, outside the seeds' folder; otherwise beside the input, with -lsa before .h5)."
        )
        var out: String?

        func run() throws {
            let source = try Checkpoint.read(from)
            let c = source.config
            guard c.architecture.isGradientDescent else {
                throw UserError("\(from): architecture is '\(c.architecture.rawValue)', not gd or gdpp")
            }
            let (config, weights) = GradientDescentWeights.attentionForm(c, source.parameters)
            var recipe = source.recipe
            recipe.name += "-lsa"
            recipe.model.architecture = .lsa
            let (etas, gammas) = GradientDescentWeights.etasAndGammas(c, source.parameters)
            let path = out ?? Self.defaultPath(from: from)
            let record = Checkpoint.ConstructionRecord(method: c.architecture.rawValue, etas: etas, gammas: gammas)
            try Checkpoint(config: config, parameters: weights, recipe: recipe, origin: .constructed(record)).write(
                to: path)
            print("wrote \(path) (η = \(etas), γ = \(gammas))")
        }

        /// Where the construction goes without --out: never among a recipe's seed files (where
        /// `curves DIR/*.h5` would take it for a seed), and never with a name that looks like one.
        static func defaultPath(from: String) -> String {
            let url = URL(fileURLWithPath: from)
            let file = url.deletingPathExtension().lastPathComponent
            if file.hasPrefix("seed-"), Int(file.dropFirst(5)) != nil {
                let folder = url.deletingLastPathComponent()
                return folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + "-lsa")
                    .appendingPathComponent("construction-" + file + ".h5").path
            }
            return url.deletingPathExtension().path + "-lsa.h5"
        }
    }
}

extension Construct {
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract:
                "The Proposition 3 construction: one linear attention layer that copies each target next to its input.",
            discussion: """
                Tokens alternate x_1, (0,…,0,y_1), …, x_q with one-hot positions of width 2N + 1 (token_layout \
                alternating_onehot). After the layer every x token holds (x_m, y_m) zero-padded: Proposition 1's tokens.
                """)

        @Option(help: "Recipe (a file, or a name in zoo/) whose task section gives d and N.")
        var recipe: String = Paths.defaultRecipe

        @Option(help: "Checkpoint to write.")
        var out = "zoo/models/copy/construction.h5"

        func run() throws {
            var r: Recipe
            do { r = try Recipe.load(Recipe.locate(recipe)) } catch let error as RecipeError {
                throw UserError(error.message)
            }
            guard r.task.family == .linearRegression else {
                throw UserError("\(recipe): the copy construction needs linear-regression tasks")
            }
            r.name = "copy"
            r.description =
                "Proposition 3 construction: copies each target into the position slot of the input token before it"
            r.model = ModelDescription()
            r.model.tokenLayout = .alternatingOneHot
            r.model.positionalDim = 2 * r.task.contextSize + 1
            r.training.steps = 0
            r = r.resolved()
            let config = r.modelConfig
            if let problem = config.problems().first { throw UserError("\(recipe): \(problem)") }
            guard config.tokenCount >= config.inputDim else {
                throw UserError(
                    "\(recipe): the copy construction needs 2N + 1 ≥ d (N = \(config.contextSize), d = \(config.inputDim))"
                )
            }
            let parameters = Construction.copy(config).map { Float($0) }
            try Checkpoint(
                config: config, parameters: parameters, recipe: r,
                origin: .constructed(.init(method: "copy", etas: []))
            ).write(to: out)
            print("wrote \(out)")
        }
    }
}
