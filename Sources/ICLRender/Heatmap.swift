import CCairo

/// One matrix to draw as a heatmap (the paper's Figures 9 and 11 show the products
/// W_KQ = W_Kᵀ W_Q and W_PV = P W_V this way).
public struct Heatmap: Sendable {
    public var title: String
    /// `rows × columns` entries, row-major: entry (r, c) is `matrix[r * columns + c]`.
    public var matrix: [Double]
    public var rows: Int
    public var columns: Int
    /// Symmetric colour limit: −scale is darkest blue, +scale darkest red, larger entries clip.
    /// `nil` takes the largest |entry| of this matrix. Pass one value to several panels to make
    /// their colours comparable.
    public var scale: Double?
    /// Names of the rows and columns (e.g. the token coordinates x_1 … x_d, y), drawn beside and
    /// above the matrix; nil draws none.
    public var rowLabels: [String]?
    public var columnLabels: [String]?

    public init(
        title: String, matrix: [Double], rows: Int, columns: Int, scale: Double? = nil,
        rowLabels: [String]? = nil, columnLabels: [String]? = nil
    ) {
        self.title = title
        self.matrix = matrix
        self.rows = rows
        self.columns = columns
        self.scale = scale
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
    }

    /// From nested rows; throws if they are ragged or empty.
    public init(title: String, rows nested: [[Double]], scale: Double? = nil) throws {
        guard let first = nested.first, !first.isEmpty else {
            throw RenderError.invalidHeatmap(title: title, reason: "matrix has no entries")
        }
        for (r, row) in nested.enumerated() where row.count != first.count {
            throw RenderError.invalidHeatmap(
                title: title, reason: "row \(r) has \(row.count) entries, row 0 has \(first.count)")
        }
        self.init(
            title: title, matrix: nested.flatMap { $0 }, rows: nested.count, columns: first.count,
            scale: scale)
    }

    public subscript(row: Int, column: Int) -> Double { matrix[row * columns + column] }

    /// The colour limit actually used: `scale`, or the largest finite |entry| (1 if all are 0).
    public var colorLimit: Double {
        if let scale { return scale }
        let largest = matrix.lazy.filter { $0.isFinite }.map { abs($0) }.max() ?? 0
        return largest > 0 ? largest : 1
    }

    /// The exact colour cell (row, column) is painted with.
    public func cellColor(row: Int, column: Int) -> RGBA {
        DivergingColorMap.color(self[row, column], scale: colorLimit)
    }

    func validate() throws {
        guard rows > 0, columns > 0 else {
            throw RenderError.invalidHeatmap(title: title, reason: "shape \(rows)×\(columns) is empty")
        }
        guard matrix.count == rows * columns else {
            throw RenderError.invalidHeatmap(
                title: title,
                reason: "\(matrix.count) entries for a \(rows)×\(columns) matrix, expected \(rows * columns)")
        }
        if let scale, !(scale.isFinite && scale > 0) {
            throw RenderError.invalidHeatmap(title: title, reason: "scale \(scale) must be finite and > 0")
        }
        if let rowLabels, rowLabels.count != rows {
            throw RenderError.invalidHeatmap(title: title, reason: "\(rowLabels.count) row labels for \(rows) rows")
        }
        if let columnLabels, columnLabels.count != columns {
            throw RenderError.invalidHeatmap(
                title: title, reason: "\(columnLabels.count) column labels for \(columns) columns")
        }
    }
}

/// Whether cells are separated by 1-pixel white lines.
public enum HeatmapGridLines: Sendable { case none, thin }

/// Several heatmaps in a grid of panels (side by side by default), each with its title and its
/// own vertical colour bar with ticks at −scale, 0 and +scale.
///
/// Cells are painted straight into the pixel buffer after Cairo has drawn the text, so every
/// pixel of a cell is exactly `Heatmap.cellColor` — no antialiasing, no blending — and
/// `cellRect(panel:row:column:)` tells which pixels those are.
public struct HeatmapFigure: Sendable {
    public var panels: [Heatmap]
    /// Panels per row of the grid.
    public var columns: Int
    /// Side of one cell in pixels; `nil` picks 20…40 px from the largest matrix.
    public var cellSize: Int?
    public var gridLines: HeatmapGridLines
    /// Optional figure title above all panels.
    public var title: String?
    /// With `cellSize` nil, cells shrink (down to 3 px) until the figure is at most this tall.
    public var maxHeight: Int

    public init(
        _ panels: [Heatmap], columns: Int? = nil, cellSize: Int? = nil,
        gridLines: HeatmapGridLines = .thin, title: String? = nil, maxHeight: Int = 2_000
    ) {
        self.panels = panels
        self.columns = columns ?? max(panels.count, 1)
        self.cellSize = cellSize
        self.gridLines = gridLines
        self.title = title
        self.maxHeight = maxHeight
    }

