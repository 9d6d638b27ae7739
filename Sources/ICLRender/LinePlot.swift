import CCairo
import Foundation

/// How an axis maps data to pixels. On `.log10`, non-positive values cannot be placed and are
/// skipped like NaN.
public enum AxisScale: Sendable { case linear, log10 }

/// How a series is drawn: `line` is a line with a few markers along it (enough to tell series
/// apart where they coincide), `lineAndMarkers` a line with a marker at every point, `markers`
/// markers only.
public enum SeriesStyle: Sendable { case line, markers, lineAndMarkers }

/// A line's dash pattern. Series take them in this order by default, so that coinciding curves stay
/// visible: solid lines are drawn first, broken ones over them.
public enum LineDash: Int, Sendable, CaseIterable {
    case solid, dashed, dashDot, dotted

    /// Cairo's on/off lengths in pixels (a 0.1-px dash with round caps is a dot).
    var pattern: [Double] {
        switch self {
        case .solid: return []
        case .dashed: return [8, 5]
        case .dashDot: return [9, 4, 0.1, 4]
        case .dotted: return [0.1, 4.5]
        }
    }
}

/// A marker's shape, drawn as an outline so that markers of coinciding series all show.
public enum MarkerShape: Int, Sendable, CaseIterable { case circle, square, triangle, diamond, invertedTriangle, cross }

/// A shaded region between `lower` and `upper` around a series (e.g. mean ± standard deviation
/// over seeds), drawn in the series colour at low opacity. Both arrays align with the series' x.
public struct Band: Sendable {
    public var lower: [Double]
    public var upper: [Double]
    public init(lower: [Double], upper: [Double]) {
        self.lower = lower
        self.upper = upper
    }
}

/// One curve. Points whose coordinates are NaN or infinite (or ≤ 0 on a log axis) are skipped
/// and split the line into pieces, so missing values show as gaps rather than as jumps.
public struct Series: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var style: SeriesStyle
    public var band: Band?
    /// `nil` takes the next tab10 colour in series order.
    public var color: Color?
    /// `nil` takes the next dash pattern in series order (solid, dashed, dash-dot, dotted).
    public var dash: LineDash?
    /// `nil` takes the next marker shape in series order.
    public var marker: MarkerShape?

    public init(
        name: String, x: [Double], y: [Double], style: SeriesStyle = .line,
        band: Band? = nil, color: Color? = nil, dash: LineDash? = nil, marker: MarkerShape? = nil
    ) {
        self.name = name
        self.x = x
        self.y = y
        self.style = style
        self.band = band
        self.color = color
        self.dash = dash
        self.marker = marker
    }

    /// `y` against 0, 1, 2, … (e.g. a loss per training step).
    public init(
        name: String, y: [Double], style: SeriesStyle = .line, band: Band? = nil, color: Color? = nil,
        dash: LineDash? = nil, marker: MarkerShape? = nil
    ) {
        self.init(
            name: name, x: y.indices.map(Double.init), y: y, style: style, band: band, color: color, dash: dash,
            marker: marker)
    }
}

/// A dashed vertical line across the plot at `x`, labelled at the top (e.g. the training
/// context size N in an OOD sweep).
public struct VerticalMarker: Sendable {
    public var x: Double
    public var label: String
    public var color: Color?
    public init(x: Double, label: String, color: Color? = nil) {
        self.x = x
        self.label = label
        self.color = color
    }
}

/// A dashed horizontal reference line at `y`, labelled at its right end (e.g. the loss of one
/// step of gradient descent).
public struct HorizontalLine: Sendable {
    public var y: Double
    public var label: String
    public var color: Color?
    public init(y: Double, label: String, color: Color? = nil) {
        self.y = y
        self.label = label
        self.color = color
    }
}

/// A note at a point of the plot with an arrowhead, e.g. "diverges at step 12" where a curve leaves
/// the axis. `y == nil` puts it at the top edge of the plot area.
public struct Annotation: Sendable {
    public var x: Double
    public var y: Double?
    public var text: String
    public var color: Color?
    public init(x: Double, y: Double? = nil, text: String, color: Color? = nil) {
        self.x = x
        self.y = y
        self.text = text
        self.color = color
    }
}

/// A tick at `value` labelled `label` (for axes of categories, e.g. "own", "next", "other").
public struct AxisTick: Sendable {
    public var value: Double
    public var label: String
    public init(value: Double, label: String) {
        self.value = value
        self.label = label
    }
}

/// Where the legend goes. `automatic` takes an inside corner (or the middle of the top or bottom
/// edge) that covers no data point, and else puts the legend outside the plot area, to its right
/// (or below it, when the right would leave the plot too narrow); `outside` always does.
public enum LegendPlacement: Sendable { case automatic, topLeft, topRight, bottomLeft, bottomRight, outside, hidden }

