import CCairo
import Foundation

/// One panel of a composed figure: a letter and title above either a finished image (a PNG drawn
/// by an analysis) or a few lines of text (a table of numbers, or why the panel is missing).
public struct ComposedPanel: Sendable {
    public enum Content: Sendable {
        case image(RGBAImage)
        case text([String])
    }

    public var letter: String
    public var title: String
    public var content: Content
    /// Grid columns the panel takes (a wide figure such as two plots side by side takes two).
    public var span: Int

    public init(letter: String, title: String, content: Content, span: Int = 1) {
        self.letter = letter
        self.title = title
        self.content = content
        self.span = span
    }
}

/// Several finished panels laid out as the paper lays out a figure: a grid read row by row, each
/// panel under a bold letter "(a)", "(b)", … and its title, the figure's title on top. A panel
/// spanning k columns starts a new row when fewer are left in the current one. Images are scaled
/// to their cells' width (never enlarged); the whole figure is scaled down once more when it
/// would be taller than `maxHeight`, so no figure exceeds it.
public struct Composition: Sendable {
    public var title: String
    public var panels: [ComposedPanel]
    public var columns: Int
    /// Width of the whole figure before any shrinking to `maxHeight`.
    public var width: Int
    public var maxHeight: Int

    public init(title: String, panels: [ComposedPanel], columns: Int, width: Int = 2400, maxHeight: Int = 2000) {
        self.title = title
        self.panels = panels
        self.columns = columns
        self.width = width
        self.maxHeight = maxHeight
    }

    static let margin = 16.0
    static let titleHeight = 44.0
    static let headerHeight = 30.0
    static let textSize = 17.0
    static let lineHeight = 24.0

    /// Where each panel goes: its cell's top-left corner and the size its content is drawn at.
    struct Placement {
        var x: Double, y: Double, contentWidth: Double, contentHeight: Double, cellWidth: Double
    }

    /// The rectangles of every panel and the total height, at `width`.
    func layout() throws -> (placements: [Placement], height: Double) {
        guard !panels.isEmpty else { throw RenderError.invalidLayout(reason: "figure \"\(title)\" has no panels") }
        guard columns > 0, width > 0, maxHeight > 0 else {
            throw RenderError.invalidLayout(
                reason: "figure \"\(title)\": \(columns) columns, \(width) px wide, at most \(maxHeight) px tall")
        }
        let m = Composition.margin
        let cellWidth = (Double(width) - m * Double(columns + 1)) / Double(columns)
        guard cellWidth >= 50 else {
            throw RenderError.invalidLayout(reason: "figure \"\(title)\": \(columns) columns do not fit in \(width) px")
        }
        var placements: [Placement] = []
        var y = m + Composition.titleHeight
        var column = 0, rowHeight = 0.0
        for panel in panels {
            let span = min(max(panel.span, 1), columns)
            if column + span > columns {
                y += rowHeight + m
                column = 0
                rowHeight = 0
            }
            let available = cellWidth * Double(span) + m * Double(span - 1)
            let size: (Double, Double)
            switch panel.content {
            case .image(let image):
                let scale = min(1, available / Double(image.width))
                size = (Double(image.width) * scale, Double(image.height) * scale)
            case .text(let lines):
                let count = try Composition.wrap(lines, width: available - 16).count
                size = (available, Double(max(count, 1)) * Composition.lineHeight + 12)
            }
            placements.append(
                Placement(
                    x: m + Double(column) * (cellWidth + m), y: y, contentWidth: size.0, contentHeight: size.1,
                    cellWidth: available))
            rowHeight = max(rowHeight, Composition.headerHeight + size.1)
            column += span
        }
        y += rowHeight + m
        return (placements, y)
    }

    /// `lines` broken at spaces so that each fits in `width` pixels at the text size; a continuation
    /// is indented by four spaces. A single word wider than `width` stays whole (and is shrunk when drawn).
    static func wrap(_ lines: [String], width: Double) throws -> [String] {
        let measure = try Canvas(width: 1, height: 1)
        measure.setFont(size: textSize - 1)
        var out: [String] = []
        for line in lines {
            let indent = String(line.prefix { $0 == " " })
            var current = indent
            for word in line.split(separator: " ").map(String.init) {
                let candidate = current == indent || current.hasSuffix(" ") ? current + word : current + " " + word
                if current.trimmingCharacters(in: .whitespaces).isEmpty || measure.textWidth(candidate) <= width {
                    current = candidate
                } else {
                    out.append(current)
                    current = indent + "    " + word
                }
            }
            out.append(current)
        }
        return out
    }

