import Foundation
import ICLTestSupport
import Testing

@Suite struct HelpTests {
    @Test(arguments: [
        ("icl-zoo", [], "USAGE: icl-zoo <subcommand>"),
        ("icl-zoo", ["train"], "USAGE: icl-zoo train"),
        ("icl-zoo", ["construct"], "USAGE: icl-zoo construct <subcommand>"),
        ("icl-zoo", ["construct", "gd"], "USAGE: icl-zoo construct gd"),
        ("icl-zoo", ["show"], "USAGE: icl-zoo show <file>"),
        ("icl-zoo", ["list"], "USAGE: icl-zoo list"),
        ("icl-analyze", [], "USAGE: icl-analyze <subcommand>"),
        ("icl-analyze", ["compare"], "USAGE: icl-analyze compare <a> [<b>]"),
        ("icl-analyze", ["context-length"], "USAGE: icl-analyze context-length <checkpoints> ..."),
        ("icl-analyze", ["fingerprint"], "USAGE: icl-analyze fingerprint <checkpoint>"),
        ("icl-analyze", ["functions"], "USAGE: icl-analyze functions <checkpoints> ..."),
    ])
    func helpExitsZero(tool: String, command: [String], usage: String) throws {
        let result = try CLI.run(tool, command + ["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("OVERVIEW: "), "\(result)")
        #expect(result.stdout.contains(usage), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    /// Every option with a value says its default (STYLE.md: "each with `help:` stating its default").
    @Test(arguments: [
        ("icl-zoo", ["train"]), ("icl-zoo", ["construct", "gd"]), ("icl-analyze", ["compare"]),
        ("icl-analyze", ["context-length"]), ("icl-analyze", ["fingerprint"]), ("icl-analyze", ["functions"]),
    ])
    func optionsStateTheirDefaults(tool: String, command: [String]) throws {
        let help = try CLI.run(tool, command + ["--help"]).stdout
        let options = try #require(help.components(separatedBy: "OPTIONS:\n").last)
        // One block per option: a line starting "  -" and its indented continuation lines.
        var blocks: [String] = []
        for line in options.split(separator: "\n") {
            if line.hasPrefix("  -") {
                blocks.append(String(line))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1] += String(line)
            }
        }
        let valued = blocks.filter { $0.contains(" <") }
        #expect(valued.count >= 2, "\(help)")
        for block in valued { #expect(block.contains("default"), "\(block)") }
    }
}
