import Foundation
import ICLAnalysis
import ICLModels
import ICLRender

/// Analysis results → figures, as the paper lays them out: the one place that decides titles,
/// axis labels, series names and styles, so that `icl-analyze`'s subcommands and its report draw
/// the same figure from the same numbers. Every function returns a `Figure` (PNG or SVG).
public enum Figures {
    /// The paper's spelling of a method or algorithm name ("gdpp" → "GD++").
    public static func paperName(_ name: String) -> String {
        name.replacingOccurrences(of: "GDPP", with: "GD++").replacingOccurrences(of: "gdpp", with: "GD++")
    }

    // MARK: Training curves (Figures 2, 3, 15, 16)

    /// A reference loss drawn across the curves: a baseline evaluated on the runs' own validation sets.
    public struct Reference: Sendable {
        public var name: String
        public var loss: Double
        public init(name: String, loss: Double) {
            self.name = name
            self.loss = loss
        }
    }

    /// Validation and training loss of each group (mean over seeds, band from the smallest to the
    /// largest seed), the references as dashed lines, and, when given, one plot per alignment group:
    /// the paper's three measures of the snapshots against a baseline over training, on one linear
    /// axis as Figure 2 (centre left) and Figure 3 (centre columns) draw them. All plots in one row.
    public static func curves(
        _ groups: [CurveGroup], references: [Reference], alignment: [AlignmentGroup] = []
    ) -> Figure {
        func series(
            _ mean: KeyPath<CurveGroup, [Double]>, _ low: KeyPath<CurveGroup, [Double]>,
            _ high: KeyPath<CurveGroup, [Double]>
        ) -> [Series] {
            groups.map { g in
                let n = g.members.count
                let band = n > 1 ? Band(lower: g[keyPath: low], upper: g[keyPath: high]) : nil
                return Series(
                    name: paperName(g.name) + (n > 1 ? " (mean of \(n) seeds; band: min–max)" : " (1 seed)"),
                    x: g.steps.map(Double.init), y: g[keyPath: mean], band: band)
            }
        }
        let lines = references.map {
            HorizontalLine(y: $0.loss, label: "\(paperName($0.name)): \(String(format: "%.4f", $0.loss))")
        }
        let validation = LinePlot(
            title: "Validation loss (each seed's validation set)", xLabel: "training step", yLabel: "loss (log scale)",
            yScale: .log10, series: series(\.validationMean, \.validationMin, \.validationMax),
            horizontalLines: lines, width: 760, height: 480)
        let training = LinePlot(
            title: "Training loss", xLabel: "training step", yLabel: "loss (log scale)", yScale: .log10,
            series: series(\.trainMean, \.trainMin, \.trainMax), horizontalLines: lines, width: 760, height: 480)
        let recipes = Set(alignment.map(\.name)).count
        let aligned = alignment.map { a in
            LinePlot(
                title: (recipes > 1 ? paperName(a.name) + ": alignment" : "Alignment") + " with "
                    + paperName(a.against),
                xLabel: "training step", yLabel: "cosine / L2 distance",
                series: alignmentSeries(a), width: 760, height: 480)
        }
        let plots = [validation, training] + aligned
        return .grid(PlotGrid(plots, columns: plots.count))
    }

    /// The three alignment measures of a group over training: mean, with a ± std band over seeds.
    static func alignmentSeries(_ a: AlignmentGroup) -> [Series] {
        let n = a.members.count
        let x = a.steps.map(Double.init)
        func series(_ name: String, _ s: Spread, _ dash: LineDash, _ marker: MarkerShape) -> Series {
            Series(
                name: name, x: x, y: s.mean, style: .lineAndMarkers,
                band: n > 1 ? Band(lower: zip(s.mean, s.std).map(-), upper: zip(s.mean, s.std).map(+)) : nil,
                dash: dash, marker: marker)
        }
        let seeds = n > 1 ? " (mean ± std of \(n) seeds)" : " (1 seed)"
        return [
            series("sensitivity cosine" + seeds, a.sensitivityCosine, .solid, .circle),
            series("sensitivity difference ‖∂ŷ − ∂ŷ′‖", a.sensitivityDiff, .dashed, .square),
            series("prediction difference |ŷ − ŷ′|", a.predictionDiff, .dotted, .triangle),
        ]
    }

    // MARK: Problem size (Figure 2 centre right)