    /// The figure, at most `maxHeight` pixels tall.
    public func render() throws -> RGBAImage {
        let (placements, height) = try layout()
        let full = try Canvas(width: width, height: Int(height.rounded(.up)))
        full.setColor(Color(red: 0, green: 0, blue: 0))
        full.setFont(size: Composition.titleHeight * 0.55, weight: .bold)
        let titleSize = full.fittingFontSize(
            title, size: Composition.titleHeight * 0.55, weight: .bold, maxWidth: Double(width) - 2 * Composition.margin
        )
        full.setFont(size: titleSize, weight: .bold)
        full.text(title, x: Composition.margin, y: Composition.margin + Composition.titleHeight / 2, vertical: .middle)
        for (panel, place) in zip(panels, placements) {
            // Header: "(a)" in bold, then the title, shrunk to fit the column.
            full.setColor(Color(red: 0, green: 0, blue: 0))
            full.setFont(size: Composition.textSize + 2, weight: .bold)
            let letter = "(\(panel.letter))"
            full.text(letter, x: place.x, y: place.y + Composition.headerHeight / 2, vertical: .middle)
            let letterWidth = full.textWidth(letter) + 8
            let size = full.fittingFontSize(
                panel.title, size: Composition.textSize, weight: .normal, maxWidth: place.cellWidth - letterWidth)
            full.setFont(size: size)
            full.text(
                panel.title, x: place.x + letterWidth, y: place.y + Composition.headerHeight / 2, vertical: .middle)
            let top = place.y + Composition.headerHeight
            switch panel.content {
            case .image(let image):
                try paint(image, on: full, x: place.x, y: top, width: place.contentWidth, height: place.contentHeight)
            case .text(let lines):
                full.setColor(Color(red: 0.96, green: 0.96, blue: 0.96))
                full.fillRect(x: place.x, y: top, width: place.contentWidth, height: place.contentHeight)
                full.setColor(Color(red: 0.1, green: 0.1, blue: 0.1))
                full.save()
                full.clip(x: place.x, y: top, width: place.contentWidth, height: place.contentHeight)
                for (k, line) in try Composition.wrap(lines, width: place.contentWidth - 16).enumerated() {
                    full.setFont(
                        size: full.fittingFontSize(
                            line, size: Composition.textSize - 1, weight: .normal, maxWidth: place.contentWidth - 16))
                    full.text(
                        line, x: place.x + 8, y: top + 6 + Composition.lineHeight * (Double(k) + 0.5), vertical: .middle
                    )
                }
                full.restore()
            }
        }
        guard height > Double(maxHeight) else { return full.image() }
        let scale = Double(maxHeight) / height
        let small = try Canvas(width: max(1, Int((Double(width) * scale).rounded())), height: maxHeight)
        cairo_save(small.cr)
        cairo_scale(small.cr, scale, scale)
        cairo_set_source_surface(small.cr, full.surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(small.cr), CAIRO_FILTER_GOOD)
        cairo_paint(small.cr)
        cairo_restore(small.cr)
        return small.image()
    }
}

/// Draws `image` scaled into the rectangle (Cairo's GOOD filter averages when shrinking).
private func paint(_ image: RGBAImage, on canvas: Canvas, x: Double, y: Double, width: Double, height: Double) throws {
    guard let source = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(image.width), Int32(image.height)),
        cairo_surface_status(source) == CAIRO_STATUS_SUCCESS
    else {
        throw RenderError.cairo(reason: "cannot create a \(image.width)×\(image.height) surface for a panel")
    }
    defer { cairo_surface_destroy(source) }
    // Cairo's ARGB32: one native-endian word 0xAARRGGBB per pixel, colour premultiplied by alpha.
    cairo_surface_flush(source)
    let stride = Int(cairo_image_surface_get_stride(source))
    let data = cairo_image_surface_get_data(source)!
    image.pixels.withUnsafeBufferPointer { p in
        for row in 0..<image.height {
            let line = UnsafeMutableRawPointer(data + row * stride)
            for column in 0..<image.width {
                let o = (row * image.width + column) * 4
                let a = UInt32(p[o + 3])
                func premultiplied(_ c: UInt8) -> UInt32 { (UInt32(c) * a + 127) / 255 }
                let word = a << 24 | premultiplied(p[o]) << 16 | premultiplied(p[o + 1]) << 8 | premultiplied(p[o + 2])
                line.storeBytes(of: word, toByteOffset: column * 4, as: UInt32.self)
            }
        }
    }
    cairo_surface_mark_dirty(source)
    cairo_save(canvas.cr)
    cairo_translate(canvas.cr, x, y)
    cairo_scale(canvas.cr, width / Double(image.width), height / Double(image.height))
    cairo_set_source_surface(canvas.cr, source, 0, 0)
    cairo_pattern_set_filter(cairo_get_source(canvas.cr), CAIRO_FILTER_GOOD)
    cairo_paint(canvas.cr)
    cairo_restore(canvas.cr)
}