    /// Draws the figure.
    public func render() throws -> RGBAImage {
        let layout = try makeLayout()
        let canvas = try Canvas(width: layout.width, height: layout.height)
        drawText(on: canvas, layout)
        var image = canvas.image()
        for (heatmap, panel) in zip(panels, layout.panels) {
            paintMatrix(heatmap, panel, layout, into: &image)
            paintColorBar(heatmap, panel, into: &image)
        }
        return image
    }

    /// Draws the figure with Cairo only (for a vector surface): the same rectangles as `render`.
    func drawVector(on canvas: Canvas) throws {
        let layout = try makeLayout()
        drawText(on: canvas, layout)
        cairo_set_antialias(canvas.cr, CAIRO_ANTIALIAS_NONE)
        defer { cairo_set_antialias(canvas.cr, CAIRO_ANTIALIAS_DEFAULT) }
        func fill(_ r: PixelRect, _ c: RGBA) {
            cairo_set_source_rgb(canvas.cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255)
            canvas.fillRect(x: Double(r.x), y: Double(r.y), width: Double(r.width), height: Double(r.height))
        }
        for (h, p) in zip(panels, layout.panels) {
            fill(p.block, Self.frame)
            fill(
                PixelRect(x: p.block.x + 1, y: p.block.y + 1, width: p.block.width - 2, height: p.block.height - 2),
                .white)
            for r in 0..<h.rows {
                for c in 0..<h.columns { fill(layout.cellRect(p, row: r, column: c), h.cellColor(row: r, column: c)) }
            }
            let bar = p.bar, s = h.colorLimit
            fill(PixelRect(x: bar.x - 1, y: bar.y - 1, width: bar.width + 2, height: bar.height + 2), Self.frame)
            for y in 0..<bar.height {
                fill(
                    PixelRect(x: bar.x, y: bar.y + y, width: bar.width, height: 1),
                    DivergingColorMap.color(s * (1 - 2 * Double(y) / Double(bar.height - 1)), scale: s))
            }
            for row in p.barTickRows {
                fill(PixelRect(x: bar.x + bar.width + 1, y: row, width: Layout.tickLength, height: 1), Self.ink)
            }
        }
    }

    /// Titles, colour-bar labels and row/column labels (every row when cells are tall enough for
    /// the text, else every k-th).
    private func drawText(on canvas: Canvas, _ layout: FigureLayout) {
        let ink = Color(red: 0.12, green: 0.12, blue: 0.12)
        canvas.setColor(ink)
        if let title, !title.isEmpty {
            canvas.setFont(size: Layout.figureTitleFont, weight: .bold)
            canvas.text(
                title, x: Double(layout.width) / 2, y: Double(Layout.margin), horizontal: .center, vertical: .top)
        }
        for (heatmap, panel) in zip(panels, layout.panels) {
            canvas.setFont(size: Layout.titleFont, weight: .bold)
            canvas.text(heatmap.title, x: panel.titleCenterX, y: panel.titleTop, horizontal: .center, vertical: .top)
            canvas.setFont(size: Layout.labelFont)
            for (label, y) in zip(panel.barLabels, panel.barTickRows) {
                canvas.text(label, x: Double(panel.labelX), y: Double(y) + 0.5, horizontal: .left, vertical: .middle)
            }
            let every = max(1, Int((Layout.axisLabelFont + 1) / Double(layout.cell + layout.line)) + 1)
            canvas.setFont(size: Layout.axisLabelFont)
            for (r, label) in (heatmap.rowLabels ?? []).enumerated() where r % every == 0 {
                let cell = layout.cellRect(panel, row: r, column: 0)
                canvas.text(
                    label, x: Double(panel.block.x - 3), y: Double(cell.y) + Double(cell.height) / 2,
                    horizontal: .right, vertical: .middle)
            }
            for (c, label) in (heatmap.columnLabels ?? []).enumerated() where c % every == 0 {
                let cell = layout.cellRect(panel, row: 0, column: c)
                canvas.text(
                    label, x: Double(cell.x) + Double(cell.width) / 2, y: Double(panel.block.y - 3),
                    horizontal: .center, vertical: .bottom)
            }
        }
    }

    /// Renders and writes the figure as a PNG (atomically, see `RGBAImage.writePNG`).
    public func writePNG(to path: String) throws {
        try render().writePNG(to: path)
    }

    /// The pixels of cell (`row`, `column`) of panel `panel` in the rendered image: all of them
    /// are exactly that cell's colour.
    public func cellRect(panel: Int, row: Int, column: Int) throws -> PixelRect {
        let layout = try makeLayout()
        guard panels.indices.contains(panel) else {
            throw RenderError.invalidLayout(reason: "panel \(panel) outside 0..<\(panels.count)")
        }
        let p = panels[panel]
        guard (0..<p.rows).contains(row), (0..<p.columns).contains(column) else {
            throw RenderError.invalidLayout(
                reason: "cell (\(row), \(column)) outside the \(p.rows)×\(p.columns) matrix of panel \(panel)")
        }
        return layout.cellRect(layout.panels[panel], row: row, column: column)
    }

