import Foundation
import ICLRender
import ICLTestSupport
import Testing

/// Every kind of figure `icl-analyze` writes, decoded with our libpng reader (`RGBAImage.readPNG`):
/// the right size, and drawn (many colours, a fair share of non-white pixels). The commands' exit
/// codes and JSON are tested in AnalyzeCommandsTests.
@Suite("icl-analyze figures decode and are drawn")
struct AnalyzeFiguresTests {
    /// Runs `icl-analyze arguments --png <folder>/<name>` and decodes the result.
    func figure(_ name: String, _ arguments: [String], in folder: TemporaryDirectory) throws -> RGBAImage {
        let path = folder.file(name)
        let result = try BuiltTools.run("icl-analyze", arguments + ["--png", path])
        #expect(result.status == 0, "icl-analyze \(arguments.joined(separator: " ")): \(result.stderr)")
        return try RGBAImage.readPNG(path)
    }

    func expectDrawn(_ image: RGBAImage, _ name: String, width: ClosedRange<Int>, height: ClosedRange<Int>) {
        #expect(width.contains(image.width) && height.contains(image.height), "\(name): \(image.width)×\(image.height)")
        let colours = image.distinctColors()
        #expect(colours.count > 20, "\(name): only \(colours.count) colours")
        var inked = 0
        for y in 0..<image.height { for x in 0..<image.width where image[x, y] != .white { inked += 1 } }
        let share = Double(inked) / Double(image.width * image.height)
        #expect(share > 0.02 && share < 0.9, "\(name): \(Int(100 * share)) % of pixels are not white")
    }

    @Test func everyLinePlotFigure() throws {
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let (gd, lsa) = (m["gd"]!, m["lsa"]!)
        let plots: [(String, [String], ClosedRange<Int>)] = [
            ("interpolate.png", ["interpolate", lsa, gd, "--tasks", "100", "--steps", "5"], 700...900),
            ("ood.png", ["ood", lsa, gd, "--interpolated", "--tasks", "100", "--points", "4"], 700...900),
            ("ood-laws.png", ["ood", lsa, gd, "--shift", "laws", "--tasks", "100", "--points", "4"], 700...900),
            ("rollout.png", ["rollout", lsa, gd, "--tasks", "100", "--steps", "5"], 700...900),
            (
                "spectrum.png", ["spectrum", "--tasks", "60", "--context-sizes", "10,25", "--gamma-points", "5"],
                1_500...2_000
            ),
            ("curves.png", ["curves", lsa, "--baseline", gd, "--tasks", "100"], 1_200...1_600),
        ]
        for (name, arguments, width) in plots {
            expectDrawn(try figure(name, arguments, in: folder), name, width: width, height: 400...600)
        }
    }

    @Test func theHeatmapOfTheGDConstructionShowsItsSigns() throws {
        // W_KQ = [[I, 0], [0, 0]] has ten entries +1 (darkest red at its own scale 1); W_PV has one
        // entry −η/N = −0.1 (darkest blue at its scale 0.1) and nothing else: the darkest red and
        // blue pixels come from ten cells and one cell (plus the two colour bars' ends, a few rows).
        let folder = try TemporaryDirectory()
        let m = try BuiltTools.makeCheckpoints(in: folder.path)
        let image = try figure("heatmap.png", ["heatmap", m["gd"]!], in: folder)
        expectDrawn(image, "heatmap.png", width: 500...1_400, height: 250...800)
        let red = DivergingColorMap.color(1, scale: 1), blue = DivergingColorMap.color(-1, scale: 1)
        var reds = 0, blues = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                if image[x, y] == red { reds += 1 } else if image[x, y] == blue { blues += 1 }
            }
        }
        #expect(blues > 100, "the negative W_PV entry is not drawn blue (\(blues) pixels)")
        let ratio = Double(reds) / Double(max(blues, 1))
        #expect(ratio > 7 && ratio < 11, "darkest red \(reds) vs blue \(blues) pixels: expected about 10 : 1")
    }
}