/// A 2-D line plot: frame, 1-2-5 (linear) or decade (log) ticks, grid, axis labels, title,
/// legend, series with optional bands, reference lines. Drawn antialiased with Cairo.
public struct LinePlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    public var series: [Series]
    public var verticalMarkers: [VerticalMarker]
    public var horizontalLines: [HorizontalLine]
    /// Fixed axis ranges; `nil` fits the data with 5 % padding.
    public var xLimits: ClosedRange<Double>?
    public var yLimits: ClosedRange<Double>?
    public var legend: LegendPlacement
    public var annotations: [Annotation]
    /// Ticks of the x axis given by name (categories); `nil`: numbers.
    public var xTicks: [AxisTick]?
    /// Size of the whole panel in pixels, margins included.
    public var width: Int
    public var height: Int

    public init(
        title: String = "", xLabel: String = "", yLabel: String = "",
        xScale: AxisScale = .linear, yScale: AxisScale = .linear,
        series: [Series] = [], verticalMarkers: [VerticalMarker] = [],
        horizontalLines: [HorizontalLine] = [],
        xLimits: ClosedRange<Double>? = nil, yLimits: ClosedRange<Double>? = nil,
        legend: LegendPlacement = .automatic, annotations: [Annotation] = [], xTicks: [AxisTick]? = nil,
        width: Int = 800, height: Int = 500
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
        self.verticalMarkers = verticalMarkers
        self.horizontalLines = horizontalLines
        self.xLimits = xLimits
        self.yLimits = yLimits
        self.legend = legend
        self.annotations = annotations
        self.xTicks = xTicks
        self.width = width
        self.height = height
    }

    /// Throws the first problem that would stop the plot from being drawn faithfully: no series,
    /// an empty series, x/y (or band) lengths that differ, unusable limits, a size too small.
    public func validate() throws {
        guard !series.isEmpty else { throw RenderError.noSeries(plot: title) }
        for s in series {
            guard !s.x.isEmpty || !s.y.isEmpty else { throw RenderError.emptySeries(plot: title, series: s.name) }
            guard s.x.count == s.y.count else {
                throw RenderError.lengthMismatch(
                    plot: title, series: s.name, reason: "x has \(s.x.count) values, y has \(s.y.count)")
            }
            if let band = s.band, band.lower.count != s.x.count || band.upper.count != s.x.count {
                throw RenderError.lengthMismatch(
                    plot: title, series: s.name,
                    reason:
                        "band has \(band.lower.count) lower and \(band.upper.count) upper values for \(s.x.count) points"
                )
            }
        }
        for (limits, scale, axis) in [(xLimits, xScale, "x"), (yLimits, yScale, "y")] {
            guard let limits else { continue }
            guard limits.lowerBound.isFinite, limits.upperBound.isFinite, limits.lowerBound < limits.upperBound else {
                throw RenderError.invalidLimits(
                    plot: title, reason: "\(axis) limits \(limits) must be finite with lower < upper")
            }
            if scale == .log10, limits.lowerBound <= 0 {
                throw RenderError.invalidLimits(
                    plot: title, reason: "\(axis) limits \(limits) must be > 0 on a log axis")
            }
        }
        guard width >= 200, height >= 150 else {
            throw RenderError.invalidLayout(
                reason: "line plot \"\(title)\" is \(width)×\(height); use at least 200×150")
        }
    }

    /// Draws the plot into a `width × height` image.
    public func render() throws -> RGBAImage {
        try validate()
        let canvas = try Canvas(width: width, height: height)
        draw(on: canvas, x: 0, y: 0)
        return canvas.image()
    }

    /// Renders and writes the plot as a PNG (atomically, see `RGBAImage.writePNG`).
    public func writePNG(to path: String) throws {
        try render().writePNG(to: path)
    }
}

/// Several plots in a grid, `columns` per row, each in a slot as large as the largest plot; an
/// optional `title` runs above them all.
public struct PlotGrid: Sendable {
    public var plots: [LinePlot]
    public var columns: Int
    public var title: String?

    public init(_ plots: [LinePlot], columns: Int, title: String? = nil) {
        self.plots = plots
        self.columns = columns
        self.title = title
    }

    func validate() throws {
        guard !plots.isEmpty else { throw RenderError.invalidLayout(reason: "a grid of plots needs at least one plot") }
        guard columns > 0 else { throw RenderError.invalidLayout(reason: "columns must be > 0, got \(columns)") }
        for p in plots { try p.validate() }
    }

    var gridColumns: Int { min(columns, plots.count) }
    var slot: (width: Int, height: Int) { (plots.map(\.width).max()!, plots.map(\.height).max()!) }
    var titleBand: Int { (title?.isEmpty ?? true) ? 0 : 40 }

    /// The whole figure's size in pixels.
    public var size: (width: Int, height: Int) {
        let rows = (plots.count + gridColumns - 1) / gridColumns
        return (gridColumns * slot.width, titleBand + rows * slot.height)
    }

    func draw(on canvas: Canvas) {
        if let title, !title.isEmpty {
            canvas.setColor(PlotStyle.ink)
            let size = canvas.fittingFontSize(title, size: 17, weight: .bold, maxWidth: Double(canvas.width - 20))
            canvas.setFont(size: size, weight: .bold)
            canvas.text(title, x: Double(canvas.width) / 2, y: 26, horizontal: .center, vertical: .baseline)
        }
        for (k, plot) in plots.enumerated() {
            let x = (k % gridColumns) * slot.width + (slot.width - plot.width) / 2
            let y = titleBand + (k / gridColumns) * slot.height + (slot.height - plot.height) / 2
            plot.draw(on: canvas, x: Double(x), y: Double(y))
        }
    }

    public func render() throws -> RGBAImage {
        try validate()
        let canvas = try Canvas(width: size.width, height: size.height)
        draw(on: canvas)
        return canvas.image()
    }
}