    /// GD, the trained models and their interpolation against N (one point per problem size): three
    /// series that the paper finds identical, drawn with distinct lines and markers so that all show
    /// where they coincide; the trained and interpolated ones as the mean with a ± std band over seeds.
    public static func problemSizes(_ points: [ProblemSizePoint]) -> Figure {
        let sorted = points.sorted { ($0.contextSize, $0.inputDim) < ($1.contextSize, $1.inputDim) }
        let x = sorted.map { Double($0.contextSize) }
        let seeds = Set(sorted.map(\.members.count))
        func series(
            _ name: String, _ values: (ProblemSizePoint) -> [Double], _ dash: LineDash, _ marker: MarkerShape
        ) -> Series {
            let spreads = sorted.map { Spread.of(values($0)) }
            let banded = sorted.contains { values($0).count > 1 }
            return Series(
                name: name, x: x, y: spreads.map(\.mean), style: .lineAndMarkers,
                band: banded
                    ? Band(lower: spreads.map { $0.mean - $0.std }, upper: spreads.map { $0.mean + $0.std }) : nil,
                dash: dash, marker: marker)
        }
        let over: String =
            seeds == [1] ? "" : " (mean ± std of \(seeds.count == 1 ? String(seeds.first!) : "the") seeds)"
        let steps = Set(sorted.map(\.steps)).sorted()
        let gdName: String =
            steps == [1] ? "one step of GD" : "\(steps.map(String.init).joined(separator: ", ")) steps of GD"
        let square = sorted.allSatisfy { $0.contextSize == $0.inputDim }
        let title: String = "GD, trained and interpolated models for different N" + (square ? " = N_x" : "")
        let xLabel: String = square ? "N = N_x (context size = input dimension)" : "context size N"
        let lines: [Series] = [
            series("trained LSA" + over, { $0.trained }, .solid, .circle),
            series(gdName + ", η line-searched", { [$0.gdLoss] }, .dashed, .square),
            series("interpolated θ₁ = (θ + θ_GD)/2" + over, { $0.interpolated }, .dotted, .triangle),
        ]
        let ticks = sorted.map { AxisTick(value: Double($0.contextSize), label: String($0.contextSize)) }
        let plot = LinePlot(
            title: title, xLabel: xLabel, yLabel: "loss", series: lines, xTicks: ticks, width: 760, height: 480)
        return .plot(plot)
    }

    // MARK: Interpolation (Appendix A.3, Figure 2)

    /// The loss along the interpolation, the y axis fitted to the data (a curve spanning 0.2103 to
    /// 0.2107 is drawn as a curve), A's and B's own losses as reference lines.
    public static func interpolation(_ curve: InterpolationCurve, nameA: String, nameB: String) -> Figure {
        let (a, b) = (paperName(nameA), paperName(nameB))
        let plot = LinePlot(
            title: "Interpolating the scale-corrected products: \(a) → \(b)",
            xLabel: "α  (0: \(a), 1: \(b))", yLabel: "loss",
            series: [Series(name: "(1 − α)·A + α·B", x: curve.alphas, y: curve.losses, style: .lineAndMarkers)],
            horizontalLines: [
                HorizontalLine(y: curve.lossA, label: "A, own weights: \(String(format: "%.5f", curve.lossA))"),
                HorizontalLine(y: curve.lossB, label: "B, own weights: \(String(format: "%.5f", curve.lossB))"),
            ],
            width: 760, height: 480)
        return .plot(plot)
    }

    // MARK: Out of distribution (Figures 2, 6)

    /// The loss of every model at every α, each series its own line style and marker.
    public static func outOfDistribution(_ sweep: ShiftSweep) -> Figure {
        let marker: String
        switch sweep.shift {
        case .laws: marker = "training ‖X‖_F ≈ \(String(format: "%.2f", sweep.trainingScale))"
        case .lawsTeacher: marker = "training teacher scale"
        case .inputRange, .teacher: marker = "training α = 1"
        }
        let plot = LinePlot(
            title: title(of: sweep.shift), xLabel: axis(of: sweep.shift), yLabel: "loss (log scale)", yScale: .log10,
            series: sweep.curves.map {
                Series(name: paperName($0.name), x: sweep.scales, y: $0.losses, style: .lineAndMarkers)
            },
            verticalMarkers: [VerticalMarker(x: sweep.trainingScale, label: marker)], width: 760, height: 480)
        return .plot(plot)
    }

    /// The title of an OOD figure, in words.
    public static func title(of shift: DistributionShift) -> String {
        switch shift {
        case .inputRange: return "Inputs drawn from a wider range: x ~ U(−α/2, α/2)"
        case .teacher: return "Teacher scale α: w ~ N(0, α² I)"
        case .laws: return "Inputs from unseen laws (normal, exponential, Laplace), scaled to ‖X‖_F = α"
        case .lawsTeacher: return "Inputs from unseen laws at ‖X‖_F = 1, teacher scale α"
        }
    }

