import CCairo
import Testing

@testable import ICLRender

@Suite struct CanvasTests {
    /// Cairo stores premultiplied 0xAARRGGBB words; the copy must come out as straight RGBA.
    @Test func pixelsComeOutAsStraightRGBA() throws {
        let canvas = try Canvas(width: 4, height: 3)
        #expect(canvas.image() == RGBAImage(width: 4, height: 3, fill: .white))

        cairo_set_operator(canvas.cr, CAIRO_OPERATOR_SOURCE)
        cairo_set_source_rgba(canvas.cr, 1, 0, 0, 1)
        canvas.fillRect(x: 0, y: 0, width: 1, height: 1)
        cairo_set_source_rgba(canvas.cr, 0, 0, 1, 1)
        canvas.fillRect(x: 3, y: 2, width: 1, height: 1)
        cairo_set_source_rgba(canvas.cr, 0.2, 0.6, 1.0, 0.5)
        canvas.fillRect(x: 1, y: 1, width: 1, height: 1)
        let image = canvas.image()

        #expect(image[0, 0] == RGBA(r: 255, g: 0, b: 0))
        #expect(image[3, 2] == RGBA(r: 0, g: 0, b: 255))
        let translucent = image[1, 1]
        #expect(translucent.a == 128)
        // Un-premultiplying an 8-bit value loses up to a couple of levels.
        #expect(abs(Int(translucent.r) - 51) <= 2 && abs(Int(translucent.g) - 153) <= 2 && translucent.b >= 253)
        #expect(image[2, 0] == .white)
    }

    @Test func textIsDrawnAndMeasured() throws {
        let canvas = try Canvas(width: 120, height: 30)
        canvas.setFont(size: 14)
        #expect(canvas.textWidth("W_KQ") > canvas.textWidth("W"))
        canvas.setColor(Color(red: 0, green: 0, blue: 0))
        canvas.text("W_KQ", x: 60, y: 15, horizontal: .center, vertical: .middle)
        #expect(canvas.image().distinctColors().count > 2)
    }

    @Test func absurdSizesThrow() {
        #expect(throws: RenderError.self) { try Canvas(width: 0, height: 10) }
        #expect(throws: RenderError.self) { try Canvas(width: 100_000, height: 10) }
    }
}
