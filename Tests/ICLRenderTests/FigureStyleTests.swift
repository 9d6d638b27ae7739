import Foundation
import ICLTestSupport
import Testing

@testable import ICLRender

@Suite("Figure rules: coinciding series visible, legends off the data, SVG output")
struct FigureStyleTests {
    func pixels(near color: Color, in image: RGBAImage) -> Int { LinePlotTests().count(color, in: image, tolerance: 2) }

    /// Two series with the same values: the first (solid) shows through the second's dashes, and
    /// each has its own line style and marker.
    @Test func coincidingSeriesBothShow() throws {
        let x = (0..<40).map(Double.init), y = x.map { 1 + $0 * $0 / 100 }
        let plot = LinePlot(
            series: [Series(name: "trained", x: x, y: y), Series(name: "GD", x: x, y: y)], legend: .hidden)
        #expect(plot.dash(of: 0) != plot.dash(of: 1) && plot.marker(of: 0) != plot.marker(of: 1))
        let folder = try TemporaryDirectory()
        try plot.writePNG(to: folder.file("same.png"))
        let image = try RGBAImage.readPNG(folder.file("same.png"))
        #expect(pixels(near: Color.tab10[0], in: image) > 100, "the first series is hidden by the second")
        #expect(pixels(near: Color.tab10[1], in: image) > 100)
        // Drawn in the other order, the solid line would hide the dashed one: the solid is drawn first whatever its index.
        let swapped = LinePlot(
            series: [Series(name: "a", x: x, y: y, dash: .dashed), Series(name: "b", x: x, y: y, dash: .solid)],
            legend: .hidden)
        #expect(swapped.drawingOrder == [1, 0])
    }

    /// Data in every corner and along both edges: no inside place is free, so the legend goes
    /// outside the plot area, and covers no data point.
    @Test func theLegendCoversNoData() throws {
        let x = (0...100).map(Double.init)
        let series = [
            Series(name: "high", x: x, y: x.map { _ in 10 }), Series(name: "low", x: x, y: x.map { _ in 0 }),
            Series(name: "diagonal", x: x, y: x.map { $0 / 10 }),
            Series(name: "other diagonal", x: x, y: x.map { 10 - $0 / 10 }),
        ]
        for plot in [LinePlot(series: series), LinePlot(series: Array(series.prefix(1)))] {
            let canvas = try Canvas(width: plot.width, height: plot.height)
            let (frame, box) = plot.placeLegend(canvas)
            let legend = try #require(box)
            let covered = plot.dataPoints(frame).filter { legend.intersects($0) || legend.contains($0.x, $0.y) }
            #expect(covered.isEmpty, "the legend covers \(covered.count) data points")
        }
        // With twelve lines across the whole plot, every inside place covers one: the legend leaves the plot area.
        let canvas = try Canvas(width: 800, height: 500)
        let levels = (0..<12).map { k in Series(name: "level \(k)", x: x, y: x.map { _ in Double(k) }) }
        let (frame, box) = LinePlot(series: levels).placeLegend(canvas)
        #expect(
            LinePlot(series: levels).dataPoints(frame).allSatisfy { !box!.intersects($0) && !box!.contains($0.x, $0.y) }
        )
        #expect(box!.x >= frame.left + frame.plotWidth || box!.y >= frame.bottom)
    }

    @Test func svgFilesAreWrittenAndParseAsXML() throws {
        let folder = try TemporaryDirectory()
        let plot = LinePlot(
            title: "loss", xLabel: "step", yLabel: "loss", series: [Series(name: "s", y: [3, 2, 1.5, 1.2])])
        let heatmaps = HeatmapFigure([
            Heatmap(
                title: "W_KQ", matrix: [1, -1, 0.5, 0], rows: 2, columns: 2, rowLabels: ["x₁", "y"],
                columnLabels: ["x₁", "y"])
        ])
        let figures: [(String, Figure)] = [
            ("plot.svg", .plot(plot)), ("grid.svg", .grid(PlotGrid([plot, plot], columns: 2, title: "two"))),
            ("heatmap.svg", .heatmaps(heatmaps)),
        ]
        for (name, figure) in figures { try figure.writeSVG(to: folder.file(name)) }
        #expect(try folder.contents().sorted() == ["grid.svg", "heatmap.svg", "plot.svg"])
        for (name, figure) in figures {
            let result = try Python.run(
                """
                import sys, xml.etree.ElementTree as ET
                root = ET.parse(sys.argv[1]).getroot()
                print(root.tag.split('}')[-1], root.get('width'), root.get('height'))
                """, arguments: [folder.file(name)])
            #expect(result.status == 0, "\(result.stderr)")
            let size = try figure.size()
            let words = result.stdout.split(separator: " ").map(String.init)
            #expect(words.first == "svg")
            #expect(words.count == 3 && words[1] == "\(size.width)px", "\(words)")
        }
        #expect(throws: RenderError.self) { try Figure.plot(plot).writeSVG(to: folder.file("missing/plot.svg")) }
    }

    @Test func heatmapsShrinkToAPageAndLabelRows() throws {
        let panels = (0..<96).map { k in
            Heatmap(
                title: "layer \(k / 8) head \(k % 8)", matrix: (0..<121).map { Double(($0 + k) % 7) - 3 },
                rows: 11, columns: 11, rowLabels: (1...11).map { "x\($0)" }, columnLabels: (1...11).map { "x\($0)" })
        }
        let image = try HeatmapFigure(panels, columns: 8, title: "twelve layers").render()
        #expect(image.height <= 2_000, "a 12-layer figure is \(image.height) px tall")
        let small = try HeatmapFigure(Array(panels.prefix(2))).render()
        #expect(small.height < 600)
    }
}
