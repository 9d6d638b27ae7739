import Foundation
import ICLRender
import ICLTestSupport
import Testing

/// `icl-analyze report` on a tiny zoo (two seeds of lsa-1 and one of lsa-recurrent-2, with `sizes` one
/// of lsa-1-n5, -n15, -n20, 20 steps of 32 tasks with 200 validation tasks, and the GD construction),
/// then its page in a real headless browser (Debian's chromium).
@Suite("icl-analyze report")
struct ReportTests {
    static let chromium = "/usr/bin/chromium"

    /// Trains the tiny zoo into `folder`/zoo and writes the report to `folder`/report.
    func tinyReport(in folder: TemporaryDirectory, only: String? = nil, sizes: Bool = false) throws -> (
        zoo: String, report: String, result: CLI.Result
    ) {
        let zoo = folder.file("zoo"), report = folder.file("report")
        var trainings = [["train", "lsa-1", "--seeds", "0-1"], ["train", "lsa-recurrent-2", "--seed", "0"]]
        if sizes { trainings.append(["train", "lsa-1-n5", "lsa-1-n15", "lsa-1-n20", "--seed", "0"]) }
        for arguments in trainings {
            let trained = try CLI.run(
                "icl-zoo",
                arguments + [
                    "--steps", "20", "--batch-size", "32", "--validation-tasks", "200", "--models", zoo, "--quiet",
                ])
            try #require(trained.status == 0, "\(trained)")
        }
        let gd = try CLI.zoo(
            "construct", "gd", "--layers", "1", "--tasks", "300", "--out", zoo + "/gd-1/construction.h5")
        try #require(gd.status == 0, "\(gd)")
        let result = try CLI.run(
            "icl-analyze", ["report", zoo, "--out", report, "--tasks", "100"] + (only.map { ["--only", $0] } ?? []))
        return (zoo, report, result)
    }

    /// Runs chromium headless on `page` with its own profile, bounded by `timeout` (60 s).
    func chromium(_ arguments: [String], page: String, profile: String) throws -> CLI.Result {
        let (status, stdout, stderr) = try Subprocess.run(
            "/usr/bin/timeout",
            [
                "60", ReportTests.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
            ] + arguments + ["file://" + page])
        return CLI.Result(status: status, stdout: stdout, stderr: stderr)
    }

