import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLTraining

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe one checkpoint: model, origin, the training settings stored in /training, final losses.")

    @Argument(help: "Checkpoint file (.h5).")
    var file: String

    func run() throws {
        let c = try Checkpoint.read(file)
        let m = c.config
        print("\(file)")
        print("  model        \(m.architecture.rawValue), \(m.layers) layer(s)\(m.recurrent ? " (recurrent)" : ""), \(m.heads) head(s), key_dim \(m.keyDim)\(m.clipTokens.map { ", tokens clipped to ±\($0)" } ?? "")")
        print("  tasks        d = \(m.inputDim) inputs, \(m.outputDim) output(s), N = \(m.contextSize) examples (\(c.recipe.task.family))")
        print("  tokens       \(m.tokenLayout.rawValue): T = \(m.tokenCount) tokens of width \(m.tokenDim)"
              + (m.positionalDim > 0 ? " (\(m.positionalDim) of them positions)" : "")
              + (m.embeddingDim > 0 ? ", embedded to \(m.embeddingDim)" : ""))
        let blocks = [m.layerNorm ? "LayerNorm" : nil, m.mlpHidden > 0 ? "MLP \(m.mlpHidden)\(m.mlpFirst ? " (first)" : "")" : nil,
                      "attention " + m.attention.map(\.rawValue).joined(separator: ", ")].compactMap { $0 }
        print("  blocks       " + blocks.joined(separator: "; "))
        print("  recipe       \(c.recipe.name)")
        print("  software     \(c.softwareVersion), written \(c.createdUTC)")
        switch c.origin {
        case .trained(let record):
            // What the file's /training holds (the loader checked it agrees with the recipe).
            let stored = Dictionary(try Checkpoint.storedAttributes(of: "/training", in: file), uniquingKeysWith: { a, _ in a })
            let value = { (name: String) in stored[name] ?? "?" }
            if c.recipe.training.optimizer == .continuation {
                print("  trained      seed \(value("seed")), continuation fit on \(value("batch_size")) fixed tasks, at most \(value("steps")) L-BFGS iterations per start")
            } else {
                print("  trained      seed \(value("seed")), \(value("steps")) steps, batch \(value("batch_size")), \(value("optimizer")) lr \(value("learning_rate")) (β1 \(value("adam_beta1")), β2 \(value("adam_beta2")), ε \(value("adam_epsilon"))), clip norm \(value("clip_norm")), init scale \(value("init_scale"))")
            }
            if m.architecture.isGradientDescent {
                let Lp = m.parameterLayers, values = c.parameters.map { String(format: "%.6g", $0) }
                print("  learned      η = " + values[0..<Lp].joined(separator: ", ")
                      + (m.architecture == .gdpp ? "; γ = " + values[Lp..<(2 * Lp)].joined(separator: ", ") : ""))
            }
            let h = record.history
            if let last = h.step.indices.last {
                print(String(format: "  final loss   train %.6f, validation %.6f at step %d (%.1f s)",
                             h.trainLoss[last], h.validationLoss[last], h.step[last], record.seconds))
            }
        case .constructed(let record):
            print("  constructed  \(record.method)"
                  + (record.etas.isEmpty ? "" : ", η = " + record.etas.map { String(format: "%.6f", $0) }.joined(separator: ", "))
                  + (record.gammas.isEmpty ? "" : ", γ = " + record.gammas.map { String(format: "%.6f", $0) }.joined(separator: ", ")))
            if let best = record.lineSearchLosses.indices.min(by: { record.lineSearchLosses[$0] < record.lineSearchLosses[$1] }) {
                print(String(format: "  line search  %d values of η on %d tasks (seed %d); best grid point η = %.3f, loss %.6f",
                             record.lineSearchEtas.count, record.lineSearchTasks, record.lineSearchSeed,
                             record.lineSearchEtas[best], record.lineSearchLosses[best]))
            }
        }
    }
}
