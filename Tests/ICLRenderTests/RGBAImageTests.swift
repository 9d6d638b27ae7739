import Foundation
import ICLTestSupport
import Testing

@testable import ICLRender

@Suite struct RGBAImageTests {
    /// A deterministic image using every byte value in every channel, alpha included.
    func pattern(width: Int, height: Int) -> RGBAImage {
        var image = RGBAImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                image[x, y] = RGBA(
                    r: UInt8(i % 256), g: UInt8((i * 7 + y) % 256),
                    b: UInt8((x * 31) % 256), a: UInt8((255 - i * 3) & 255))
            }
        }
        return image
    }

    @Test func initFillsEveryPixel() {
        let image = RGBAImage(width: 3, height: 2, fill: RGBA(r: 1, g: 2, b: 3, a: 4))
        #expect(image.pixels.count == 3 * 2 * 4)
        #expect(image.pixels == Array(repeating: [1, 2, 3, 4], count: 6).flatMap { $0 })
        #expect(image.pixel(x: 2, y: 1) == RGBA(r: 1, g: 2, b: 3, a: 4))
    }

    @Test func subscriptIsRowMajor() {
        var image = RGBAImage(width: 4, height: 3)
        image[3, 1] = RGBA(r: 9, g: 8, b: 7, a: 6)
        let o = (1 * 4 + 3) * 4
        #expect(Array(image.pixels[o..<o + 4]) == [9, 8, 7, 6])
    }

    @Test func wrappingAWrongSizedBufferThrows() {
        #expect(throws: RenderError.self) { try RGBAImage(width: 2, height: 2, pixels: [0, 0, 0]) }
    }

    @Test func roundTripThroughPNGIsExact() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("pattern.png")
        let image = pattern(width: 37, height: 23)
        try image.writePNG(to: path)
        let back = try RGBAImage.readPNG(path)
        #expect(back.width == 37 && back.height == 23)
        #expect(back == image)
        let info = try RGBAImage.readPNGInfo(path)
        #expect(info.width == 37 && info.height == 23)
        #expect(info.hasColor && info.hasAlpha && !info.isSixteenBit && !info.isColorMapped)
        // The temporary file was renamed, not left behind.
        #expect(try folder.contents() == ["pattern.png"])
    }

    @Test func writeReplacesAnExistingFile() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("figure.png")
        try RGBAImage(width: 5, height: 5, fill: .black).writePNG(to: path)
        let second = pattern(width: 8, height: 4)
        try second.writePNG(to: path)
        #expect(try RGBAImage.readPNG(path) == second)
        #expect(try folder.contents() == ["figure.png"])
    }

    @Test func writingIntoAMissingFolderThrowsNamingThePath() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("no-such-folder/figure.png")
        do {
            try RGBAImage(width: 2, height: 2).writePNG(to: path)
            Issue.record("writing to \(path) did not throw")
        } catch let error as RenderError {
            guard case .cannotWritePNG(let failedPath, _) = error else {
                Issue.record("unexpected error \(error)"); return
            }
            #expect(failedPath == path)
            #expect(error.description.contains(path))
        }
        #expect(try folder.contents().isEmpty)
    }

    @Test func writingAnEmptyImageThrows() throws {
        let folder = try TemporaryDirectory()
        #expect(throws: RenderError.self) { try RGBAImage(width: 0, height: 0).writePNG(to: folder.file("a.png")) }
    }

    @Test func readingAMissingOrCorruptFileThrowsNamingThePath() throws {
        let folder = try TemporaryDirectory()
        let missing = folder.file("missing.png")
        #expect { try RGBAImage.readPNG(missing) } throws: { error in
            "\(error)".contains(missing)
        }
        let corrupt = folder.file("corrupt.png")
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: corrupt))
        #expect { try RGBAImage.readPNG(corrupt) } throws: { error in
            "\(error)".contains(corrupt)
        }
    }

    @Test func fillClipsToTheImage() {
        var image = RGBAImage(width: 4, height: 4)
        image.fill(PixelRect(x: 2, y: 2, width: 10, height: 10), with: .black)
        #expect(image[3, 3] == .black && image[1, 1] == .white)
        #expect(image.distinctColors().count == 2)
    }
}
