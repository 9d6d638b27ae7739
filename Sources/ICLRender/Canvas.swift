import CCairo

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Cairo ARGB32 image surface and its context, with the few drawing and text helpers the
/// figures need. Text uses Cairo's toy font API ("sans-serif", via fontconfig): enough for titles,
/// labels and numbers, with no extra dependency.
final class Canvas {
    let width: Int
    let height: Int
    let surface: OpaquePointer
    let cr: OpaquePointer

    convenience init(width: Int, height: Int) throws {
        guard width > 0, height > 0, width <= 32767, height <= 32767 else {
            throw RenderError.invalidLayout(reason: "canvas \(width)×\(height) outside 1…32767 pixels per side")
        }
        try self.init(
            width: width, height: height,
            surface: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        ) {
            RenderError.cairo(reason: "cannot create a \(width)×\(height) surface" + ($0.map { ": " + $0 } ?? ""))
        }
    }

    /// A vector canvas that records into the SVG file `path` (written when `finish()` is called).
    convenience init(svgFile path: String, width: Int, height: Int) throws {
        guard width > 0, height > 0 else {
            throw RenderError.invalidLayout(reason: "canvas \(width)×\(height) must be at least 1×1")
        }
        let surface = cairo_svg_surface_create(path, Double(width), Double(height))
        // Pixels, not points: the SVG opens at the PNG's size.
        if let surface { cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX) }
        try self.init(width: width, height: height, surface: surface) {
            RenderError.cannotWriteSVG(path: path, reason: $0 ?? "cairo cannot create the surface")
        }
    }

    /// Takes over `surface` (destroyed on failure) and paints it white; `failure` makes the error
    /// from Cairo's reason.
    private init(width: Int, height: Int, surface: OpaquePointer?, failure: (String?) -> RenderError) throws {
        guard let s = surface else { throw failure(nil) }
        let status = cairo_surface_status(s)
        guard status == CAIRO_STATUS_SUCCESS, let c = cairo_create(s) else {
            cairo_surface_destroy(s)
            throw failure(String(cString: cairo_status_to_string(status)))
        }
        self.width = width
        self.height = height
        self.surface = s
        cr = c
        setColor(Color(red: 1, green: 1, blue: 1))
        cairo_paint(cr)
    }

    /// Flushes a vector canvas to its file; throws Cairo's reason when the write failed.
    func finish(path: String) throws {
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError.cannotWriteSVG(path: path, reason: String(cString: cairo_status_to_string(status)))
        }
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    // MARK: Drawing state

    func setColor(_ c: Color, alpha: Double = 1) {
        cairo_set_source_rgba(cr, c.red, c.green, c.blue, alpha)
    }

    func save() { cairo_save(cr) }
    func restore() { cairo_restore(cr) }

    func clip(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(cr, x, y, width, height)
        cairo_clip(cr)
    }

    func setDash(_ pattern: [Double]) {
        cairo_set_dash(cr, pattern, Int32(pattern.count), 0)
    }

    /// A straight line of `width` pixels. Horizontal and vertical lines of odd width are moved to
    /// pixel centres so they stay crisp.
    func line(x0: Double, y0: Double, x1: Double, y1: Double, width: Double = 1) {
        var (ax, ay, bx, by) = (x0, y0, x1, y1)
        if Int(width.rounded()) % 2 == 1 {
            if ay == by { ay = ay.rounded(.down) + 0.5; by = ay }
            if ax == bx { ax = ax.rounded(.down) + 0.5; bx = ax }
        }
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, ax, ay)
        cairo_line_to(cr, bx, by)
        cairo_stroke(cr)
    }

    /// The outline of a whole-pixel rectangle, 1 px wide, drawn on its edge pixels.
    func strokeRect(x: Double, y: Double, width: Double, height: Double, lineWidth: Double = 1) {
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, x.rounded() + 0.5, y.rounded() + 0.5, width.rounded() - 1, height.rounded() - 1)
        cairo_stroke(cr)
    }

    func fillRect(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    // MARK: Text

    enum Weight { case normal, bold }
    enum HorizontalAnchor { case left, center, right }
    /// `middle` centres the font's ascent-to-baseline height on `y` (digits and capitals look
    /// centred); `top` puts the top of capitals at `y`; `baseline` puts the baseline at `y`.
    enum VerticalAnchor { case top, middle, baseline, bottom }

    func setFont(size: Double, weight: Weight = .normal) {
        cairo_select_font_face(
            cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
            weight == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// Horizontal advance of `text` in the current font.
    func textWidth(_ text: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// Height of a capital letter in the current font (used for vertical centring).
    func capHeight() -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, "H", &extents)
        return -extents.y_bearing
    }

    func descent() -> Double {
        var extents = cairo_font_extents_t()
        cairo_font_extents(cr, &extents)
        return extents.descent
    }

    /// Draws `text` anchored at (x, y) in the current font and colour, optionally rotated by
    /// `angle` radians about the anchor (−π/2 reads bottom-to-top, for y-axis labels).
    func text(
        _ text: String, x: Double, y: Double,
        horizontal: HorizontalAnchor = .left, vertical: VerticalAnchor = .baseline, angle: Double = 0
    ) {
        let w = textWidth(text)
        let dx: Double
        switch horizontal {
        case .left: dx = 0
        case .center: dx = -w / 2
        case .right: dx = -w
        }
        let cap = capHeight()
        let dy: Double
        switch vertical {
        case .baseline: dy = 0
        case .top: dy = cap
        case .middle: dy = cap / 2
        case .bottom: dy = -descent()
        }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, angle)
        cairo_move_to(cr, dx, dy)
        cairo_show_text(cr, text)
        cairo_restore(cr)
    }

    /// Text in `color` over a thin white outline, legible on top of lines and shading while
    /// hiding far less of them than a filled box would.
    func haloText(
        _ text: String, x: Double, y: Double, color: Color,
        horizontal: HorizontalAnchor = .left, vertical: VerticalAnchor = .baseline
    ) {
        let w = textWidth(text)
        let dx: Double = horizontal == .left ? 0 : horizontal == .center ? -w / 2 : -w
        let dy: Double
        switch vertical {
        case .baseline: dy = 0
        case .top: dy = capHeight()
        case .middle: dy = capHeight() / 2
        case .bottom: dy = -descent()
        }
        cairo_save(cr)
        cairo_move_to(cr, x + dx, y + dy)
        cairo_text_path(cr, text)
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9)
        cairo_set_line_width(cr, 3)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_stroke_preserve(cr)
        setColor(color)
        cairo_fill(cr)
        cairo_restore(cr)
    }

    /// The largest font size ≤ `size` at which `text` fits in `maxWidth` (never below 7 px).
    func fittingFontSize(_ text: String, size: Double, weight: Weight, maxWidth: Double) -> Double {
        setFont(size: size, weight: weight)
        let w = textWidth(text)
        guard w > maxWidth, w > 0 else { return size }
        return max(7, (size * maxWidth / w).rounded(.down))
    }

    // MARK: Pixels

    /// The surface as straight-alpha RGBA8. Cairo's ARGB32 stores each pixel as one native-endian
    /// 32-bit word 0xAARRGGBB with premultiplied colour, rows `stride` bytes apart; both are undone
    /// here.
    func image() -> RGBAImage {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        var out = RGBAImage(width: width, height: height, fill: .transparent)
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride)
                for x in 0..<width {
                    let word = row.load(fromByteOffset: x * 4, as: UInt32.self)
                    let a = word >> 24
                    var r = (word >> 16) & 0xff, g = (word >> 8) & 0xff, b = word & 0xff
                    if a != 255 && a != 0 {
                        r = min(255, (r * 255 + a / 2) / a)
                        g = min(255, (g * 255 + a / 2) / a)
                        b = min(255, (b * 255 + a / 2) / a)
                    }
                    let o = (y * width + x) * 4
                    dst[o] = UInt8(r); dst[o + 1] = UInt8(g); dst[o + 2] = UInt8(b); dst[o + 3] = UInt8(a)
                }
            }
        }
        return out
    }
}

