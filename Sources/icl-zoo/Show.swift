import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLModels
import ICLTraining

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe one checkpoint: model, origin, the training settings stored in /training, final losses.")

    @Argument(help: "Checkpoint file (.h5).")
    var file: String

    @Flag(
        help:
            "Print one JSON object (the resolved recipe, origin, losses, η and γ, snapshot steps) instead of the text.")
    var json = false

    func run() throws {
        let c = try Checkpoint.read(file)
        let m = c.config
        // A gd or gdpp model's parameters are its η and γ, per parameter layer.
        let (etas, gammas) =
            m.architecture.isGradientDescent ? GradientDescentWeights.etasAndGammas(m, c.parameters) : ([], [])
        if json { return try printJSON(c, etas: etas, gammas: gammas) }
        print("\(file)")
        print(
            "  model        \(m.architecture.rawValue), \(m.layers) layer(s)\(m.recurrent ? " (recurrent)" : ""), \(m.heads) head(s), key_dim \(m.keyDim)\(m.clipTokens.map { ", tokens clipped to ±\($0)" } ?? "")"
        )
        print(
            "  tasks        d = \(m.inputDim) inputs, \(m.outputDim) output(s), N = \(m.contextSize) examples (\(c.recipe.task.family))"
        )
        print(
            "  tokens       \(m.tokenLayout.rawValue): T = \(m.tokenCount) tokens of width \(m.tokenDim)"
                + (m.positionalDim > 0 ? " (\(m.positionalDim) of them positions)" : "")
                + (m.embeddingDim > 0 ? ", embedded to \(m.embeddingDim)" : ""))
        let activation = m.activation == .gelu ? "" : " \(m.activation.rawValue)"
        let blocks = [
            m.layerNorm ? "LayerNorm" : nil,
            m.mlpHidden > 0 ? "MLP \(m.mlpHidden)\(activation)\(m.mlpFirst ? " (first)" : "")" : nil,
            "attention " + m.attention.map(\.rawValue).joined(separator: ", "),
        ].compactMap { $0 }
        print("  blocks       " + blocks.joined(separator: "; "))
        print("  recipe       \(c.recipe.name)")
        print("  software     \(c.softwareVersion), written \(c.createdUTC)")
        switch c.origin {
        case .trained(let record):
            // What the file's /training holds (the loader checked it agrees with the recipe).
            let stored = Dictionary(
                try Checkpoint.storedAttributes(of: "/training", in: file), uniquingKeysWith: { a, _ in a })
            let value = { (name: String) in stored[name] ?? "?" }
            if c.recipe.training.optimizer == .continuation {
                print(
                    "  trained      seed \(value("seed")), continuation fit on \(value("batch_size")) fixed tasks, at most \(value("steps")) L-BFGS iterations per start"
                )
            } else {
                print(
                    "  trained      seed \(value("seed")), \(value("steps")) steps, batch \(value("batch_size")), \(value("optimizer")) lr \(value("learning_rate")) (β1 \(value("adam_beta1")), β2 \(value("adam_beta2")), ε \(value("adam_epsilon"))), clip norm \(value("clip_norm")), init scale \(value("init_scale"))"
                )
            }
            let h = record.history
            if let last = h.step.indices.last {
                print(
                    String(
                        format: "  final loss   train %.6f, validation %.6f at step %d (%.1f s)",
                        h.trainLoss[last], h.validationLoss[last], h.step[last], record.seconds))
            }
            if !etas.isEmpty {
                print(
                    "  trained η    " + etas.map { String(format: "%.6f", $0) }.joined(separator: ", ")
                        + (gammas.isEmpty
                            ? "" : ";  γ " + gammas.map { String(format: "%.6f", $0) }.joined(separator: ", ")))
            }
            let steps = record.snapshots.map { String($0.step) }
            if !steps.isEmpty {
                print(
                    "  snapshots    \(steps.count) at step(s) "
                        + (steps.count <= 6
                            ? steps.joined(separator: ", ") : "\(steps[0]), \(steps[1]), …, \(steps[steps.count - 1])"))
            }
        case .constructed(let record):
            print(
                "  constructed  \(record.method)"
                    + (record.etas.isEmpty
                        ? "" : ", η = " + record.etas.map { String(format: "%.6f", $0) }.joined(separator: ", "))
                    + (record.gammas.isEmpty
                        ? "" : ", γ = " + record.gammas.map { String(format: "%.6f", $0) }.joined(separator: ", ")))
            if let best = record.lineSearchLosses.indices.min(by: {
                record.lineSearchLosses[$0] < record.lineSearchLosses[$1]
            }) {
                print(
                    String(
                        format:
                            "  line search  %d values of η on %d tasks (seed %d); best grid point η = %.3f, loss %.6f",
                        record.lineSearchEtas.count, record.lineSearchTasks, record.lineSearchSeed,
                        record.lineSearchEtas[best], record.lineSearchLosses[best]))
            }
        }
    }

    /// `show --json`: what the text says, as numbers and lists (non-finite numbers as strings).
    private func printJSON(_ c: Checkpoint, etas: [Double], gammas: [Double]) throws {
        let finite = { (x: Double) -> Any in x.isFinite ? x : String(x) }
        let recipe = try JSONSerialization.jsonObject(with: Data(c.recipe.json().utf8))
        var object: [String: Any] = [
            "file": file, "recipe": recipe, "software_version": c.softwareVersion, "created_utc": c.createdUTC,
            "model": [
                "architecture": c.config.architecture.rawValue, "layers": c.config.layers, "heads": c.config.heads,
                "key_dim": c.config.keyDim, "token_layout": c.config.tokenLayout.rawValue,
                "token_count": c.config.tokenCount, "token_dim": c.config.tokenDim, "parameters": c.parameters.count,
            ],
        ]
        switch c.origin {
        case .trained(let record):
            let h = record.history
            object["origin"] = "trained"
            object["trained"] =
                [
                    "seed": c.recipe.training.seed, "steps": c.recipe.training.steps, "seconds": record.seconds,
                    "final_step": h.step.last.map { Int($0) } as Any,
                    "final_train_loss": h.trainLoss.last.map(finite) as Any,
                    "final_validation_loss": h.validationLoss.last.map(finite) as Any,
                    "snapshot_steps": record.snapshots.map(\.step),
                ] as [String: Any]
            if !etas.isEmpty { object["eta"] = etas.map(finite) }
            if !gammas.isEmpty { object["gamma"] = gammas.map(finite) }
        case .constructed(let record):
            object["origin"] = "construction"
            var construction: [String: Any] = [
                "method": record.method, "eta": record.etas.map(finite), "gamma": record.gammas.map(finite),
            ]
            if !record.lineSearchEtas.isEmpty {
                construction["line_search"] = [
                    "tasks": record.lineSearchTasks, "seed": record.lineSearchSeed,
                    "etas": record.lineSearchEtas.map(finite), "losses": record.lineSearchLosses.map(finite),
                ]
            }
            object["construction"] = construction
        }
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
