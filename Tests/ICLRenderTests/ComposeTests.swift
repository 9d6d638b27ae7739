import ICLRender
import Testing

@Suite("Composed figures")
struct ComposeTests {
    /// A solid image of one colour.
    func solid(_ width: Int, _ height: Int, _ color: RGBA) -> RGBAImage {
        RGBAImage(width: width, height: height, fill: color)
    }

    /// Within 2 per channel (scaling with Cairo's filter may round a solid colour by one).
    func close(_ a: RGBA, _ b: RGBA) -> Bool {
        abs(Int(a.r) - Int(b.r)) <= 2 && abs(Int(a.g) - Int(b.g)) <= 2 && abs(Int(a.b) - Int(b.b)) <= 2 && a.a == 255
    }

    @Test func panelsKeepTheirPixelsAndWidePanelsSpanColumns() throws {
        let red = RGBA(r: 200, g: 30, b: 30), blue = RGBA(r: 30, g: 30, b: 200)
        let panels = [
            ComposedPanel(letter: "a", title: "wide", content: .image(solid(800, 200, red)), span: 2),
            ComposedPanel(letter: "b", title: "narrow", content: .image(solid(300, 300, blue))),
            ComposedPanel(letter: "c", title: "numbers", content: .text(["seed 0: loss 0.21", "seed 1: loss 0.22"])),
        ]
        let image = try Composition(title: "Figure", panels: panels, columns: 3, width: 1232).render()
        #expect(image.width == 1232)
        // Margins of 16 px: columns of 389 px; (a) spans two (794 px, so its 800 px are shrunk a
        // little), (b) sits in the third column at its own size, (c) starts the next row.
        #expect(close(image[16 + 397, 16 + 44 + 30 + 100], red), "inside (a): \(image[16 + 397, 16 + 44 + 30 + 100])")
        #expect(close(image[16 + 2 * 405 + 150, 16 + 44 + 30 + 150], blue), "inside (b), third column")
        #expect(image[16 + 2 * 405 + 150, 16 + 44 + 30 + 100] != red, "(a) does not reach the third column")
        #expect(image.height > 16 + 44 + 30 + 300 + 16 + 30 + 48)  // (c) below the first row
    }

    @Test func aTallFigureIsShrunkToTheMaximumHeight() throws {
        let panels = (0..<6).map {
            ComposedPanel(
                letter: String($0), title: "panel", content: .image(solid(100, 300, RGBA(r: 0, g: 120, b: 0))))
        }
        let image = try Composition(title: "tall", panels: panels, columns: 1, width: 132, maxHeight: 600).render()
        #expect(image.height == 600 && image.width < 132)
    }

    @Test func longTextIsWrappedNotShrunk() throws {
        func height(_ line: String) throws -> Int {
            try Composition(
                title: "t", panels: [ComposedPanel(letter: "a", title: "text", content: .text([line]))], columns: 1,
                width: 300
            ).render().height
        }
        let long = Array(repeating: "icl-zoo train lsa-1 --seeds 0-4", count: 4).joined(separator: " ")
        let (wrapped, single) = (try height(long), try height("short"))
        #expect(wrapped >= single + 3 * 24, "\(wrapped) vs \(single)")  // four lines of 24 px, not one shrunk line
    }

    @Test func noPanelsIsAnErrorNamingTheFigure() {
        #expect(throws: RenderError.invalidLayout(reason: "figure \"empty\" has no panels")) {
            try Composition(title: "empty", panels: [], columns: 2).render()
        }
    }
}