extension Canvas {
    private static let superscriptScale = 0.72

    /// Width of a tick label at font `size` (regular weight), superscript included.
    func labelWidth(_ label: TickLabel, size: Double) -> Double {
        setFont(size: size)
        var w = textWidth(label.text)
        if let sup = label.superscript {
            setFont(size: size * Canvas.superscriptScale)
            w += textWidth(sup) + 1
            setFont(size: size)
        }
        return w
    }

    /// Draws a tick label with its superscript raised and smaller; anchors as in `text`, applied
    /// to the whole label and to the base text's capital height.
    func label(
        _ label: TickLabel, x: Double, y: Double, size: Double,
        horizontal: HorizontalAnchor, vertical: VerticalAnchor
    ) {
        let w = labelWidth(label, size: size)
        let left: Double
        switch horizontal {
        case .left: left = x
        case .center: left = x - w / 2
        case .right: left = x - w
        }
        setFont(size: size)
        text(label.text, x: left, y: y, horizontal: .left, vertical: vertical)
        guard let sup = label.superscript else { return }
        let baseWidth = textWidth(label.text)
        let cap = capHeight()
        let baseline: Double
        switch vertical {
        case .baseline: baseline = y
        case .top: baseline = y + cap
        case .middle: baseline = y + cap / 2
        case .bottom: baseline = y - descent()
        }
        setFont(size: size * Canvas.superscriptScale)
        text(sup, x: left + baseWidth + 1, y: baseline - size * 0.42)
        setFont(size: size)
    }
}
