import Foundation
import ICLTestSupport
import Testing

@testable import ICLRender

@Suite struct LinePlotTests {
    /// Number of pixels within `tolerance` (per channel) of `color`.
    func count(_ color: Color, in image: RGBAImage, tolerance: Int = 6) -> Int {
        let c = color.rgba
        var n = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image[x, y]
                if abs(Int(p.r) - Int(c.r)) <= tolerance && abs(Int(p.g) - Int(c.g)) <= tolerance
                    && abs(Int(p.b) - Int(c.b)) <= tolerance
                {
                    n += 1
                }
            }
        }
        return n
    }

    /// Loss curves over training steps, like the ones the training recipes log.
    func lossPlot() -> LinePlot {
        let steps = (0..<200).map { Double($0) * 50 }
        let trained = steps.map { 0.2 + 1.8 * exp(-$0 / 1500) }
        let spread = steps.map { 0.05 + 0.2 * exp(-$0 / 2000) }
        return LinePlot(
            title: "Training loss, 1 layer of linear self-attention", xLabel: "training step", yLabel: "loss",
            series: [
                Series(
                    name: "trained transformer", x: steps, y: trained,
                    band: Band(lower: zip(trained, spread).map { $0 - $1 }, upper: zip(trained, spread).map { $0 + $1 })
                ),
                Series(name: "one step of GD", x: steps, y: steps.map { _ in 0.21 }, style: .line),
            ],
            verticalMarkers: [VerticalMarker(x: 5000, label: "learning-rate decay")],
            horizontalLines: [HorizontalLine(y: 0.1, label: "noise floor")])
    }

    @Test func linePlotRendersToAPNG() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("loss.png")
        try lossPlot().writePNG(to: path)
        let image = try RGBAImage.readPNG(path)
        #expect(image.width == 800 && image.height == 500)
        #expect(image.distinctColors().count > 50)
        #expect(count(Color.tab10[0], in: image) > 100, "first series not drawn in tab10 blue")
        #expect(count(Color.tab10[1], in: image) > 100, "second series not drawn in tab10 orange")
        #expect(try folder.contents() == ["loss.png"])
    }

    @Test func logAxesRenderAndSkipUnplaceablePoints() throws {
        let folder = try TemporaryDirectory()
        let n = (1...60).map(Double.init)
        let plot = LinePlot(
            title: "Out-of-distribution: query scale", xLabel: "scale α", yLabel: "mean squared error",
            xScale: .log10, yScale: .log10,
            series: [
                Series(
                    name: "trained", x: n.map { pow(10, ($0 - 30) / 15) }, y: n.map { 1e-3 * pow(1.2, $0) },
                    style: .lineAndMarkers),
                // Zero, negative, NaN and infinite values cannot be placed on a log axis: skipped.
                Series(
                    name: "GD", x: n.map { pow(10, ($0 - 30) / 15) },
                    y: n.map { $0 == 10 ? 0 : $0 == 20 ? -1 : $0 == 30 ? .nan : $0 == 40 ? .infinity : 2e-3 * $0 }),
            ],
            verticalMarkers: [VerticalMarker(x: 1, label: "training scale")])
        let path = folder.file("ood.png")
        try plot.writePNG(to: path)
        let image = try RGBAImage.readPNG(path)
        #expect(image.width == 800 && image.height == 500)
        #expect(count(Color.tab10[0], in: image) > 100)
        #expect(count(Color.tab10[1], in: image) > 100)

        let (xr, yr) = plot.dataRanges()
        let mx = AxisMap(scale: .log10, lo: xr.0, hi: xr.1, start: 0, end: 100)
        let my = AxisMap(scale: .log10, lo: yr.0, hi: yr.1, start: 100, end: 0)
        #expect(plot.runs(plot.series[1], plot.series[1].y, mx, my).count == 5)
        #expect(xr.0 > 0 && yr.0 > 0)
    }

    @Test func seriesTakeDistinctPaletteColours() throws {
        let folder = try TemporaryDirectory()
        // A rollout-like figure: error per layer for ten models, markers and lines, negative values.
        let layers = (0..<8).map(Double.init)
        let series = (0..<10).map { k in
            Series(
                name: "model \(k)", x: layers, y: layers.map { sin($0 / 2 + Double(k) / 3) * Double(k + 1) / 10 },
                style: k % 3 == 0 ? .markers : .lineAndMarkers)
        }
        let plot = LinePlot(title: "Rollout", xLabel: "layer", yLabel: "cosine", series: series)
        let path = folder.file("rollout.png")
        try plot.writePNG(to: path)
        let image = try RGBAImage.readPNG(path)
        for (k, c) in Color.tab10.enumerated() {
            #expect(count(c, in: image, tolerance: 2) > 20, "series \(k) colour missing")
        }
    }

    @Test func nanMakesAGap() {
        let plot = LinePlot(series: [Series(name: "s", y: [1, 2, .nan, 4, 5, .infinity, 7])])
        let mx = AxisMap(scale: .linear, lo: 0, hi: 6, start: 0, end: 60)
        let my = AxisMap(scale: .linear, lo: 0, hi: 8, start: 80, end: 0)
        let runs = plot.runs(plot.series[0], plot.series[0].y, mx, my)
        #expect(runs.map(\.count) == [2, 2, 1])
        #expect(runs[1][0].0 == 30 && runs[1][0].1 == 40)
    }

    @Test func autoRangePadsTheData() {
        let plot = LinePlot(
            series: [Series(name: "s", x: [0, 10], y: [-1, 1])],
            horizontalLines: [HorizontalLine(y: 3, label: "")])
        let (x, y) = plot.dataRanges()
        #expect(abs(x.0 + 0.5) < 1e-12 && abs(x.1 - 10.5) < 1e-12)
        #expect(abs(y.0 + 1.2) < 1e-12 && abs(y.1 - 3.2) < 1e-12)
        let fixed = LinePlot(series: plot.series, xLimits: 2...3)
        #expect(fixed.dataRanges().x == (2, 3))
    }

    @Test func mismatchedLengthsThrow() throws {
        let plot = LinePlot(title: "rollout", series: [Series(name: "layer outputs", x: [0, 1, 2], y: [1, 2])])
        #expect { try plot.render() } throws: { error in
            let text = "\(error)"
            return text.contains("rollout") && text.contains("layer outputs") && text.contains("3")
                && text.contains("2")
        }
        let band = LinePlot(series: [Series(name: "b", x: [0, 1], y: [1, 2], band: Band(lower: [0], upper: [2, 3]))])
        #expect(throws: RenderError.self) { try band.render() }
    }

    @Test func emptyOrMissingSeriesThrow() {
        #expect(throws: RenderError.emptySeries(plot: "p", series: "nothing")) {
            try LinePlot(title: "p", series: [Series(name: "nothing", x: [], y: [])]).render()
        }
        #expect(throws: RenderError.noSeries(plot: "p")) { try LinePlot(title: "p").render() }
        #expect(throws: RenderError.self) {
            try LinePlot(yScale: .log10, series: [Series(name: "s", y: [1])], yLimits: 0...1).render()
        }
        #expect(throws: RenderError.self) { try LinePlot(series: [Series(name: "s", y: [1])], width: 10).render() }
    }

    @Test func degenerateDataStillRenders() throws {
        // A single point, a constant series, and a series with nothing placeable: axes, no crash.
        for series in [[1.0], [2, 2, 2], [.nan, .nan]] {
            let image = try LinePlot(
                title: "degenerate", series: [Series(name: "s", y: series, style: .lineAndMarkers)]
            ).render()
            #expect(image.width == 800 && image.distinctColors().count > 5)
        }
        let log = try LinePlot(yScale: .log10, series: [Series(name: "s", y: [0, -1])]).render()
        #expect(log.height == 500)
    }

    @Test func gridOfPlots() throws {
        let folder = try TemporaryDirectory()
        var plots: [LinePlot] = []
        for k in 0..<3 {
            var p = lossPlot()
            p.title = "panel \(k)"
            p.width = 480
            p.height = 320
            plots.append(p)
        }
        let image = try renderGrid(plots, columns: 2, title: "Three seeds")
        #expect(image.width == 2 * 480 && image.height == 40 + 2 * 320)
        let path = folder.file("grid.png")
        try image.writePNG(to: path)
        let back = try RGBAImage.readPNG(path)
        #expect(back == image)
        // Each of the three slots has drawing in it; the empty fourth slot is blank.
        for k in 0..<4 {
            let slot = PixelRect(x: (k % 2) * 480, y: 40 + (k / 2) * 320, width: 480, height: 320)
            #expect((image.distinctColors(in: slot).count > 10) == (k < 3), "slot \(k)")
        }
        #expect(throws: RenderError.self) { try renderGrid([], columns: 2) }
        #expect(throws: RenderError.self) { try renderGrid(plots, columns: 0) }
    }
}
