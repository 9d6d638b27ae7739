import Foundation
import ICLAnalysis
import ICLModels
import ICLTestSupport
import Testing

@testable import ICLFigures
@testable import ICLRender

@Suite("Figures as the paper draws them")
struct FiguresTests {
    /// A curve spanning 0.2103 to 0.2107 fills the axis instead of lying flat on a 0–0.25 one.
    @Test func interpolationFitsTheAxisToTheData() throws {
        let alphas = (0...10).map { Double($0) / 10 }
        let losses = alphas.map { 0.2107 - 0.0004 * $0 * (2 - $0) }
        let json = """
            {"tasks": 10, "alphas": \(alphas), "losses": \(losses), "midpoint_loss": \(losses[5]), "loss_a": 0.2107, "loss_b": 0.2103,
             "betas_a": [1], "betas_b": [1], "midpoint_alignment": {"tasks": 10, "loss_a": 0, "loss_b": 0, "prediction_diff": 0,
             "sensitivity_cosine": 1, "sensitivity_diff": 0}}
            """
        let curve = try JSONDecoder().decode(InterpolationCurve.self, from: Data(json.utf8))
        guard case .plot(let plot) = Figures.interpolation(curve, nameA: "lsa-1 seed 0", nameB: "GDPP (η = 1)") else {
            Issue.record("not a plot"); return
        }
        let (_, y) = plot.dataRanges()
        let span = losses.max()! - losses.min()!
        #expect(
            y.0 >= losses.min()! - span && y.1 <= losses.max()! + span,
            "y axis \(y) for data \(losses.min()!)…\(losses.max()!)")
        #expect(plot.title.contains("GD++") && !plot.title.contains("GDPP"))
        let image = try plot.render()
        #expect(image.width == plot.width)
    }

    @Test func paperNames() {
        #expect(Figures.paperName("GDPP (η = 0.5)") == "GD++ (η = 0.5)")
        #expect(Figures.title(of: .inputRange) == "Inputs drawn from a wider range: x ~ U(−α/2, α/2)")
        #expect(
            Figures.tokenLabels(
                ModelConfig {
                    $0.inputDim = 2; $0.contextSize = 3
                }) == ["x₁", "x₂", "y"])
    }

    /// A diverging rollout goes off the top of the axis with a note, instead of stopping.
    @Test func divergingRolloutsAreMarked() throws {
        let good = RolloutCurve(
            name: "GD", lambda: 0.75, tasks: 10, losses: (0...20).map { 0.5 * pow(0.8, Double($0)) })
        let bad = RolloutCurve(
            name: "trained", lambda: 1, tasks: 10,
            losses: (0...20).map { $0 < 12 ? 0.5 * pow(1.5, Double($0)) : Double.infinity })
        #expect(Figures.divergence(bad.losses, ceiling: 5) == 6)
        #expect(Figures.divergence(good.losses, ceiling: 5) == nil)
        guard case .plot(let plot) = Figures.rollout([good, bad]) else { Issue.record("not a plot"); return }
        #expect(plot.annotations.map { $0.text } == ["trained, λ = 1: diverges at step 6"])
        #expect(plot.series[1].y[15].isFinite && plot.series[1].y[15] > plot.yLimits!.upperBound)
        #expect(plot.series.count == 2 && plot.series[0].color != plot.series[1].color)
    }

    @Test func aTwelveBlockModelsHeatmapFitsAPage() throws {
        let heads = (0..<48).map { k in
            HeadProducts(
                layer: k / 4, head: k % 4, tokenDim: 11, W_KQ: (0..<121).map { Double(($0 * 7 + k) % 13) - 6 },
                W_PV: (0..<121).map { Double(($0 + k) % 5) - 2 })
        }
        let labels = Figures.tokenLabels(
            ModelConfig {
                $0.inputDim = 10; $0.contextSize = 10
            })
        let folder = try TemporaryDirectory()
        try Figures.heatmaps(heads, summed: [], labels: labels, title: "mlp-12-4head").writePNG(
            to: folder.file("h.png"))
        let image = try RGBAImage.readPNG(folder.file("h.png"))
        #expect(image.height <= 2_000 && image.width <= 2_400, "\(image.width)×\(image.height)")
    }

    /// With --sum-heads the figure draws each head's W_PV[−1,−1]·W_KQ (scaled) and their sum: the
    /// numbers the table prints.
    @Test func summedHeadsDrawTheScaledTerms() throws {
        let D = 2
        let heads = [
            HeadProducts(layer: 0, head: 0, tokenDim: D, W_KQ: [1, 2, 3, 4], W_PV: [0, 0, 0, 2]),
            HeadProducts(layer: 0, head: 1, tokenDim: D, W_KQ: [1, 1, 1, 1], W_PV: [0, 0, 0, -1]),
        ]
        let summed = try WeightProducts.sumHeads(heads)
        guard case .heatmaps(let figure) = Figures.heatmaps(heads, summed: summed, labels: ["x₁", "y"], title: "t")
        else { return }
        #expect(figure.panels.map(\.matrix) == [[2, 4, 6, 8], [-1, -1, -1, -1], [1, 3, 5, 7]])
        #expect(figure.panels.allSatisfy { $0.rowLabels == ["x₁", "y"] })
    }

    /// Figure 2 centre right: three series against N with distinct lines and markers, the trained and
    /// interpolated ones with a ± std band over seeds, ticks at the problem sizes; the PNG decodes.
    @Test func problemSizesDrawThreeDistinctSeriesAgainstN() throws {
        func point(_ n: Int) -> ProblemSizePoint {
            let scale = Double(n)
            let trained: [Double] = [0.021 * scale, 0.0206 * scale]
            let interpolated: [Double] = [0.0202 * scale, 0.0201 * scale]
            return ProblemSizePoint(
                name: "lsa-1-n\(n)", contextSize: n, inputDim: n, tasks: 100, steps: 1, eta: 6, gdLoss: 0.02 * scale,
                members: ["seed 0", "seed 1"], trained: trained, interpolated: interpolated,
                construction: [0.02 * scale, 0.02 * scale])
        }
        let points = [point(5), point(10), point(20)]
        guard case .plot(let plot) = Figures.problemSizes(points.reversed()) else { Issue.record("not a plot"); return }
        #expect(plot.series.count == 3)
        let dashes: [LineDash] = plot.series.compactMap { $0.dash }
        let markers: [MarkerShape] = plot.series.compactMap { $0.marker }
        #expect(Set(dashes).count == 3 && Set(markers).count == 3)
        #expect(plot.series.allSatisfy { $0.x == [5, 10, 20] })
        #expect(plot.series[1].y == [0.1, 0.2, 0.4] && plot.series[1].band == nil)
        let band = try #require(plot.series[0].band)
        #expect(abs(plot.series[0].y[0] - 0.104) < 1e-12 && band.lower[0] < 0.103 && band.upper[0] > 0.105)
        let ticks: [String] = (plot.xTicks ?? []).map { $0.label }
        #expect(ticks == ["5", "10", "20"] && plot.xLabel.contains("N = N_x"))
        #expect(plot.series[0].name.contains("2 seeds") && plot.series[1].name.contains("one step of GD"))
        let folder = try TemporaryDirectory()
        try Figure.plot(plot).writePNG(to: folder.file("sizes.png"))
        let image = try RGBAImage.readPNG(folder.file("sizes.png"))
        #expect(image.width == plot.width && image.height == plot.height)
    }

    /// The curves figure with alignment: one plot per (recipe, baseline) in the row after the two losses,
    /// the paper's three measures each with its own line and marker and a ± std band.
    @Test func curvesDrawAnAlignmentPlotPerBaseline() throws {
        let group = try Curves.group(
            name: "lsa-1",
            [
                TrainingCurve(name: "a", steps: [0, 10], trainLoss: [1, 0.2], validationLoss: [1, 0.21]),
                TrainingCurve(name: "b", steps: [0, 10], trainLoss: [1, 0.3], validationLoss: [1, 0.31]),
            ])
        func aligned(_ against: String) throws -> AlignmentGroup {
            let runs = try [(0.1, 0.5), (0.3, 0.7)].map { cosine, diff in
                try JSONDecoder().decode(
                    [AlignmentPoint].self,
                    from: Data(
                        """
                        [{"step": 0, "report": {"tasks": 1, "loss_a": 0, "loss_b": 0, "prediction_diff": \(diff),
                          "sensitivity_cosine": \(cosine), "sensitivity_diff": \(diff)}},
                         {"step": 10, "report": {"tasks": 1, "loss_a": 0, "loss_b": 0, "prediction_diff": 0.01,
                          "sensitivity_cosine": 0.99, "sensitivity_diff": 0.02}}]
                        """.utf8))
            }
            return try Curves.alignmentGroup(name: "lsa-1", against: against, [("a", runs[0]), ("b", runs[1])])
        }
        let figure = Figures.curves(
            [group], references: [], alignment: [try aligned("GDPP (η = 1)"), try aligned("GD 1 step η=0.9")])
        guard case .grid(let grid) = figure else { Issue.record("not a grid"); return }
        #expect(grid.plots.count == 4 && grid.columns == 4)
        let alignment = grid.plots[2]
        #expect(alignment.title == "Alignment with GD++ (η = 1)" && alignment.yScale == .linear)
        let dashes: [LineDash] = alignment.series.compactMap { $0.dash }
        #expect(alignment.series.count == 3 && Set(dashes).count == 3)
        #expect(alignment.series.allSatisfy { $0.band != nil && $0.x == [0, 10] })
        #expect(abs(alignment.series[0].y[0] - 0.2) < 1e-12)
        let image = try figure.render()
        #expect(image.width == grid.size.width)
    }
}