    static func axis(of shift: DistributionShift) -> String {
        switch shift {
        case .inputRange: return "input range α"
        case .teacher: return "teacher scale α"
        case .laws: return "input norm α = ‖X‖_F"
        case .lawsTeacher: return "teacher scale α"
        }
    }

    // MARK: Rollout (Figures 1, 10)

    /// The step from which a rollout is off the figure (a loss above `ceiling`, infinite or NaN), if any.
    public static func divergence(_ losses: [Double], ceiling: Double) -> Int? {
        losses.firstIndex { !$0.isFinite || $0 > ceiling }
    }

    /// Every rollout on one figure (Figure 10: one colour per λ, one line style per model). The y axis
    /// runs from below the smallest loss to 10× the largest loss before any application; a curve that
    /// leaves it is drawn going off the top and marked "diverges at step k".
    public static func rollout(_ curves: [RolloutCurve]) -> Figure {
        let lambdas = curves.map(\.lambda).reduce(into: [Double]()) { if !$0.contains($1) { $0.append($1) } }
        let models = curves.map(\.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let start = curves.compactMap { $0.losses.first }.filter(\.isFinite).max() ?? 1
        let ceiling = 10 * start
        let finite = curves.flatMap(\.losses).filter { $0.isFinite && $0 > 0 && $0 <= ceiling }
        let floor = (finite.min() ?? start / 10) / 2
        var series: [Series] = [], notes: [Annotation] = []
        for c in curves {
            let colour = Color.tab10[lambdas.firstIndex(of: c.lambda)! % Color.tab10.count]
            let m = models.firstIndex(of: c.name)!
            var y = c.losses
            if let k = divergence(c.losses, ceiling: ceiling) {
                // Off the top from step k on: the line leaves the axis instead of stopping.
                for i in k..<y.count { y[i] = ceiling * 100 }
                notes.append(
                    Annotation(
                        x: Double(k), text: "\(paperName(c.name)), λ = \(short(c.lambda)): diverges at step \(k)",
                        color: colour))
            }
            series.append(
                Series(
                    name: "\(paperName(c.name)), λ = \(short(c.lambda))", y: y, color: colour,
                    dash: LineDash.allCases[m % LineDash.allCases.count],
                    marker: MarkerShape.allCases[(m + lambdas.firstIndex(of: c.lambda)!) % MarkerShape.allCases.count]))
        }
        let plot = LinePlot(
            title: lambdas.count > 1
                ? "Repeating one layer with y ← y + λ·Δy" : "Repeating one layer with y ← y + \(short(lambdas[0]))·Δy",
            xLabel: "applications of the layer", yLabel: "loss (log scale)", yScale: .log10, series: series,
            yLimits: floor...ceiling, annotations: notes, width: 900, height: 560)
        return .plot(plot)
    }

    // MARK: Copying (Figure 5)

    /// The three sensitivities over the training snapshots (with the validation loss beside them);
    /// for one point (a construction), the three values as categories, with no step axis.
    public static func copying(
        _ points: [CopyingPoint], measure: CopyingMeasure,
        validation: (name: String, steps: [Double], losses: [Double])?,
        construction: Bool
    ) -> Figure {
        let what = measure == .authors ? "‖mean over tasks of ∂t_k/∂e_j‖" : "mean over tasks of ‖∂t_k/∂e_j‖"
        if construction || points.count == 1 {
            let p = points[0]
            let plot = LinePlot(
                title: "First-layer sensitivity \(what)", xLabel: "source token j", yLabel: "gradient norm",
                series: [Series(name: "sensitivity", x: [0, 1, 2], y: [p.own, p.next, p.others], style: .markers)],
                xLimits: -0.5...2.5, legend: .hidden,
                xTicks: [
                    AxisTick(value: 0, label: "own (j = k)"), AxisTick(value: 1, label: "next (j = k + 1)"),
                    AxisTick(value: 2, label: "other tokens"),
                ],
                width: 620, height: 440)
            return .plot(plot)
        }
        let steps = points.map { Double($0.step) }
        var plots = [
            LinePlot(
                title: "First-layer sensitivity \(what)", xLabel: "training step", yLabel: "gradient norm",
                series: [
                    Series(name: "own token (j = k)", x: steps, y: points.map(\.own), style: .lineAndMarkers),
                    Series(name: "next token (j = k + 1)", x: steps, y: points.map(\.next), style: .lineAndMarkers),
                    Series(name: "other tokens", x: steps, y: points.map(\.others), style: .lineAndMarkers),
                ],
                width: 760, height: 480)
        ]
        if let v = validation, !v.steps.isEmpty {
            plots.append(
                LinePlot(
                    title: "Validation loss", xLabel: "training step", yLabel: "loss (log scale)", yScale: .log10,
                    series: [Series(name: paperName(v.name), x: v.steps, y: v.losses)], width: 760, height: 480))
        }
        return .grid(PlotGrid(plots, columns: plots.count))
    }

    // MARK: Weight products (Figures 9, 11)

    /// Names of a model's token coordinates, for heatmap rows and columns: `x₁ … x_d, y` on paired
    /// tokens; on alternating tokens the last input coordinate holds x_d or y, then the position
    /// code `p₁ …`; in an embedding, `e₁ … e_D`.
    public static func tokenLabels(_ c: ModelConfig) -> [String] {
        if c.embeddingDim > 0 { return (1...c.modelDim).map { "e" + subscripted($0) } }
        let d = c.inputDim, o = c.outputDim
        switch c.tokenLayout {
        case .paired:
            return (1...d).map { "x" + subscripted($0) } + (o == 1 ? ["y"] : (1...o).map { "y" + subscripted($0) })
        default:
            let inputs = (1...d).map { i in i > d - o ? "x" + subscripted(i) + "/y" : "x" + subscripted(i) }
            return inputs + (0..<(c.tokenDim - d)).map { "p" + subscripted($0 + 1) }
        }
    }

    static func subscripted(_ n: Int) -> String {
        String(String(n).map { Character(Unicode.Scalar(0x2080 + Int(String($0))!)!) })
    }

    /// `W_KQ` and `W_PV` of every head; with `summed`, Figure 11's panels instead: each head's
    /// `W_PV,h[−1,−1]·W_KQ,h` and their sum, per layer, on one colour scale. Laid out as a grid
    /// (one row per layer, the heads side by side), so a deep model stays a page.
    public static func heatmaps(_ heads: [HeadProducts], summed: [SummedHeads], labels: [String], title: String)
        -> Figure
    {
        guard let D = heads.first?.tokenDim else { return .heatmaps(HeatmapFigure([], title: title)) }
        let layers = Set(heads.map(\.layer)).count, perLayer = heads.count / max(layers, 1)
        var panels: [Heatmap] = []
        let columns: Int
        if !summed.isEmpty {
            for s in summed {
                let layerHeads = heads.filter { $0.layer == s.layer }.sorted { $0.head < $1.head }
                let weighted = WeightProducts.weightedHeads(layerHeads, s)
                let scale = (weighted + [s.matrix]).flatMap { $0 }.map(abs).max().flatMap { $0 > 0 ? $0 : nil }
                for (head, matrix) in zip(layerHeads, weighted) {
                    panels.append(
                        Heatmap(
                            title: "layer \(s.layer) head \(head.head): W_PV[−1,−1]·W_KQ", matrix: matrix, rows: D,
                            columns: D,
                            scale: scale, rowLabels: labels, columnLabels: labels))
                }
                panels.append(
                    Heatmap(
                        title: "layer \(s.layer): sum over heads", matrix: s.matrix, rows: D, columns: D, scale: scale,
                        rowLabels: labels, columnLabels: labels))
            }
            columns = (summed.first?.heads ?? 1) + 1
        } else {
            for h in heads {
                let prefix =
                    heads.count > 1
                    ? (layers > 1 ? "layer \(h.layer) " : "") + (perLayer > 1 ? "head \(h.head) " : "") : ""
                panels.append(
                    Heatmap(
                        title: prefix + (heads.count > 1 ? "W_KQ" : "W_KQ = W_Kᵀ W_Q"), matrix: h.W_KQ, rows: D,
                        columns: D,
                        rowLabels: labels, columnLabels: labels))
                panels.append(
                    Heatmap(
                        title: prefix + (heads.count > 1 ? "W_PV" : "W_PV = P W_V"), matrix: h.W_PV, rows: D,
                        columns: D,
                        rowLabels: labels, columnLabels: labels))
            }
            // One row per layer (both products of every head), folded when a layer has many heads.
            columns = min(2 * perLayer, 8)
        }
        return .heatmaps(HeatmapFigure(panels, columns: columns, title: title))
    }

    static func short(_ value: Double) -> String {
        var text = String(format: "%.4g", value)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