    /// The value of `attribute` on <body> in a dumped DOM.
    func bodyAttribute(_ attribute: String, in dom: String) -> String? {
        guard let range = dom.range(of: "\(attribute)=\"") else { return nil }
        let rest = dom[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @Test func everyFigureIsComposedAndTheTableSaysWhichRunsWereShortened() throws {
        let folder = try TemporaryDirectory()
        let (zoo, report, result) = try tinyReport(in: folder, sizes: true)
        try #require(result.status == 0, "\(result)")
        #expect(
            result.stderr.contains("figure 1 of 15: Figure 2") && result.stderr.contains("figure 15 of 15: Figure 16"))
        for number in 2...16 {
            let info = try RGBAImage.readPNGInfo(report + "/figure-\(number).png")
            #expect(
                info.height <= 2000 && info.width <= 2600 && info.height > 100,
                "figure \(number): \(info.width)×\(info.height)")
        }
        // Panels that ran left their PNG, CSV and JSON; the JSON is the subcommand's own output.
        let curves =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: report + "/panels/2a-curves.json"))) as? [String: Any]
        #expect((curves?["groups"] as? [Any])?.count == 1)
        // Figure 2's alignment over training (both seeds' snapshots against GD) and loss against N = N_x.
        let aligned = (curves?["alignment_groups"] as? [[String: Any]])?.first
        #expect((aligned?["members"] as? [Any])?.count == 2, "\(String(describing: curves?["alignment_groups"]))")
        #expect(FileManager.default.fileExists(atPath: report + "/panels/2a-curves.csv"))
        #expect(FileManager.default.fileExists(atPath: report + "/panels/2e-alignment.csv"))
        let sizes = try RGBAImage.readPNG(report + "/panels/2b-problem-sizes.png")
        #expect(sizes.width > 600 && sizes.height > 400)
        let page = try String(contentsOfFile: report + "/index.html", encoding: .utf8)
        // The exact command of a panel, and the one that would train a missing one.
        #expect(
            page.contains(
                "icl-analyze curves \(zoo)/lsa-1/seed-0.h5 \(zoo)/lsa-1/seed-1.h5 --baseline gd --align-with gd --tasks 100 --json"
            ))
        #expect(page.contains("icl-analyze problem-sizes \(zoo)/lsa-1-n5/seed-0.h5 \(zoo)/lsa-1/seed-0.h5"))
        #expect(page.contains("icl-zoo train softmax-2head --seeds 0-4 --models \(zoo)"))
        #expect(!page.contains("http://") && !page.contains("https://"), "the page must not reach the network")
        let results = try String(contentsOfFile: report + "/RESULTS.md", encoding: .utf8)
        #expect(results.contains("| 2 | loss of one GD step (η line-searched) |"))
        #expect(results.contains("| 2 | N = 20, N_x = 20: loss of GD / trained / interpolated"))
        #expect(results.contains("lsa-1 seed 0: 20 of the recipe's 5000 steps"))
        #expect(results.contains("0.179 (A.10"))
    }

    @Test func onlyDrawsTheNamedFiguresAndBadInputIsOneLine() throws {
        let folder = try TemporaryDirectory()
        let (zoo, report, result) = try tinyReport(in: folder, only: "9,13")
        try #require(result.status == 0, "\(result)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: report).filter { $0.hasPrefix("figure-") }.sorted()
                == ["figure-13.png", "figure-9.png"])
        // A later run of another figure into the same folder keeps the earlier ones on the page, in order.
        let again = try CLI.analyze("report", zoo, "--out", report, "--tasks", "100", "--only", "10")
        try #require(again.status == 0, "\(again)")
        let page = try String(contentsOfFile: report + "/index.html", encoding: .utf8)
        let sections = page.components(separatedBy: "<section id=\"figure-").dropFirst().map {
            $0.prefix { $0 != "\"" }
        }
        #expect(sections == ["9", "10", "13"])
        #expect(try String(contentsOfFile: report + "/RESULTS.md", encoding: .utf8).contains("0.179 (A.10"))
        let missing = try CLI.analyze("report", folder.file("nowhere"), "--out", folder.file("r"))
        #expect(
            missing.status != 0 && missing.stderrLines.count == 1 && missing.stderr.contains("nowhere"), "\(missing)")
        let bad = try CLI.analyze("report", folder.file("zoo"), "--only", "1,2")
        #expect(bad.status != 0 && bad.stderr.contains("--only"), "\(bad)")
    }

    @Test func aBrokenCheckpointFailsItsPanelNamesTheFileAndTheRestIsWritten() throws {
        let folder = try TemporaryDirectory()
        let zoo = folder.file("zoo"), report = folder.file("report")
        try FileManager.default.createDirectory(atPath: zoo + "/lsa-1", withIntermediateDirectories: true)
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: zoo + "/lsa-1/seed-0.h5"))
        let result = try CLI.analyze("report", zoo, "--out", report, "--tasks", "50", "--only", "9")
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.split(separator: "\n").last?.hasPrefix("Error: 1 panel(s) failed") == true, "\(result)")
        #expect(result.stderr.contains(zoo + "/lsa-1/seed-0.h5"), "the error names the file: \(result)")
        let page = try String(contentsOfFile: report + "/index.html", encoding: .utf8)
        #expect(
            page.contains("failed: exit 1: Error: ")
                && page.contains("icl-zoo construct gd --layers 1 --out \(zoo)/gd-1/construction.h5"))
        #expect(FileManager.default.fileExists(atPath: report + "/figure-9.png"))
    }

    @Test(.timeLimit(.minutes(3)))
    func thePageLoadsInAHeadlessBrowser() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReportTests.chromium),
            "\(ReportTests.chromium) is missing: run `make deps` (it installs Debian's chromium)")
        let folder = try TemporaryDirectory()
        let (_, report, result) = try tinyReport(in: folder, only: "2,6,9,10,13")
        try #require(result.status == 0, "\(result)")
        let page = report + "/index.html"
        let profile = folder.file("chromium-profile")

        // Laptop width: every image loaded with a natural size, and nothing on the console (errors,
        // warnings, failed scripts: the page logs nothing on its own).
        let dom = try chromium(
            ["--window-size=1280,900", "--virtual-time-budget=10000", "--dump-dom"], page: page, profile: profile)
        try #require(dom.status == 0, "\(dom)")
        // Every <img> of the page: the five figures and their drawn panels (shown one by one on a phone).
        let images = try String(contentsOfFile: page, encoding: .utf8).components(separatedBy: "<img ").count - 1
        #expect(images > 5)
        #expect(
            bodyAttribute("data-images", in: dom.stdout) == "\(images)/\(images)",
            "\(bodyAttribute("data-images", in: dom.stdout) ?? "no data-images")")
        let console = dom.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console: \(console.joined(separator: "\n"))")

        // Phone width: the page does not scroll sideways (tables and code scroll inside their boxes).
        let phone = try chromium(
            ["--window-size=390,844", "--virtual-time-budget=10000", "--dump-dom"], page: page, profile: profile)
        try #require(phone.status == 0, "\(phone)")
        let width = try #require(bodyAttribute("data-width", in: phone.stdout)).split(separator: "/").compactMap {
            Int($0)
        }
        #expect(width.count == 2 && width[0] <= width[1], "page/window width \(width)")

        // A screenshot that is not blank: decoded, with real variation in brightness.
        let shot = folder.file("shot.png")
        let screenshot = try chromium(
            ["--window-size=1280,1600", "--screenshot=" + shot], page: page, profile: profile)
        try #require(screenshot.status == 0, "\(screenshot)")
        let image = try RGBAImage.readPNG(shot)
        #expect(image.width == 1280 && image.height == 1600)
        var sum = 0.0, squares = 0.0, inked = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image[x, y]
                let brightness = (Double(p.r) + Double(p.g) + Double(p.b)) / 3
                sum += brightness
                squares += brightness * brightness
                if brightness < 200 { inked += 1 }
            }
        }
        let n = Double(image.width * image.height)
        let variance = squares / n - (sum / n) * (sum / n)
        #expect(variance > 100, "brightness variance \(variance)")
        #expect(Double(inked) / n > 0.01, "\(inked) dark pixels")
    }
}
