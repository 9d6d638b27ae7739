import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures
import ICLMath

extension DistributionShift: ExpressibleByArgument {}

struct OOD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ood",
        abstract:
            "Loss on tasks unlike the training tasks, against a scale α (Figure 2 right, Appendix A.2, Figure 6).",
        discussion: """
            --shift input-range: x ~ U(−α r/2, α r/2); teacher: W ~ N(0, (α s)² I); laws: inputs from a normal, \
            exponential or Laplace law (one per task, uniformly), each task's context and query inputs divided by the \
            Frobenius norm of its context inputs and multiplied by α; laws-teacher: those inputs at norm 1, teacher \
            scaled by α. All models see the same tasks at each α (tasks from the first checkpoint's settings, evaluation \
            stream, --seed); for input-range and teacher, the tasks at α are those at α = 1 rescaled, and α = 1 is the \
            training distribution.
            """)

    @Argument(help: "Checkpoints (.h5), all drawn on one figure.")
    var checkpoints: [String]

    @Option(help: "What α scales: input-range, teacher, laws or laws-teacher.")
    var shift: DistributionShift = .inputRange

    @Option(help: "Smallest α (default: 0.5).")
    var from: Double?

    @Option(help: "Largest α (default: 2 for input-range, 5 for the others).")
    var to: Double?

    @Option(
        help:
            "Evenly spaced values of α; the training scale is added when it falls inside (default: 16 for input-range, steps of 0.1; 19 for the others, steps of 0.25)."
    )
    var points: Int?

    var pointCount: Int { points ?? (shift == .inputRange ? 16 : 19) }

    @Flag(
        help:
            "Add the interpolated model: the midpoint of the first two checkpoints' scale-corrected products (Appendix A.3)."
    )
    var interpolated = false

    @Option(
        name: .customLong("against"),
        help: ArgumentHelp(
            "\(AgainstHelp.text); repeatable; resolved once on the training distribution, then held fixed over α (default: none).",
            valueName: "baseline"))
    var baselines: [String] = []

    @OptionGroup var output: OutputOptions

    var range: ClosedRange<Double>? {
        let low = from ?? shift.defaultScales.lowerBound, high = to ?? shift.defaultScales.upperBound
        return low < high ? low...high : nil
    }

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("give at least one checkpoint") }
        if let points, points < 2 { throw ValidationError("--points must be at least 2 (got \(points))") }
        guard let range else {
            throw ValidationError(
                "--from must be below --to (got \(from ?? shift.defaultScales.lowerBound) and \(to ?? shift.defaultScales.upperBound))"
            )
        }
        if !(range.lowerBound > 0) || !range.upperBound.isFinite {
            throw ValidationError("α must be positive and finite (got \(range))")
        }
        _ = try BaselineSpec.parseAll(baselines, option: "--against")
        if interpolated && checkpoints.count < 2 {
            throw ValidationError("--interpolated needs two checkpoints: the trained model and the construction")
        }
    }

    func run() throws {
        let loaded = try LoadedModel.all(checkpoints)
        try requireSameTasks(loaded)
        let base = try loaded[0].linearTasks()
        var models: [(name: String, model: any InContextPredictor)] = loaded.map { ($0.name, $0.model) }
        for m in loaded {
            if let problem = Evaluation.mismatch(m.model.config, base) {
                throw UserError("\(m.path): \(problem) (tasks of \(loaded[0].path))")
            }
        }
        if interpolated {
            let (a, b) = (loaded[0], loaded[1])
            for m in [a, b] {
                if let reason = Interpolation.inapplicability(m.model.config) {
                    throw UserError("\(m.path): \(reason)")
                }
            }
            if let problem = Interpolation.incompatibility(a.model.config, b.model.config) {
                throw UserError("\(b.path): \(problem)")
            }
            let midpoint = try a.analyse { try Interpolation.midpoint(a.model, b.model) }
            models.append((name: "interpolated", model: midpoint))
        }
        let trainingBatch = base.sample(
            count: output.tasks, seed: output.seed, stream: RandomStream.evaluation, as: Float.self)
        for (spelling, baseline) in try loadBaselines(baselines) {
            let resolved = try loaded[0].analyse {
                try baseline.predictor(
                    tasks: base, batch: trainingBatch, seed: output.seed, defaultSteps: loaded[0].model.config.layers)
            }
            models.append(
                (
                    name: spelling == resolved.name ? spelling : "\(spelling): \(resolved.name)",
                    model: resolved.predictor
                ))
        }
        let training = shift.trainingScale(base)
        let scales = OutOfDistribution.scales(range!, count: pointCount, including: training)
        let sweep = try OutOfDistribution.sweep(
            models, base: base, shift: shift, scales: scales, count: output.tasks, seed: output.seed)

        if output.json {
            try output.printJSON(sweep)
        } else {
            print(
                "\(shift.scaleDescription), \(output.tasks) tasks per α (seed \(output.seed)); training scale α = \(number(training))"
            )
            for (k, m) in models.enumerated() {
                print(
                    "  [\(k + 1)] \(m.name)\(k < loaded.count ? "  \(loaded[k].path)" : (interpolated && k == loaded.count ? "  (midpoint of [1] and [2])" : ""))"
                )
            }
            print("  " + pad("α", 7) + models.indices.map { pad("[\($0 + 1)]", 13) }.joined())
            for (i, alpha) in scales.enumerated() {
                let mark = abs(alpha - training) < 1e-12 ? " ← training" : ""
                print(
                    "  " + pad(String(format: "%.3f", alpha), 7)
                        + sweep.curves.map { pad(number($0.losses[i]), 13) }.joined() + mark)
            }
        }
        try output.writeCSV(
            header: ["alpha"] + sweep.curves.map { csvField($0.name) },
            rows: scales.indices.map { i in [String(scales[i])] + sweep.curves.map { String($0.losses[i]) } })
        try output.writeFigure { Figures.outOfDistribution(sweep) }
    }
}
