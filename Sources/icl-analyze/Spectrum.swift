import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLRender
import ICLTasks

struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract:
            "Eigenvalues of X Xᵀ over tasks and context sizes, and how GD++ reshapes them (Appendix A.10, Figure 13).",
        discussion: """
            For each context size N, --tasks tasks (x ~ U(−r/2, r/2)^d, evaluation stream, --seed) give the smallest and \
            largest eigenvalue of X Xᵀ = Σ_i x_i x_iᵀ (LAPACK dsyev; the smallest floored at 1e-10, as the paper cuts it). \
            GD++ maps each eigenvalue λ to f(λ, γ) = λ − 2γλ² + γ²λ³; for every γ of the grid this prints the worst-case \
            condition number over [λ_min, λ_max] of all tasks (Figure 13, centre) and the median over tasks of each task's \
            own condition number (Figure 13, right). Checkpoints given as arguments are recurrent single-head LSA stacks \
            (trained, or GD++): their γ is read from the scale-corrected W_PV x-block (−γ I in GD++), and their N is added.
            """)

    @Argument(help: "Recurrent LSA or GD++ checkpoints (.h5) to read γ from (default: none).")
    var checkpoints: [String] = []

    @Option(name: .customLong("context-sizes"), help: "Context sizes N, comma-separated.")
    var contextSizes = "10,25,50,100"

    @Option(name: .customLong("gamma-max"), help: "Largest γ of the grid, which starts at 0.")
    var gammaMax = 0.25

    @Option(name: .customLong("gamma-points"), help: "Evenly spaced values of γ.")
    var gammaPoints = 51

    @Option(name: .customLong("input-dim"), help: "Input width d.")
    var inputDim = 10

    @Option(name: .customLong("input-range"), help: "Inputs x ~ U(−r/2, r/2).")
    var inputRange = 1.0

    @OptionGroup var output: OutputOptions

    var sizes: [Int]? {
        let parts = contextSizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return parts.map { $0! }
    }

    func validate() throws {
        if sizes == nil {
            throw ValidationError(
                "--context-sizes must be positive integers separated by commas (got '\(contextSizes)')")
        }
        if !(gammaMax > 0) || !gammaMax.isFinite {
            throw ValidationError("--gamma-max must be positive (got \(gammaMax))")
        }
        if gammaPoints < 2 { throw ValidationError("--gamma-points must be at least 2 (got \(gammaPoints))") }
        if inputDim < 1 { throw ValidationError("--input-dim must be at least 1 (got \(inputDim))") }
        if !(inputRange > 0) { throw ValidationError("--input-range must be positive (got \(inputRange))") }
    }

    struct Reading: Encodable {
        let file: String
        let reading: GammaReading
        let conditionBound: Double
        let medianCondition: Double
        enum CodingKeys: String, CodingKey {
            case file, reading, conditionBound = "condition_bound", medianCondition = "median_condition"
        }
    }

    func run() throws {
        // Tasks are split across our own threads; OpenBLAS threads inside each 10×10 dsyev only contend.
        BLAS.setThreads(1)
        let loaded = try LoadedModel.all(checkpoints)
        var d = inputDim, r = inputRange
        if let first = loaded.first {
            d = try first.linearTasks().inputDim
            r = try first.linearTasks().inputRange
        }
        var readings: [(LoadedModel, GammaReading)] = []
        for m in loaded {
            let tasks = try m.linearTasks()
            if tasks.inputDim != d || tasks.inputRange != r {
                throw UserError(
                    "\(m.path): its tasks (d = \(tasks.inputDim), r = \(tasks.inputRange)) differ from \(loaded[0].path)'s (d = \(d), r = \(r))"
                )
            }
            readings.append((m, try m.analyse { try Spectrum.gamma(of: m.model) }))
        }
        let Ns = Array(Set(sizes! + readings.map(\.1.contextSize))).sorted()
        let gammas = (0..<gammaPoints).map { gammaMax * Double($0) / Double(gammaPoints - 1) }
        var summaries: [SpectrumSummary] = [], curves: [ConditionCurve] = [], perN: [Int: [[Double]]] = [:]
        for N in Ns {
            let tasks = LinearRegressionTasks(inputDim: d, contextSize: N, inputRange: r)
            let eigenvalues = Spectrum.eigenvalues(tasks, count: output.tasks, seed: output.seed)
            perN[N] = eigenvalues
            summaries.append(Spectrum.summary(eigenvalues, contextSize: N))
            curves.append(Spectrum.conditionCurve(eigenvalues, contextSize: N, gammas: gammas))
        }
        let read = readings.map { m, g -> Reading in
            let s = summaries.first { $0.contextSize == g.contextSize }!
            let e = perN[g.contextSize]!
            return Reading(
                file: m.path, reading: g,
                conditionBound: Spectrum.conditionBound(low: s.minEigenvalue, high: s.maxEigenvalue, gamma: g.gamma),
                medianCondition: Spectrum.median(e.map { Spectrum.conditionNumber(eigenvalues: $0, gamma: g.gamma) }))
        }

        if output.json {
            struct Report: Encodable {
                let inputDim: Int; let inputRange: Double; let tasks: Int; let seed: UInt64
                let summaries: [SpectrumSummary]; let curves: [ConditionCurve]; let gammas: [Reading]
                enum CodingKeys: String, CodingKey {
                    case inputDim = "input_dim", inputRange = "input_range", tasks, seed, summaries, curves, gammas
                }
            }
            try output.printJSON(
                Report(
                    inputDim: d, inputRange: r, tasks: output.tasks, seed: output.seed,
                    summaries: summaries, curves: curves, gammas: read))
        } else {
            print(
                "X Xᵀ over \(output.tasks) tasks per N (d = \(d), x ~ U(−\(number(r / 2)), \(number(r / 2)))), seed \(output.seed);"
            )
            print(
                "κ bound = max f / min f over [λ_min, λ_max] of all tasks; median κ = median of each task's own; γ from 0 to \(number(gammaMax))"
            )
            print(
                "  " + pad("N", 4) + pad("λ_min", 12) + pad("λ_max", 10) + pad("κ bound", 12) + pad("median κ", 11)
                    + pad("best γ", 9) + pad("κ⁺⁺ bound", 12) + pad("median κ⁺⁺", 12))
            for (s, c) in zip(summaries, curves) {
                let best = c.gammas.firstIndex(of: c.bestGamma)!
                print(
                    "  " + pad(String(s.contextSize), 4) + pad(number(s.minEigenvalue), 12)
                        + pad(number(s.maxEigenvalue), 10)
                        + pad(number(s.conditionBound), 12) + pad(number(s.medianCondition), 11)
                        + pad(number(c.bestGamma), 9)
                        + pad(number(c.bestBound), 12) + pad(number(c.medianPerTask[best]), 12))
            }
            for x in read {
                print(
                    "  γ = \(number(x.reading.gamma)) read from \(x.file) (N = \(x.reading.contextSize), β = \(number(x.reading.beta)), "
                        + "x-block off −γI by \(String(format: "%.1f", 100 * x.reading.residual)) %): κ⁺⁺ bound \(number(x.conditionBound)), "
                        + "median κ⁺⁺ \(number(x.medianCondition))")
            }
        }
        var rows: [[String]] = []
        for c in curves {
            for (k, gamma) in c.gammas.enumerated() {
                rows.append([String(c.contextSize), String(gamma), String(c.bound[k]), String(c.medianPerTask[k])])
            }
        }
        try output.writeCSV(header: ["context_size", "gamma", "condition_bound", "median_condition"], rows: rows)
        try output.writeFigure {
            let markers = read.map {
                VerticalMarker(
                    x: $0.reading.gamma,
                    label: "γ = \(String(format: "%.3f", $0.reading.gamma)) (N = \($0.reading.contextSize))")
            }
            // Left: the map over each N's eigenvalue range, at the γ read from a checkpoint of that N or
            // else at that N's best γ; each N in the same colour in all three panels.
            func color(_ N: Int) -> Color { Color.tab10[Ns.firstIndex(of: N)! % Color.tab10.count] }
            let top = summaries.map(\.maxEigenvalue).max()!
            let identity = [0, top]
            var mapSeries = [
                Series(
                    name: "γ = 0 (identity)", x: identity, y: identity, color: Color(red: 0.55, green: 0.55, blue: 0.55)
                )
            ]
            for (s, c) in zip(summaries, curves) {
                let readGamma = read.first { $0.reading.contextSize == s.contextSize }?.reading.gamma
                let gamma = readGamma ?? c.bestGamma
                let lambdas = (0...200).map { s.maxEigenvalue * Double($0) / 200 }
                let name =
                    "N = \(s.contextSize): \(readGamma == nil ? "best" : "read") γ = \(String(format: "%.3f", gamma))"
                mapSeries.append(
                    Series(
                        name: name, x: lambdas, y: lambdas.map { Spectrum.map($0, gamma: gamma) },
                        color: color(s.contextSize)))
            }
            let mapPlot = LinePlot(
                title: "GD++ eigenvalue map f(λ, γ) = λ(1 − γλ)²",
                xLabel: "eigenvalue λ of X Xᵀ (up to each N's largest)",
                yLabel: "f(λ, γ)", series: mapSeries, width: 620, height: 460)
            let boundPlot = LinePlot(
                title: "Worst-case condition number over all tasks", xLabel: "γ", yLabel: "κ⁺⁺ (log scale)",
                yScale: .log10,
                series: curves.map {
                    Series(name: "N = \($0.contextSize)", x: $0.gammas, y: $0.bound, color: color($0.contextSize))
                },
                verticalMarkers: markers, width: 620, height: 460)
            let medianPlot = LinePlot(
                title: "Median condition number per task", xLabel: "γ", yLabel: "median κ⁺⁺ (log scale)",
                yScale: .log10,
                series: curves.map {
                    Series(
                        name: "N = \($0.contextSize)", x: $0.gammas, y: $0.medianPerTask, color: color($0.contextSize))
                },
                verticalMarkers: markers, width: 620, height: 460)
            return .grid(
                PlotGrid(
                    [mapPlot, boundPlot, medianPlot], columns: 3,
                    title: "Spectrum of X Xᵀ and GD++ (d = \(d), \(output.tasks) tasks per N)"))
        }
    }
}