    /// The pixels of panel `panel`'s colour bar (top row is +scale, bottom row −scale).
    public func colorBarRect(panel: Int) throws -> PixelRect {
        let layout = try makeLayout()
        guard panels.indices.contains(panel) else {
            throw RenderError.invalidLayout(reason: "panel \(panel) outside 0..<\(panels.count)")
        }
        return layout.panels[panel].bar
    }

    // MARK: Layout

    enum Layout {
        static let margin = 20
        static let horizontalGap = 40
        static let verticalGap = 16
        static let figureTitleFont = 16.0
        static let figureTitleBand = 34
        static let titleFont = 14.0
        static let titleBand = 30  // title text plus the gap above the matrix
        static let labelFont = 11.0
        static let axisLabelFont = 10.0  // row and column labels
        static let axisLabelGap = 4
        static let barGap = 14
        static let barWidth = 16
        static let minimumBarHeight = 121  // odd, so the 0 tick has a middle row
        static let tickLength = 4
        static let labelGap = 3
        static let bottomPad = 8
    }

    struct PanelLayout {
        var block: PixelRect  // matrix including its 1-px frame
        var bar: PixelRect  // colour bar interior
        var barTickRows: [Int]  // +scale, 0, −scale
        var barLabels: [String]
        var labelX: Int
        var titleCenterX: Double
        var titleTop: Double
    }

    struct FigureLayout {
        var width: Int
        var height: Int
        var cell: Int
        var line: Int  // 1 with grid lines, 0 without
        var panels: [PanelLayout]

        func cellRect(_ p: PanelLayout, row: Int, column: Int) -> PixelRect {
            let pitch = cell + line
            return PixelRect(
                x: p.block.x + 1 + column * pitch, y: p.block.y + 1 + row * pitch,
                width: cell, height: cell)
        }
    }

    func makeLayout() throws -> FigureLayout {
        guard !panels.isEmpty else {
            throw RenderError.invalidLayout(reason: "a heatmap figure needs at least one panel")
        }
        guard columns > 0 else { throw RenderError.invalidLayout(reason: "columns must be > 0, got \(columns)") }
        for p in panels { try p.validate() }
        if let cellSize { return try makeLayout(cell: cellSize) }
        let largest = panels.map { max($0.rows, $0.columns) }.max()!
        var cell = min(40, max(20, 320 / largest))
        var layout = try makeLayout(cell: cell)
        while layout.height > maxHeight && cell > 3 {
            cell -= 1
            layout = try makeLayout(cell: cell)
        }
        return layout
    }