/// `PlotGrid(plots, columns:, title:).render()`.
public func renderGrid(_ plots: [LinePlot], columns: Int, title: String? = nil) throws -> RGBAImage {
    try PlotGrid(plots, columns: columns, title: title).render()
}

// MARK: - Drawing

enum PlotStyle {
    static let ink = Color(red: 0.12, green: 0.12, blue: 0.12)
    static let grid = Color(red: 0.90, green: 0.90, blue: 0.90)
    static let reference = Color(red: 0.35, green: 0.35, blue: 0.35)
    static let titleFont = 15.0
    static let axisLabelFont = 13.0
    static let tickFont = 12.0
    static let legendFont = 12.0
    static let tickLength = 5.0
    static let lineWidth = 2.0
    static let markerRadius = 4.0
    static let markerLine = 1.5
    static let bandOpacity = 0.18
}

/// Maps one axis between data and pixels.
struct AxisMap {
    var scale: AxisScale
    var lo: Double, hi: Double  // data range
    var start: Double, end: Double  // pixels (end < start for y)

    func transform(_ v: Double) -> Double { scale == .log10 ? log10(v) : v }

    /// Whether `v` can be placed on this axis at all.
    func accepts(_ v: Double) -> Bool { v.isFinite && (scale == .linear || v > 0) }

    func pixel(_ v: Double) -> Double {
        let a = transform(lo), b = transform(hi)
        return start + (transform(v) - a) / (b - a) * (end - start)
    }
}

extension LinePlot {
    func color(of index: Int) -> Color { series[index].color ?? Color.tab10[index % Color.tab10.count] }

    /// The data range along one axis: every placeable value of the series, their bands and the
    /// reference lines on that axis, padded by 5 % (of decades, on a log axis).
    func range(values: [Double], scale: AxisScale, limits: ClosedRange<Double>?) -> (Double, Double) {
        if let limits { return (limits.lowerBound, limits.upperBound) }
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else { return scale == .log10 ? (1, 10) : (0, 1) }
        if scale == .log10 { lo = log10(lo); hi = log10(hi) }
        let pad = hi > lo ? 0.05 * (hi - lo) : (scale == .log10 ? 0.5 : max(abs(lo) * 0.1, 1))
        lo -= pad; hi += pad
        return scale == .log10 ? (pow(10, lo), pow(10, hi)) : (lo, hi)
    }

