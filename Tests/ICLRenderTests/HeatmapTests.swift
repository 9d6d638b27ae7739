import ICLTestSupport
import Testing

@testable import ICLRender

@Suite struct HeatmapTests {
    /// The matrix of the brief: one positive, one negative, one zero, one larger positive.
    func signs() throws -> Heatmap { try Heatmap(title: "W_KQ", rows: [[1, -1], [0, 2]]) }

    /// Every pixel of `rect` in `image`.
    func pixels(_ image: RGBAImage, _ rect: PixelRect) -> [RGBA] {
        (rect.y..<rect.y + rect.height).flatMap { y in (rect.x..<rect.x + rect.width).map { x in image[x, y] } }
    }

    @Test func cellsShowTheSignOfEachEntry() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("signs.png")
        let figure = HeatmapFigure([try signs()])
        try figure.writePNG(to: path)
        let image = try RGBAImage.readPNG(path)
        let h = try signs()
        for r in 0..<2 {
            for c in 0..<2 {
                let rect = try figure.cellRect(panel: 0, row: r, column: c)
                #expect(rect.width >= 20 && rect.height >= 20, "cell \(rect) too small to see")
                let colours = Set(pixels(image, rect))
                // One exact colour per cell: no antialiasing, no grid line inside.
                #expect(colours == [h.cellColor(row: r, column: c)], "cell (\(r), \(c)) has \(colours)")
                let p = try #require(colours.first)
                switch h[r, c] {
                case let v where v > 0: #expect(p.r > p.b, "positive cell (\(r), \(c)) is \(p), not reddish")
                case let v where v < 0: #expect(p.b > p.r, "negative cell (\(r), \(c)) is \(p), not bluish")
                default: #expect(min(p.r, p.g, p.b) >= 240, "zero cell (\(r), \(c)) is \(p), not near white")
                }
            }
        }
        // The largest entry (2) is the darkest red, the limit of the default scale.
        #expect(image[try figure.cellRect(panel: 0, row: 1, column: 1).center] == RGBA(r: 0x67, g: 0x00, b: 0x1f))
        #expect(image.distinctColors().count > 10)
    }

    @Test func colourBarRunsFromPlusScaleToMinusScale() throws {
        let figure = HeatmapFigure([try signs()])
        let image = try figure.render()
        let bar = try figure.colorBarRect(panel: 0)
        let top = image[bar.x + bar.width / 2, bar.y]
        let middle = image[bar.x + bar.width / 2, bar.y + (bar.height - 1) / 2]
        let bottom = image[bar.x + bar.width / 2, bar.y + bar.height - 1]
        #expect(top == DivergingColorMap.color(2, scale: 2))
        #expect(middle == DivergingColorMap.color(0, scale: 2))
        #expect(bottom == DivergingColorMap.color(-2, scale: 2))
    }

    @Test func severalPanelsSideBySideWithTheirOwnScales() throws {
        let folder = try TemporaryDirectory()
        // An 11×11 product, like W_KQ of a d = 10 model, and a second with a fixed scale.
        let n = 11
        let kq = Heatmap(
            title: "W_KQ (layer 1)",
            matrix: (0..<n * n).map { i in
                i / n == i % n ? 0.8 : Double((i * 37) % 19 - 9) / 60
            }, rows: n, columns: n)
        let pv = Heatmap(
            title: "W_PV (layer 1)",
            matrix: (0..<n * n).map { i in
                i / n == n - 1 && i % n < n - 1 ? -0.5 : 0
            }, rows: n, columns: n, scale: 1)
        let figure = HeatmapFigure([kq, pv, try signs()], columns: 2, title: "Trained linear self-attention")
        let path = folder.file("panels.png")
        try figure.writePNG(to: path)
        let image = try RGBAImage.readPNG(path)
        #expect(image.width > 2 * n * 20 && image.height > 2 * n * 20)

        // Panel rectangles do not overlap, and each cell holds its own colour.
        let a = try figure.cellRect(panel: 0, row: n - 1, column: n - 1)
        let b = try figure.cellRect(panel: 1, row: 0, column: 0)
        let c = try figure.cellRect(panel: 2, row: 0, column: 0)
        #expect(a.x + a.width < b.x, "panel 1 should sit to the right of panel 0")
        #expect(c.y > a.y + a.height, "panel 2 should start a second row")
        for (k, h) in [kq, pv].enumerated() {
            for r in 0..<n {
                for col in 0..<n {
                    let rect = try figure.cellRect(panel: k, row: r, column: col)
                    #expect(image[rect.center] == h.cellColor(row: r, column: col))
                }
            }
        }
        // Panel 1 uses its given scale: −0.5 of 1 is a mid blue, not the darkest.
        let mid = image[try figure.cellRect(panel: 1, row: n - 1, column: 0).center]
        #expect(mid == DivergingColorMap.color(-0.5, scale: 1) && mid != DivergingColorMap.color(-1, scale: 1))
        // Text was drawn: dark antialiased pixels exist outside the cells.
        #expect(image.distinctColors().contains { $0.r < 80 && $0.g < 80 && $0.b < 80 })
    }

    @Test func withoutGridLinesCellsTouch() throws {
        let figure = HeatmapFigure([try signs()], cellSize: 24, gridLines: .none)
        let a = try figure.cellRect(panel: 0, row: 0, column: 0)
        let b = try figure.cellRect(panel: 0, row: 0, column: 1)
        #expect(a.width == 24 && b.x == a.x + 24)
        let image = try figure.render()
        #expect(image[b.x, b.y] == figure.panels[0].cellColor(row: 0, column: 1))
    }

    @Test func renderHeatmapsMatchesTheFigure() throws {
        let h = try signs()
        #expect(try renderHeatmaps([h, h]) == HeatmapFigure([h, h]).render())
    }

    @Test func badInputThrows() throws {
        #expect(throws: RenderError.self) {
            try HeatmapFigure([Heatmap(title: "short", matrix: [1, 2, 3], rows: 2, columns: 2)]).render()
        }
        #expect(throws: RenderError.self) { try HeatmapFigure([]).render() }
        #expect(throws: RenderError.self) { try Heatmap(title: "ragged", rows: [[1, 2], [3]]) }
        #expect(throws: RenderError.self) {
            try HeatmapFigure([Heatmap(title: "zero scale", matrix: [1], rows: 1, columns: 1, scale: 0)]).render()
        }
        #expect(throws: RenderError.self) { try HeatmapFigure([try signs()]).cellRect(panel: 0, row: 2, column: 0) }
        #expect(throws: RenderError.self) { try HeatmapFigure([try signs()]).cellRect(panel: 1, row: 0, column: 0) }
    }

    @Test func allZeroMatrixRendersWhite() throws {
        let figure = HeatmapFigure([Heatmap(title: "zeros", matrix: [0, 0, 0, 0], rows: 2, columns: 2)])
        let image = try figure.render()
        #expect(figure.panels[0].colorLimit == 1)
        #expect(image[try figure.cellRect(panel: 0, row: 0, column: 0).center] == RGBA(r: 0xf7, g: 0xf7, b: 0xf7))
    }
}

extension RGBAImage {
    subscript(point: (x: Int, y: Int)) -> RGBA { self[point.x, point.y] }
}