    private func makeLayout(cell: Int) throws -> FigureLayout {
        guard cell >= 1 else { throw RenderError.invalidLayout(reason: "cellSize must be ≥ 1, got \(cell)") }
        let line = gridLines == .thin ? 1 : 0
        let pitch = cell + line

        let measure = try Canvas(width: 1, height: 1)
        struct Size {
            var blockWidth, blockHeight, contentWidth, width, height, barHeight, left, top: Int; var labels: [String]
        }
        let sizes: [Size] = panels.map { p in
            let blockWidth = 1 + p.columns * pitch + (1 - line)
            let blockHeight = 1 + p.rows * pitch + (1 - line)
            // Shrunk cells (a deep model's many panels) keep a shorter bar, so the panel stays small.
            var barHeight = max(blockHeight - 2, cell >= 20 ? Layout.minimumBarHeight : 41)
            if barHeight % 2 == 0 { barHeight += 1 }
            let s = p.colorLimit
            let labels = [Ticks.compact(s), "0", Ticks.compact(-s)]
            measure.setFont(size: Layout.labelFont)
            let labelWidth = labels.map { measure.textWidth($0) }.max()!
            measure.setFont(size: Layout.axisLabelFont)
            let left =
                p.rowLabels.map {
                    Int(($0.map { measure.textWidth($0) }.max() ?? 0).rounded(.up)) + Layout.axisLabelGap
                } ?? 0
            let top = p.columnLabels == nil ? 0 : Int(Layout.axisLabelFont) + Layout.axisLabelGap + 2
            let contentWidth =
                left + blockWidth + Layout.barGap + Layout.barWidth + 1 + Layout.tickLength
                + Layout.labelGap + Int(labelWidth.rounded(.up))
            measure.setFont(size: Layout.titleFont, weight: .bold)
            let titleWidth = Int(measure.textWidth(p.title).rounded(.up))
            return Size(
                blockWidth: blockWidth, blockHeight: blockHeight, contentWidth: contentWidth,
                width: max(contentWidth, titleWidth),
                height: Layout.titleBand + top + max(blockHeight, barHeight + 2) + Layout.bottomPad,
                barHeight: barHeight, left: left, top: top, labels: labels)
        }
        let gridColumns = min(columns, panels.count)
        let gridRows = (panels.count + gridColumns - 1) / gridColumns
        // Each grid column is as wide as its widest panel, each grid row as tall as its tallest.
        var columnWidths = [Int](repeating: 0, count: gridColumns)
        var rowHeights = [Int](repeating: 0, count: gridRows)
        for (k, s) in sizes.enumerated() {
            columnWidths[k % gridColumns] = max(columnWidths[k % gridColumns], s.width)
            rowHeights[k / gridColumns] = max(rowHeights[k / gridColumns], s.height)
        }
        let gridWidth = columnWidths.reduce(0, +) + (gridColumns - 1) * Layout.horizontalGap
        let top = Layout.margin + ((title?.isEmpty ?? true) ? 0 : Layout.figureTitleBand)
        var width = 2 * Layout.margin + gridWidth
        if let title, !title.isEmpty {
            measure.setFont(size: Layout.figureTitleFont, weight: .bold)
            width = max(width, 2 * Layout.margin + Int(measure.textWidth(title).rounded(.up)))
        }
        let height =
            top + rowHeights.reduce(0, +) + (gridRows - 1) * Layout.verticalGap + Layout.margin - Layout.bottomPad
        let left = (width - gridWidth) / 2

        var layouts: [PanelLayout] = []
        for (k, s) in sizes.enumerated() {
            let column = k % gridColumns, row = k / gridColumns
            let slotX = left + columnWidths[..<column].reduce(0, +) + column * Layout.horizontalGap
            let slotY = top + rowHeights[..<row].reduce(0, +) + row * Layout.verticalGap
            let slotWidth = columnWidths[column]
            let x0 = slotX + (slotWidth - s.contentWidth) / 2 + s.left
            let y0 = slotY + Layout.titleBand + s.top
            let block = PixelRect(x: x0, y: y0, width: s.blockWidth, height: s.blockHeight)
            let bar = PixelRect(
                x: x0 + s.blockWidth + Layout.barGap, y: y0 + 1, width: Layout.barWidth, height: s.barHeight)
            let tickRows = [bar.y, bar.y + (bar.height - 1) / 2, bar.y + bar.height - 1]
            layouts.append(
                PanelLayout(
                    block: block, bar: bar, barTickRows: tickRows, barLabels: s.labels,
                    labelX: bar.x + bar.width + 1 + Layout.tickLength + Layout.labelGap,
                    titleCenterX: Double(slotX) + Double(slotWidth) / 2,
                    titleTop: Double(slotY) + 4))
        }
        return FigureLayout(width: width, height: height, cell: cell, line: line, panels: layouts)
    }

    // MARK: Pixels

    private static let frame = RGBA(r: 140, g: 140, b: 140)
    private static let ink = RGBA(r: 31, g: 31, b: 31)

    private func paintMatrix(_ h: Heatmap, _ p: PanelLayout, _ layout: FigureLayout, into image: inout RGBAImage) {
        image.fill(p.block, with: Self.frame)
        image.fill(
            PixelRect(x: p.block.x + 1, y: p.block.y + 1, width: p.block.width - 2, height: p.block.height - 2),
            with: .white)
        for r in 0..<h.rows {
            for c in 0..<h.columns {
                image.fill(layout.cellRect(p, row: r, column: c), with: h.cellColor(row: r, column: c))
            }
        }
    }

    private func paintColorBar(_ h: Heatmap, _ p: PanelLayout, into image: inout RGBAImage) {
        let bar = p.bar
        image.fill(
            PixelRect(x: bar.x - 1, y: bar.y - 1, width: bar.width + 2, height: bar.height + 2), with: Self.frame)
        let s = h.colorLimit
        for y in 0..<bar.height {
            // Row centres run from +s (top) to −s (bottom); the middle row is exactly 0.
            let value = s * (1 - 2 * Double(y) / Double(bar.height - 1))
            image.fill(
                PixelRect(x: bar.x, y: bar.y + y, width: bar.width, height: 1),
                with: DivergingColorMap.color(value, scale: s))
        }
        for row in p.barTickRows {
            image.fill(PixelRect(x: bar.x + bar.width + 1, y: row, width: Layout.tickLength, height: 1), with: Self.ink)
        }
    }
}

/// Renders one or several heatmaps side by side (`columns` per row, all in one row by default).
public func renderHeatmaps(_ heatmaps: [Heatmap], columns: Int? = nil) throws -> RGBAImage {
    try HeatmapFigure(heatmaps, columns: columns).render()
}
