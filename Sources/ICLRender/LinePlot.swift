import CCairo
import Foundation

/// How an axis maps data to pixels. On `.log10`, non-positive values cannot be placed and are
/// skipped like NaN.
public enum AxisScale: Sendable { case linear, log10 }

/// How a series is drawn.
public enum SeriesStyle: Sendable { case line, markers, lineAndMarkers }

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

    public init(name: String, x: [Double], y: [Double], style: SeriesStyle = .line,
                band: Band? = nil, color: Color? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.style = style
        self.band = band
        self.color = color
    }

    /// `y` against 0, 1, 2, … (e.g. a loss per training step).
    public init(name: String, y: [Double], style: SeriesStyle = .line, band: Band? = nil, color: Color? = nil) {
        self.init(name: name, x: y.indices.map(Double.init), y: y, style: style, band: band, color: color)
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

/// Where the legend goes. `automatic` picks the inside corner that hides the fewest data points.
public enum LegendPlacement: Sendable { case automatic, topLeft, topRight, bottomLeft, bottomRight, hidden }

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
    /// Size of the whole panel in pixels, margins included.
    public var width: Int
    public var height: Int

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                series: [Series] = [], verticalMarkers: [VerticalMarker] = [],
                horizontalLines: [HorizontalLine] = [],
                xLimits: ClosedRange<Double>? = nil, yLimits: ClosedRange<Double>? = nil,
                legend: LegendPlacement = .automatic, width: Int = 800, height: Int = 500) {
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
                    reason: "band has \(band.lower.count) lower and \(band.upper.count) upper values for \(s.x.count) points")
            }
        }
        for (limits, scale, axis) in [(xLimits, xScale, "x"), (yLimits, yScale, "y")] {
            guard let limits else { continue }
            guard limits.lowerBound.isFinite, limits.upperBound.isFinite, limits.lowerBound < limits.upperBound else {
                throw RenderError.invalidLimits(plot: title, reason: "\(axis) limits \(limits) must be finite with lower < upper")
            }
            if scale == .log10, limits.lowerBound <= 0 {
                throw RenderError.invalidLimits(plot: title, reason: "\(axis) limits \(limits) must be > 0 on a log axis")
            }
        }
        guard width >= 200, height >= 150 else {
            throw RenderError.invalidLayout(reason: "line plot \"\(title)\" is \(width)×\(height); use at least 200×150")
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
public func renderGrid(_ plots: [LinePlot], columns: Int, title: String? = nil) throws -> RGBAImage {
    guard !plots.isEmpty else { throw RenderError.invalidLayout(reason: "renderGrid needs at least one plot") }
    guard columns > 0 else { throw RenderError.invalidLayout(reason: "columns must be > 0, got \(columns)") }
    for p in plots { try p.validate() }
    let gridColumns = min(columns, plots.count)
    let gridRows = (plots.count + gridColumns - 1) / gridColumns
    let slotWidth = plots.map(\.width).max()!, slotHeight = plots.map(\.height).max()!
    let titleBand = (title?.isEmpty ?? true) ? 0 : 40
    let canvas = try Canvas(width: gridColumns * slotWidth, height: titleBand + gridRows * slotHeight)
    if let title, !title.isEmpty {
        canvas.setColor(PlotStyle.ink)
        let size = canvas.fittingFontSize(title, size: 17, weight: .bold, maxWidth: Double(canvas.width - 20))
        canvas.setFont(size: size, weight: .bold)
        canvas.text(title, x: Double(canvas.width) / 2, y: 26, horizontal: .center, vertical: .baseline)
    }
    for (k, plot) in plots.enumerated() {
        let x = (k % gridColumns) * slotWidth + (slotWidth - plot.width) / 2
        let y = titleBand + (k / gridColumns) * slotHeight + (slotHeight - plot.height) / 2
        plot.draw(on: canvas, x: Double(x), y: Double(y))
    }
    return canvas.image()
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
    static let markerRadius = 3.5
    static let bandOpacity = 0.18
}

/// Maps one axis between data and pixels.
struct AxisMap {
    var scale: AxisScale
    var lo: Double, hi: Double          // data range
    var start: Double, end: Double      // pixels (end < start for y)

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

    /// Draws the plot with its top-left corner at (x, y) of `canvas`: layout, grid, data, axes,
    /// then the labels of reference lines and the legend where they hide the fewest points.
    func draw(on canvas: Canvas, x originX: Double, y originY: Double) {
        canvas.save()
        cairo_translate(canvas.cr, originX, originY)
        canvas.clip(x: 0, y: 0, width: Double(width), height: Double(height))
        defer { canvas.restore() }
        let frame = layout(canvas)
        drawGrid(canvas, frame)
        let occupied = drawData(canvas, frame)
        drawAxes(canvas, frame)
        let labels = drawReferenceLabels(canvas, frame, avoiding: occupied)
        drawLegend(canvas, area: frame.area, avoiding: occupied, labels: labels)
    }

    /// Margins and gaps of a panel, in pixels.
    enum Margin {
        static let outer = 12.0          // panel edge to the axis labels
        static let top = 16.0, topWithTitle = 42.0
        static let right = 28.0
        static let tickLabelGap = 4.0    // tick to its label
        static let axisLabelGap = 10.0   // axis label to the tick labels
        static let titleBaseline = 26.0
        static let xLabelBottom = 10.0   // the x axis label's baseline above the panel's bottom
        static let titleInset = 8.0      // how close the title may come to the panel's sides
        static let yTickSpacing = 50.0   // at most one y tick per this many pixels
        static let minorTick = 0.6       // a minor tick's length, as a fraction of a major one's
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

    /// The vertical layout is fixed; the left margin depends on the widest y tick label.
    func layout(_ canvas: Canvas) -> Frame {
        let W = Double(width), H = Double(height)
        let (xRange, yRange) = dataRanges()
        let top = title.isEmpty ? Margin.top : Margin.topWithTitle
        let bottom = Margin.outer + PlotStyle.tickLength + Margin.tickLabelGap + PlotStyle.tickFont
            + (xLabel.isEmpty ? 0 : Margin.axisLabelGap + PlotStyle.axisLabelFont)
        let plotHeight = H - top - bottom
        let yTicks = ticks(yScale, yRange, maxCount: max(2, Int(plotHeight / Margin.yTickSpacing)))
        let yLabelWidth = yTicks.compactMap(\.label).map { canvas.labelWidth($0, size: PlotStyle.tickFont) }.max() ?? 0
        let left = Margin.outer + (yLabel.isEmpty ? 0 : PlotStyle.axisLabelFont + Margin.axisLabelGap) + yLabelWidth
            + Margin.tickLabelGap + PlotStyle.tickLength
        let plotWidth = W - left - Margin.right
        let xTicks = fittingXTicks(canvas, xRange, plotWidth: plotWidth)
        return Frame(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, xTicks: xTicks, yTicks: yTicks,
                     mx: AxisMap(scale: xScale, lo: xRange.0, hi: xRange.1, start: left, end: left + plotWidth),
                     my: AxisMap(scale: yScale, lo: yRange.0, hi: yRange.1, start: top + plotHeight, end: top))
    }

    /// Grid lines at the major ticks.
    func drawGrid(_ canvas: Canvas, _ f: Frame) {
        canvas.setColor(PlotStyle.grid)
        for t in f.xTicks where t.isMajor { canvas.line(x0: f.mx.pixel(t.value), y0: f.top, x1: f.mx.pixel(t.value), y1: f.bottom) }
        for t in f.yTicks where t.isMajor { canvas.line(x0: f.left, y0: f.my.pixel(t.value), x1: f.left + f.plotWidth, y1: f.my.pixel(t.value)) }
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
            canvas.line(x0: f.left, y0: my.pixel(line.y).rounded(), x1: f.left + f.plotWidth, y1: my.pixel(line.y).rounded(),
                        width: Margin.referenceWidth)
        }
        for marker in verticalMarkers where mx.accepts(marker.x) {
            canvas.setColor(marker.color ?? PlotStyle.reference)
            canvas.setDash(Margin.referenceDash)
            canvas.line(x0: mx.pixel(marker.x).rounded(), y0: f.top, x1: mx.pixel(marker.x).rounded(), y1: f.bottom,
                        width: Margin.referenceWidth)
        }
        canvas.setDash([])
        var occupied: [Rect] = []
        for (k, s) in series.enumerated() {
            canvas.setColor(color(of: k))
            for run in runs(s, s.y, mx, my) {
                if s.style != .markers, run.count > 1 {
                    cairo_set_line_width(canvas.cr, PlotStyle.lineWidth)
                    cairo_move_to(canvas.cr, run[0].0, run[0].1)
                    for p in run.dropFirst() { cairo_line_to(canvas.cr, p.0, p.1) }
                    cairo_stroke(canvas.cr)
                }
                if s.style != .line || run.count == 1 {
                    for p in run {
                        cairo_new_sub_path(canvas.cr)
                        cairo_arc(canvas.cr, p.0, p.1, PlotStyle.markerRadius, 0, 2 * Double.pi)
                    }
                    cairo_fill(canvas.cr)
                }
                occupied += sample(run)
            }
        }
        return occupied
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
                canvas.label(label, x: px, y: f.bottom + PlotStyle.tickLength + Margin.tickLabelGap, size: PlotStyle.tickFont,
                             horizontal: .center, vertical: .top)
            }
        }
        for t in f.yTicks {
            let py = f.my.pixel(t.value)
            let length = t.isMajor ? PlotStyle.tickLength : PlotStyle.tickLength * Margin.minorTick
            canvas.line(x0: f.left - length, y0: py, x1: f.left, y1: py)
            if let label = t.label {
                canvas.label(label, x: f.left - PlotStyle.tickLength - Margin.tickLabelGap, y: py, size: PlotStyle.tickFont,
                             horizontal: .right, vertical: .middle)
            }
        }
        if !xLabel.isEmpty {
            canvas.setFont(size: PlotStyle.axisLabelFont)
            canvas.text(xLabel, x: f.left + f.plotWidth / 2, y: H - Margin.xLabelBottom, horizontal: .center, vertical: .bottom)
        }
        if !yLabel.isEmpty {
            canvas.setFont(size: PlotStyle.axisLabelFont)
            canvas.text(yLabel, x: Margin.outer, y: f.top + f.plotHeight / 2, horizontal: .center, vertical: .top, angle: -Double.pi / 2)
        }
        if !title.isEmpty {
            let size = canvas.fittingFontSize(title, size: PlotStyle.titleFont, weight: .bold, maxWidth: W - 2 * Margin.titleInset)
            canvas.setFont(size: size, weight: .bold)
            // Centred over the plot area, shifted only as far as needed to stay inside the panel.
            let half = canvas.textWidth(title) / 2
            let center = min(max(f.left + f.plotWidth / 2, Margin.titleInset + half), W - Margin.titleInset - half)
            canvas.text(title, x: center, y: Margin.titleBaseline, horizontal: .center, vertical: .baseline)
        }
    }

    /// Reference-line labels: each goes where it hides the fewest data points and no other label.
    /// Returns their boxes (for the legend to avoid).
    func drawReferenceLabels(_ canvas: Canvas, _ f: Frame, avoiding occupied: [Rect]) -> [Rect] {
        let labelGap = 4.0, lineGap = 6.0            // label to its line; to the plot's side
        canvas.setFont(size: PlotStyle.legendFont)
        let area = f.area
        let labelHeight = PlotStyle.legendFont + 2   // text box: 2 px above capitals, descenders
        var labels: [Rect] = []
        for marker in verticalMarkers where f.mx.accepts(marker.x) && !marker.label.isEmpty {
            let px = f.mx.pixel(marker.x).rounded()
            let w = canvas.textWidth(marker.label)
            var candidates: [Rect] = []
            for row in 0..<3 {
                let y = f.top + labelGap + Double(row) * labelHeight
                candidates += [Rect(x: px + labelGap, y: y, width: w, height: labelHeight),
                               Rect(x: px - labelGap - w, y: y, width: w, height: labelHeight)]
            }
            let bottomY = f.bottom - labelGap - labelHeight
            candidates += [Rect(x: px + labelGap, y: bottomY, width: w, height: labelHeight),
                           Rect(x: px - labelGap - w, y: bottomY, width: w, height: labelHeight)]
            let rect = cheapest(candidates, inside: area, points: occupied, labels: labels)
            labels.append(rect)
            canvas.haloText(marker.label, x: rect.x, y: rect.y + 2, color: marker.color ?? PlotStyle.reference,
                            horizontal: .left, vertical: .top)
        }
        for line in horizontalLines where f.my.accepts(line.y) && !line.label.isEmpty {
            let py = f.my.pixel(line.y).rounded()
            let w = canvas.textWidth(line.label)
            let rightX = f.left + f.plotWidth - lineGap - w, leftX = f.left + lineGap
            let candidates = [
                Rect(x: rightX, y: py - 2 - labelHeight, width: w, height: labelHeight),
                Rect(x: rightX, y: py + 3, width: w, height: labelHeight),
                Rect(x: leftX, y: py - 2 - labelHeight, width: w, height: labelHeight),
                Rect(x: leftX, y: py + 3, width: w, height: labelHeight),
            ]
            let rect = cheapest(candidates, inside: area, points: occupied, labels: labels)
            labels.append(rect)
            canvas.haloText(line.label, x: rect.x, y: rect.y + 2, color: line.color ?? PlotStyle.reference,
                            horizontal: .left, vertical: .top)
        }
        return labels
    }

    private func ticks(_ scale: AxisScale, _ range: (Double, Double), maxCount: Int) -> [Tick] {
        scale == .log10 ? Ticks.logarithmic(lo: range.0, hi: range.1, maxCount: maxCount)
                        : Ticks.linear(lo: range.0, hi: range.1, maxCount: maxCount)
    }

    /// x ticks with as many labels as fit side by side without touching.
    private func fittingXTicks(_ canvas: Canvas, _ range: (Double, Double), plotWidth: Double) -> [Tick] {
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
            if mx.accepts(s.x[i]) && my.accepts(band.lower[i]) && my.accepts(band.upper[i]) { piece.append(i) } else { flush() }
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
            points.filter { r.contains($0.x, $0.y) }.count + 1000 * labels.filter { r.intersects($0) }.count
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

    private func drawLegend(_ canvas: Canvas, area: Rect, avoiding points: [Rect], labels: [Rect]) {
        let entries = series.indices.filter { !series[$0].name.isEmpty }
        guard legend != .hidden, !entries.isEmpty else { return }
        canvas.setFont(size: PlotStyle.legendFont)
        let swatch = 28.0, pad = 8.0, rowHeight = PlotStyle.legendFont + 6
        let textWidth = entries.map { canvas.textWidth(series[$0].name) }.max()!
        let w = pad + swatch + 6 + textWidth + pad, h = pad + Double(entries.count) * rowHeight + pad - 4
        let inset = 8.0
        let rightX = area.x + area.width - inset - w, leftX = area.x + inset
        let topY = area.y + inset, bottomY = area.y + area.height - inset - h
        let corners: [(LegendPlacement, Rect)] = [
            (.topRight, Rect(x: rightX, y: topY, width: w, height: h)),
            (.topLeft, Rect(x: leftX, y: topY, width: w, height: h)),
            (.bottomRight, Rect(x: rightX, y: bottomY, width: w, height: h)),
            (.bottomLeft, Rect(x: leftX, y: bottomY, width: w, height: h)),
        ]
        let box: Rect
        if let fixed = corners.first(where: { $0.0 == legend }) {
            box = fixed.1
        } else {
            // The top corners, then the same moved down below any reference label in the way.
            var candidates = corners.map(\.1)
            for x in [rightX, leftX] {
                let blocking = labels.filter { $0.intersects(Rect(x: x, y: topY, width: w, height: h)) }
                if let lowest = blocking.map({ $0.y + $0.height }).max() {
                    candidates.append(Rect(x: x, y: lowest + 4, width: w, height: h))
                }
            }
            box = cheapest(candidates, inside: area, points: points, labels: labels)
        }
        canvas.setColor(Color(red: 1, green: 1, blue: 1), alpha: 0.88)
        canvas.fillRect(x: box.x, y: box.y, width: box.width, height: box.height)
        canvas.setColor(Color(red: 0.75, green: 0.75, blue: 0.75))
        canvas.strokeRect(x: box.x, y: box.y, width: box.width, height: box.height)
        for (row, k) in entries.enumerated() {
            let s = series[k], c = color(of: k)
            let cy = (box.y + pad + Double(row) * rowHeight + rowHeight / 2 - 2).rounded()
            let sx = box.x + pad
            if s.band != nil {
                canvas.setColor(c, alpha: PlotStyle.bandOpacity)
                canvas.fillRect(x: sx, y: cy - 5, width: swatch, height: 10)
            }
            canvas.setColor(c)
            if s.style != .markers { canvas.line(x0: sx, y0: cy, x1: sx + swatch, y1: cy, width: PlotStyle.lineWidth) }
            if s.style != .line {
                cairo_new_sub_path(canvas.cr)
                cairo_arc(canvas.cr, sx + swatch / 2, cy, PlotStyle.markerRadius, 0, 2 * Double.pi)
                cairo_fill(canvas.cr)
            }
            canvas.setColor(PlotStyle.ink)
            canvas.setFont(size: PlotStyle.legendFont)
            canvas.text(s.name, x: sx + swatch + 6, y: cy, horizontal: .left, vertical: .middle)
        }
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