    func dataRanges() -> (x: (Double, Double), y: (Double, Double)) {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for i in s.x.indices {
                let x = s.x[i]
                guard x.isFinite, xScale == .linear || x > 0 else { continue }
                var yValues = [s.y[i]]
                if let band = s.band { yValues += [band.lower[i], band.upper[i]] }
                let placeable = yValues.filter { $0.isFinite && (yScale == .linear || $0 > 0) }
                if !placeable.isEmpty { xs.append(x); ys += placeable }
            }
        }
        xs += verticalMarkers.map(\.x)
        ys += horizontalLines.map(\.y)
        return (range(values: xs, scale: xScale, limits: xLimits), range(values: ys, scale: yScale, limits: yLimits))
    }

    /// Pieces of consecutive placeable points, in pixels.
    func runs(_ s: Series, _ ys: [Double], _ mx: AxisMap, _ my: AxisMap) -> [[(Double, Double)]] {
        var result: [[(Double, Double)]] = [], current: [(Double, Double)] = []
        for i in s.x.indices {
            if mx.accepts(s.x[i]) && my.accepts(ys[i]) {
                current.append((mx.pixel(s.x[i]), my.pixel(ys[i])))
            } else if !current.isEmpty {
                result.append(current); current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Draws the plot with its top-left corner at (x, y) of `canvas`: layout (with the legend
    /// outside the plot area when no inside place is free of data), grid, data, axes, then the
    /// labels of reference lines, the annotations and the legend.
    func draw(on canvas: Canvas, x originX: Double, y originY: Double) {
        canvas.save()
        cairo_translate(canvas.cr, originX, originY)
        canvas.clip(x: 0, y: 0, width: Double(width), height: Double(height))
        defer { canvas.restore() }
        let (frame, legendBox) = placeLegend(canvas)
        drawGrid(canvas, frame)
        let occupied = drawData(canvas, frame)
        drawAxes(canvas, frame)
        var labels = drawReferenceLabels(canvas, frame, avoiding: occupied, reserved: legendBox.map { [$0] } ?? [])
        labels += drawAnnotations(canvas, frame, avoiding: occupied, labels: labels + (legendBox.map { [$0] } ?? []))
        if let legendBox { drawLegend(canvas, box: legendBox) }
    }

    /// The layout and the legend's box (nil without a legend): inside where it covers no data,
    /// else outside the plot area (for `automatic`).
    func placeLegend(_ canvas: Canvas) -> (Frame, Rect?) {
        let frame = layout(canvas)
        guard let size = legendSize(canvas) else { return (frame, nil) }
        if legend == .automatic, let inside = freeLegendPlace(size, frame: frame, points: dataPoints(frame)) {
            return (frame, inside)
        }
        if legend == .automatic || legend == .outside {
            let (outsideFrame, box) = outsideLegendLayout(canvas, size)
            return (outsideFrame, box)
        }
        return (frame, fixedLegendPlace(size, area: frame.area))
    }

    /// Margins and gaps of a panel, in pixels.
    enum Margin {
        static let outer = 12.0  // panel edge to the axis labels
        static let top = 16.0, topWithTitle = 42.0
        static let right = 28.0
        static let tickLabelGap = 4.0  // tick to its label
        static let axisLabelGap = 10.0  // axis label to the tick labels
        static let titleBaseline = 26.0
        static let xLabelBottom = 10.0  // the x axis label's baseline above the panel's bottom
        static let titleInset = 8.0  // how close the title may come to the panel's sides
        static let yTickSpacing = 50.0  // at most one y tick per this many pixels
        static let minorTick = 0.6  // a minor tick's length, as a fraction of a major one's
        static let referenceDash = [6.0, 4.0], referenceWidth = 1.2
    }

    /// Where the plot area sits in the panel, its ticks and its data-to-pixel maps.
    struct Frame {
        let left: Double, top: Double, plotWidth: Double, plotHeight: Double
        let xTicks: [Tick], yTicks: [Tick]
        let mx: AxisMap, my: AxisMap
        var area: Rect { Rect(x: left, y: top, width: plotWidth, height: plotHeight) }
        var bottom: Double { top + plotHeight }
    }

    /// The vertical layout is fixed; the left margin depends on the widest y tick label. `right`
    /// and `below` reserve room for a legend outside the plot area.
    func layout(_ canvas: Canvas, right: Double = 0, below: Double = 0) -> Frame {
        let W = Double(width) - right, H = Double(height)
        let (xRange, yRange) = dataRanges()
        let top = title.isEmpty ? Margin.top : Margin.topWithTitle
        let bottom =
            Margin.outer + PlotStyle.tickLength + Margin.tickLabelGap + PlotStyle.tickFont
            + (xLabel.isEmpty ? 0 : Margin.axisLabelGap + PlotStyle.axisLabelFont) + below
        let plotHeight = H - top - bottom
        let yTicks = ticks(yScale, yRange, maxCount: max(2, Int(plotHeight / Margin.yTickSpacing)))
        let yLabelWidth = yTicks.compactMap(\.label).map { canvas.labelWidth($0, size: PlotStyle.tickFont) }.max() ?? 0
        let left =
            Margin.outer + (yLabel.isEmpty ? 0 : PlotStyle.axisLabelFont + Margin.axisLabelGap) + yLabelWidth
            + Margin.tickLabelGap + PlotStyle.tickLength
        let plotWidth = W - left - Margin.right
        let xTicks = fittingXTicks(canvas, xRange, plotWidth: plotWidth)
        return Frame(
            left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, xTicks: xTicks, yTicks: yTicks,
            mx: AxisMap(scale: xScale, lo: xRange.0, hi: xRange.1, start: left, end: left + plotWidth),
            my: AxisMap(scale: yScale, lo: yRange.0, hi: yRange.1, start: top + plotHeight, end: top))
    }

    /// Grid lines at the major ticks.
    func drawGrid(_ canvas: Canvas, _ f: Frame) {
        canvas.setColor(PlotStyle.grid)
        for t in f.xTicks where t.isMajor {
            canvas.line(x0: f.mx.pixel(t.value), y0: f.top, x1: f.mx.pixel(t.value), y1: f.bottom)
        }
        for t in f.yTicks where t.isMajor {
            canvas.line(x0: f.left, y0: f.my.pixel(t.value), x1: f.left + f.plotWidth, y1: f.my.pixel(t.value))
        }
    }

    /// Bands, reference lines and the series, clipped to the plot area; returns the boxes of the
    /// drawn points (where labels should not go).
    func drawData(_ canvas: Canvas, _ f: Frame) -> [Rect] {
        let (mx, my) = (f.mx, f.my)
        canvas.save()
        defer { canvas.restore() }
        canvas.clip(x: f.left, y: f.top, width: f.plotWidth, height: f.plotHeight)
        cairo_set_line_join(canvas.cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(canvas.cr, CAIRO_LINE_CAP_ROUND)
        for (k, s) in series.enumerated() { drawBand(s, color(of: k), canvas, mx, my) }
        for line in horizontalLines where my.accepts(line.y) {
            canvas.setColor(line.color ?? PlotStyle.reference)
            canvas.setDash(Margin.referenceDash)
            canvas.line(
                x0: f.left, y0: my.pixel(line.y).rounded(), x1: f.left + f.plotWidth, y1: my.pixel(line.y).rounded(),
                width: Margin.referenceWidth)
        }
        for marker in verticalMarkers where mx.accepts(marker.x) {
            canvas.setColor(marker.color ?? PlotStyle.reference)
            canvas.setDash(Margin.referenceDash)
            canvas.line(
                x0: mx.pixel(marker.x).rounded(), y0: f.top, x1: mx.pixel(marker.x).rounded(), y1: f.bottom,
                width: Margin.referenceWidth)
        }
        canvas.setDash([])
        // Solid lines first, broken ones over them: where series coincide, every one still shows.
        for k in drawingOrder {
            let s = series[k]
            guard s.style != .markers else { continue }
            canvas.setColor(color(of: k))
            canvas.setDash(dash(of: k).pattern)
            cairo_set_line_width(canvas.cr, PlotStyle.lineWidth)
            for run in runs(s, s.y, mx, my) where run.count > 1 {
                cairo_move_to(canvas.cr, run[0].0, run[0].1)
                for p in run.dropFirst() { cairo_line_to(canvas.cr, p.0, p.1) }
                cairo_stroke(canvas.cr)
            }
        }
        canvas.setDash([])
        for k in drawingOrder {
            canvas.setColor(color(of: k))
            for p in markerPoints(k, mx, my) { drawMarker(canvas, marker(of: k), at: p) }
        }
        return dataPoints(f)
    }

    /// Series indices in drawing order: by dash pattern (solid first), then as given.
    var drawingOrder: [Int] { series.indices.sorted { (dash(of: $0).rawValue, $0) < (dash(of: $1).rawValue, $1) } }

    func dash(of k: Int) -> LineDash { series[k].dash ?? LineDash.allCases[k % LineDash.allCases.count] }
    func marker(of k: Int) -> MarkerShape { series[k].marker ?? MarkerShape.allCases[k % MarkerShape.allCases.count] }

    /// Where series `k` gets markers: every point for `markers` and `lineAndMarkers` (and for short
    /// series), else about eight along the line, shifted per series so that coinciding series'
    /// markers do not sit on each other.
    func markerPoints(_ k: Int, _ mx: AxisMap, _ my: AxisMap) -> [(Double, Double)] {
        let s = series[k]
        let placeable = s.x.indices.filter { mx.accepts(s.x[$0]) && my.accepts(s.y[$0]) }
        var chosen = placeable
        if s.style == .line && placeable.count > 12 {
            let spacing = placeable.count / 8
            let phase = (k * spacing) / max(series.count, 1)
            chosen = placeable.enumerated().filter { ($0.offset + spacing - phase) % spacing == 0 }.map(\.element)
        }
        return chosen.map { (mx.pixel(s.x[$0]), my.pixel(s.y[$0])) }
    }

    /// An outlined marker (so that several at one point all show).
    func drawMarker(
        _ canvas: Canvas, _ shape: MarkerShape, at p: (Double, Double), size r: Double = PlotStyle.markerRadius
    ) {
        let cr = canvas.cr, (x, y) = p
        cairo_new_path(cr)
        switch shape {
        case .circle:
            cairo_arc(cr, x, y, r, 0, 2 * Double.pi)
        case .square:
            cairo_rectangle(cr, x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r)
        case .triangle:
            cairo_move_to(cr, x, y - 1.2 * r); cairo_line_to(cr, x + 1.1 * r, y + 0.8 * r);
            cairo_line_to(cr, x - 1.1 * r, y + 0.8 * r)
            cairo_close_path(cr)
        case .invertedTriangle:
            cairo_move_to(cr, x, y + 1.2 * r); cairo_line_to(cr, x + 1.1 * r, y - 0.8 * r);
            cairo_line_to(cr, x - 1.1 * r, y - 0.8 * r)
            cairo_close_path(cr)
        case .diamond:
            cairo_move_to(cr, x, y - 1.3 * r); cairo_line_to(cr, x + 1.1 * r, y); cairo_line_to(cr, x, y + 1.3 * r)
            cairo_line_to(cr, x - 1.1 * r, y)
            cairo_close_path(cr)
        case .cross:
            cairo_move_to(cr, x - r, y - r); cairo_line_to(cr, x + r, y + r)
            cairo_move_to(cr, x + r, y - r); cairo_line_to(cr, x - r, y + r)
        }
        cairo_set_line_width(cr, PlotStyle.markerLine)
        cairo_stroke(cr)
    }

    /// Points every few pixels along every drawn line and every marker's box: what labels and the
    /// legend must not cover.
    func dataPoints(_ f: Frame) -> [Rect] {
        var points: [Rect] = []
        for (k, s) in series.enumerated() {
            if s.style != .markers { for run in runs(s, s.y, f.mx, f.my) { points += sample(run) } }
            let r = PlotStyle.markerRadius + 1
            points += markerPoints(k, f.mx, f.my).map { Rect(x: $0.0 - r, y: $0.1 - r, width: 2 * r, height: 2 * r) }
        }
        return points.filter { f.area.intersects($0) || f.area.contains($0.x, $0.y) }
    }

    /// Frame, ticks and their labels, the axis labels and the title.
    func drawAxes(_ canvas: Canvas, _ f: Frame) {
        let W = Double(width), H = Double(height)
        canvas.setColor(PlotStyle.ink)
        canvas.strokeRect(x: f.left, y: f.top, width: f.plotWidth + 1, height: f.plotHeight + 1)
        for t in f.xTicks {
            let px = f.mx.pixel(t.value)
            let length = t.isMajor ? PlotStyle.tickLength : PlotStyle.tickLength * Margin.minorTick
            canvas.line(x0: px, y0: f.bottom + 1, x1: px, y1: f.bottom + 1 + length)
            if let label = t.label {
                canvas.label(
                    label, x: px, y: f.bottom + PlotStyle.tickLength + Margin.tickLabelGap, size: PlotStyle.tickFont,
                    horizontal: .center, vertical: .top)
            }
        }
        for t in f.yTicks {
            let py = f.my.pixel(t.value)
            let length = t.isMajor ? PlotStyle.tickLength : PlotStyle.tickLength * Margin.minorTick
            canvas.line(x0: f.left - length, y0: py, x1: f.left, y1: py)
            if let label = t.label {
                canvas.label(
                    label, x: f.left - PlotStyle.tickLength - Margin.tickLabelGap, y: py, size: PlotStyle.tickFont,
                    horizontal: .right, vertical: .middle)
            }
        }
        if !xLabel.isEmpty {
            canvas.setFont(size: PlotStyle.axisLabelFont)
            let baseline =
                f.bottom + PlotStyle.tickLength + Margin.tickLabelGap + PlotStyle.tickFont + Margin.axisLabelGap
                + PlotStyle.axisLabelFont
            canvas.text(
                xLabel, x: f.left + f.plotWidth / 2, y: min(baseline, H - Margin.xLabelBottom), horizontal: .center,
                vertical: .bottom)
        }
        if !yLabel.isEmpty {
            canvas.setFont(size: PlotStyle.axisLabelFont)
            canvas.text(
                yLabel, x: Margin.outer, y: f.top + f.plotHeight / 2, horizontal: .center, vertical: .top,
                angle: -Double.pi / 2)
        }
        if !title.isEmpty {
            let size = canvas.fittingFontSize(
                title, size: PlotStyle.titleFont, weight: .bold, maxWidth: W - 2 * Margin.titleInset)
            canvas.setFont(size: size, weight: .bold)
            // Centred over the plot area, shifted only as far as needed to stay inside the panel.
            let half = canvas.textWidth(title) / 2
            let center = min(max(f.left + f.plotWidth / 2, Margin.titleInset + half), W - Margin.titleInset - half)
            canvas.text(title, x: center, y: Margin.titleBaseline, horizontal: .center, vertical: .baseline)
        }
    }

    /// Reference-line labels: each goes where it hides the fewest data points and no other label.
    /// Returns their boxes (for the legend to avoid).
    /// `reserved` (the legend's box) is avoided like another label.
    func drawReferenceLabels(_ canvas: Canvas, _ f: Frame, avoiding occupied: [Rect], reserved: [Rect] = []) -> [Rect] {
        let labelGap = 4.0, lineGap = 6.0  // label to its line; to the plot's side
        canvas.setFont(size: PlotStyle.legendFont)
        let area = f.area
        let labelHeight = PlotStyle.legendFont + 2  // text box: 2 px above capitals, descenders
        var labels: [Rect] = []
        for marker in verticalMarkers where f.mx.accepts(marker.x) && !marker.label.isEmpty {
            let px = f.mx.pixel(marker.x).rounded()
            let w = canvas.textWidth(marker.label)
            var candidates: [Rect] = []
            for row in 0..<3 {
                let y = f.top + labelGap + Double(row) * labelHeight
                candidates += [
                    Rect(x: px + labelGap, y: y, width: w, height: labelHeight),
                    Rect(x: px - labelGap - w, y: y, width: w, height: labelHeight),
                ]
            }
            let bottomY = f.bottom - labelGap - labelHeight
            candidates += [
                Rect(x: px + labelGap, y: bottomY, width: w, height: labelHeight),
                Rect(x: px - labelGap - w, y: bottomY, width: w, height: labelHeight),
            ]
            let rect = cheapest(candidates, inside: area, points: occupied, labels: labels + reserved)
            labels.append(rect)
            canvas.haloText(
                marker.label, x: rect.x, y: rect.y + 2, color: marker.color ?? PlotStyle.reference,
                horizontal: .left, vertical: .top)
        }
        for line in horizontalLines where f.my.accepts(line.y) && !line.label.isEmpty {
            let py = f.my.pixel(line.y).rounded()
            let w = canvas.textWidth(line.label)
            // Along the line from its right end to its left, above then below it.
            let span = f.plotWidth - 2 * lineGap - w
            var candidates: [Rect] = []
            for fraction in [1.0, 0.0, 0.5, 0.75, 0.25, 0.875, 0.125] {
                let x = f.left + lineGap + fraction * span
                candidates += [
                    Rect(x: x, y: py - 2 - labelHeight, width: w, height: labelHeight),
                    Rect(x: x, y: py + 3, width: w, height: labelHeight),
                ]
            }
            let rect = cheapest(candidates, inside: area, points: occupied, labels: labels + reserved)
            labels.append(rect)
            canvas.haloText(
                line.label, x: rect.x, y: rect.y + 2, color: line.color ?? PlotStyle.reference,
                horizontal: .left, vertical: .top)
        }
        return labels
    }

    private func ticks(_ scale: AxisScale, _ range: (Double, Double), maxCount: Int) -> [Tick] {
        scale == .log10
            ? Ticks.logarithmic(lo: range.0, hi: range.1, maxCount: maxCount)
            : Ticks.linear(lo: range.0, hi: range.1, maxCount: maxCount)
    }

    /// x ticks with as many labels as fit side by side without touching.
    private func fittingXTicks(_ canvas: Canvas, _ range: (Double, Double), plotWidth: Double) -> [Tick] {
        if let xTicks { return xTicks.map { Tick(value: $0.value, label: TickLabel(text: $0.label)) } }
        var count = max(2, Int(plotWidth / 80))
        while true {
            let t = ticks(xScale, range, maxCount: count)
            let mx = AxisMap(scale: xScale, lo: range.0, hi: range.1, start: 0, end: plotWidth)
            let spans = t.compactMap { tick in
                tick.label.map { (mx.pixel(tick.value), canvas.labelWidth($0, size: PlotStyle.tickFont)) }
            }
            let fits = zip(spans, spans.dropFirst()).allSatisfy { a, b in a.0 + a.1 / 2 + 10 <= b.0 - b.1 / 2 }
            if fits || count <= 2 { return t }
            count -= 1
        }
    }

    private func drawBand(_ s: Series, _ c: Color, _ canvas: Canvas, _ mx: AxisMap, _ my: AxisMap) {
        guard let band = s.band else { return }
        canvas.setColor(c, alpha: PlotStyle.bandOpacity)
        var piece: [Int] = []
        func flush() {
            defer { piece = [] }
            guard piece.count > 1 else { return }
            cairo_move_to(canvas.cr, mx.pixel(s.x[piece[0]]), my.pixel(band.upper[piece[0]]))
            for i in piece.dropFirst() { cairo_line_to(canvas.cr, mx.pixel(s.x[i]), my.pixel(band.upper[i])) }
            for i in piece.reversed() { cairo_line_to(canvas.cr, mx.pixel(s.x[i]), my.pixel(band.lower[i])) }
            cairo_close_path(canvas.cr)
            cairo_fill(canvas.cr)
        }
        for i in s.x.indices {
            if mx.accepts(s.x[i]) && my.accepts(band.lower[i]) && my.accepts(band.upper[i]) {
                piece.append(i)
            } else {
                flush()
            }
        }
        flush()
    }

    /// The first of `candidates` (inside `area`) hiding the fewest points, where covering another
    /// label counts as a thousand points.
    private func cheapest(_ candidates: [Rect], inside area: Rect, points: [Rect], labels: [Rect]) -> Rect {
        let fitting = candidates.filter {
            $0.x >= area.x && $0.x + $0.width <= area.x + area.width
                && $0.y >= area.y && $0.y + $0.height <= area.y + area.height
        }
        func cost(_ r: Rect) -> Int {
            points.filter { r.contains($0.x, $0.y) || r.intersects($0) }.count + 1000
                * labels.filter { r.intersects($0) }.count
        }
        return (fitting.isEmpty ? candidates : fitting).min { cost($0) < cost($1) }!
    }

    /// Points every few pixels along a run, so legend placement sees lines, not just vertices.
    private func sample(_ run: [(Double, Double)]) -> [Rect] {
        var points = [Rect]()
        for (a, b) in zip(run, run.dropFirst()) {
            let steps = max(1, Int(hypot(b.0 - a.0, b.1 - a.1) / 4))
            for k in 0..<steps {
                let t = Double(k) / Double(steps)
                points.append(Rect(x: a.0 + (b.0 - a.0) * t, y: a.1 + (b.1 - a.1) * t, width: 0, height: 0))
            }
        }
        if let last = run.last { points.append(Rect(x: last.0, y: last.1, width: 0, height: 0)) }
        return points
    }

    enum LegendMetrics {
        static let swatch = 30.0, pad = 8.0, rowHeight = PlotStyle.legendFont + 6, inset = 8.0, outsideGap = 12.0
    }

    /// The legend's size, or nil when there is none to draw.
    func legendSize(_ canvas: Canvas) -> (width: Double, height: Double)? {
        let entries = series.filter { !$0.name.isEmpty }
        guard legend != .hidden, !entries.isEmpty else { return nil }
        canvas.setFont(size: PlotStyle.legendFont)
        let m = LegendMetrics.self
        let textWidth = entries.map { canvas.textWidth($0.name) }.max()!
        return (m.pad + m.swatch + 6 + textWidth + m.pad, m.pad + Double(entries.count) * m.rowHeight + m.pad - 4)
    }

    /// The inside places a legend may take: the four corners, then the middles of the top and bottom
    /// edges, then places down the sides and the middle (between curves).
    func legendCandidates(_ size: (width: Double, height: Double), area: Rect) -> [(LegendPlacement, Rect)] {
        let (w, h) = size, inset = LegendMetrics.inset
        let rightX = area.x + area.width - inset - w, leftX = area.x + inset, middleX = area.x + (area.width - w) / 2
        let topY = area.y + inset, bottomY = area.y + area.height - inset - h
        func box(_ x: Double, _ y: Double) -> Rect { Rect(x: x, y: y, width: w, height: h) }
        var candidates: [(LegendPlacement, Rect)] = [
            (.topRight, box(rightX, topY)), (.topLeft, box(leftX, topY)),
            (.bottomRight, box(rightX, bottomY)), (.bottomLeft, box(leftX, bottomY)),
            (.automatic, box(middleX, topY)), (.automatic, box(middleX, bottomY)),
        ]
        for fraction in [0.5, 0.25, 0.75, 0.375, 0.625] {
            let y = topY + fraction * (bottomY - topY)
            candidates += [(.automatic, box(rightX, y)), (.automatic, box(leftX, y)), (.automatic, box(middleX, y))]
        }
        return candidates
    }

    /// The first inside place that fits in the plot area and covers no data point, if any.
    func freeLegendPlace(_ size: (width: Double, height: Double), frame: Frame, points: [Rect]) -> Rect? {
        let area = frame.area
        return legendCandidates(size, area: area).map(\.1).first { box in
            box.x >= area.x && box.y >= area.y && box.x + box.width <= area.x + area.width
                && box.y + box.height <= area.y + area.height
                && !points.contains { box.intersects($0) || box.contains($0.x, $0.y) }
        }
    }

    func fixedLegendPlace(_ size: (width: Double, height: Double), area: Rect) -> Rect {
        legendCandidates(size, area: area).first { $0.0 == legend }?.1 ?? legendCandidates(size, area: area)[0].1
    }

    /// The layout with room for the legend right of the plot area (below it when the right would
    /// leave less than half the panel for the plot), and the legend's place there.
    func outsideLegendLayout(_ canvas: Canvas, _ size: (width: Double, height: Double)) -> (Frame, Rect) {
        let gap = LegendMetrics.outsideGap
        let right = layout(canvas, right: size.width + gap)
        if right.plotWidth >= 0.5 * Double(width) {
            return (
                right, Rect(x: right.left + right.plotWidth + gap, y: right.top, width: size.width, height: size.height)
            )
        }
        let below = layout(canvas, below: size.height + gap)
        let y = Double(height) - Margin.outer / 2 - size.height
        return (
            below,
            Rect(x: below.left + (below.plotWidth - size.width) / 2, y: y, width: size.width, height: size.height)
        )
    }

    private func drawLegend(_ canvas: Canvas, box: Rect) {
        let entries = series.indices.filter { !series[$0].name.isEmpty }
        let m = LegendMetrics.self
        canvas.setColor(Color(red: 1, green: 1, blue: 1), alpha: 0.88)
        canvas.fillRect(x: box.x, y: box.y, width: box.width, height: box.height)
        canvas.setColor(Color(red: 0.75, green: 0.75, blue: 0.75))
        canvas.strokeRect(x: box.x, y: box.y, width: box.width, height: box.height)
        for (row, k) in entries.enumerated() {
            let s = series[k], c = color(of: k)
            let cy = (box.y + m.pad + Double(row) * m.rowHeight + m.rowHeight / 2 - 2).rounded()
            let sx = box.x + m.pad
            if s.band != nil {
                canvas.setColor(c, alpha: PlotStyle.bandOpacity)
                canvas.fillRect(x: sx, y: cy - 5, width: m.swatch, height: 10)
            }
            canvas.setColor(c)
            if s.style != .markers {
                cairo_set_line_cap(canvas.cr, CAIRO_LINE_CAP_ROUND)
                canvas.setDash(dash(of: k).pattern)
                canvas.line(x0: sx, y0: cy, x1: sx + m.swatch, y1: cy, width: PlotStyle.lineWidth)
                canvas.setDash([])
            }
            drawMarker(canvas, marker(of: k), at: (sx + m.swatch / 2, cy))
            canvas.setColor(PlotStyle.ink)
            canvas.setFont(size: PlotStyle.legendFont)
            canvas.text(s.name, x: sx + m.swatch + 6, y: cy, horizontal: .left, vertical: .middle)
        }
    }

    /// Annotations: an arrowhead at the point (at the top edge, pointing up, when `y` is nil or
    /// above the axis) and the text beside it where it covers the fewest points and no label.
    func drawAnnotations(_ canvas: Canvas, _ f: Frame, avoiding points: [Rect], labels: [Rect]) -> [Rect] {
        var placed: [Rect] = []
        canvas.setFont(size: PlotStyle.legendFont)
        let labelHeight = PlotStyle.legendFont + 2
        for note in annotations where f.mx.accepts(note.x) {
            let px = min(max(f.mx.pixel(note.x), f.left), f.left + f.plotWidth)
            let atTop = note.y.map { !f.my.accepts($0) || f.my.pixel($0) < f.top } ?? true
            let py = atTop ? f.top + 1 : min(f.my.pixel(note.y!), f.bottom)
            let c = note.color ?? PlotStyle.ink
            canvas.setColor(c)
            cairo_new_path(canvas.cr)
            if atTop {
                cairo_move_to(canvas.cr, px, py); cairo_line_to(canvas.cr, px - 5, py + 9);
                cairo_line_to(canvas.cr, px + 5, py + 9)
            } else {
                cairo_move_to(canvas.cr, px, py - 5); cairo_line_to(canvas.cr, px - 5, py - 14);
                cairo_line_to(canvas.cr, px + 5, py - 14)
            }
            cairo_close_path(canvas.cr)
            cairo_fill(canvas.cr)
            let w = canvas.textWidth(note.text)
            let y0 = atTop ? py + 11 : py - 16 - labelHeight
            var candidates: [Rect] = []
            for row in 0..<4 {
                let y = atTop ? y0 + Double(row) * labelHeight : y0 - Double(row) * labelHeight
                candidates += [
                    Rect(x: px + 7, y: y, width: w, height: labelHeight),
                    Rect(x: px - 7 - w, y: y, width: w, height: labelHeight),
                ]
            }
            let rect = cheapest(candidates, inside: f.area, points: points, labels: labels + placed)
            placed.append(rect)
            canvas.haloText(note.text, x: rect.x, y: rect.y + 2, color: c, horizontal: .left, vertical: .top)
        }
        return placed
    }
}

/// A rectangle in (fractional) pixels, for layout decisions.
struct Rect {
    var x, y, width, height: Double
    func contains(_ px: Double, _ py: Double) -> Bool { px >= x && px <= x + width && py >= y && py <= y + height }
    func intersects(_ o: Rect) -> Bool {
        x < o.x + o.width && o.x < x + width && y < o.y + o.height && o.y < y + height
    }
}
