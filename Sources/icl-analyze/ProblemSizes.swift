import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath

struct ProblemSizesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "problem-sizes",
        abstract:
            "Loss of GD, the trained layers and their interpolation against the problem size N = N_x (Figure 2 centre right).",
        discussion: """
            Checkpoints are grouped by recipe (e.g. lsa-1-n5, lsa-1, lsa-1-n15, lsa-1-n20: one problem size each, several \
            seeds). For each recipe, --tasks evaluation tasks of its task settings (--seed) are drawn; GD takes as many \
            steps as the models have layers, with η line-searched on those tasks (the paper's control model); the GD \
            construction with that η (Proposition 1) is the other end of each model's interpolation θ₁ = (θ + θ_GD)/2 of the \
            scale-corrected weight products (as `interpolate`, Appendix A.3). The table and JSON give, per recipe, GD's loss \
            and each seed's trained and interpolated losses; the figure draws the three against N, the trained and \
            interpolated ones as the mean with a ± std band over seeds. Single-head linear attention only.
            """)

    @Argument(help: "Trained checkpoints (.h5) of one or more recipes; the seeds of a recipe are averaged.")
    var checkpoints: [String]

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one trained checkpoint") }
    }

    func run() throws {
        let loaded = try LoadedModel.all(checkpoints)
        var recipes: [String] = [], members: [String: [LoadedModel]] = [:]
        for m in loaded {
            if let reason = Interpolation.inapplicability(m.model.config) { throw UserError("\(m.path): \(reason)") }
            let recipe = m.checkpoint.recipe.name
            if members[recipe] == nil { recipes.append(recipe) }
            members[recipe, default: []].append(m)
        }
        let points = try recipes.map { recipe in
            let models = members[recipe]!
            try requireSameTasks(models)
            let batch = try models[0].linearTasks().sample(
                count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
            return try models[0].analyse {
                try ProblemSize.point(name: recipe, models: models.map { ($0.name, $0.model) }, on: batch)
            }
        }.sorted { ($0.contextSize, $0.inputDim) < ($1.contextSize, $1.inputDim) }

        if output.json {
            struct Report: Encodable { let points: [ProblemSizePoint]; let tasks: Int; let seed: UInt64 }
            try output.printJSON(Report(points: points, tasks: output.tasks, seed: output.seed))
        } else {
            print("GD, trained and interpolated loss per problem size, \(output.tasks) tasks (seed \(output.seed)):")
            print(
                "  " + pad("recipe", 14) + pad("N", 5) + pad("d", 5) + pad("η", 9) + pad("GD", 11)
                    + "   trained / interpolated, per model")
            for p in points {
                let seeds = zip(p.trained, p.interpolated).map { "\(number($0)) / \(number($1))" }
                print(
                    "  " + pad(p.name, 14) + pad(String(p.contextSize), 5) + pad(String(p.inputDim), 5)
                        + pad(number(p.eta), 9) + pad(number(p.gdLoss), 11) + "   " + seeds.joined(separator: ", "))
            }
        }
        try output.writeCSV(
            header: [
                "recipe", "context_size", "input_dim", "eta", "gd_loss", "model", "trained_loss", "interpolated_loss",
                "construction_loss",
            ],
            rows: points.flatMap { p in
                p.members.indices.map { k in
                    [
                        csvField(p.name), String(p.contextSize), String(p.inputDim), String(p.eta), String(p.gdLoss),
                        csvField(p.members[k]), String(p.trained[k]), String(p.interpolated[k]),
                        String(p.construction[k]),
                    ]
                }
            })
        try output.writeFigure { Figures.problemSizes(points) }
    }
}
