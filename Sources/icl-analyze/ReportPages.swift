import Foundation
import ICLCheckpoint
import ICLRender

/// `text` safe inside HTML elements and attribute values.
func html(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// `text` safe inside a Markdown table cell.
func markdownCell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
}

/// `date` as "2026-11-29 16:42 UTC".
func utc(_ date: Date) -> String { utcFormatter.string(from: date) }

private let utcFormatter: DateFormatter = {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
    return f
}()

extension ReportContext {
    /// The command that made this report.
    var command: String {
        (["icl-analyze", "report", zoo, "--out", out, "--tasks", String(tasks)] + (only.map { ["--only", $0] } ?? []))
            .map(shellQuoted).joined(separator: " ")
    }

    var summary: String {
        "Made \(utc(date)) by icl-zoo \(SoftwareVersion.current) on \(machine) in \(String(format: "%.0f", seconds)) s "
            + "from the zoo \(zoo), \(tasks) evaluation tasks per analysis (seed 0)."
    }

    /// The CPU model and core count (Linux's /proc/cpuinfo), for the pages' provenance line.
    var machine: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(
            separator: ":", maxSplits: 1
        ).last?
        .trimmingCharacters(in: .whitespaces)
        return "\(model ?? "an unknown CPU"), \(cores) core\(cores == 1 ? "" : "s")"
    }
}

extension PanelResult {
    var statusText: String {
        switch status {
        case .done: return "drawn"
        case .missing(let requirements): return "missing " + requirements.map(\.path).joined(separator: ", ")
        case .unavailable(let reason): return "not drawn: " + reason
        case .failed(let reason): return "failed: " + reason
        }
    }
}

/// DIR/index.html: every figure in the paper's order with its caption, the commands behind each
/// panel and links to their CSV and JSON, then the table of RESULTS.md. Self-contained: inline
/// CSS, images by relative path, one small inline script that marks images that fail to load.
func htmlPage(_ figures: [FigureResult], _ context: ReportContext) -> String {
    let letters = "abcdefghijklmnopqrstuvwxyz".map(String.init)
    var body = ""
    body += "<header><h1>Transformers Learn In-Context by Gradient Descent: the figures, remade</h1>\n"
    body += "<p>\(html(context.summary)) Made with <code>\(html(context.command))</code>. "
    body +=
        "Numbers beside the paper's: <a href=\"#results\">the results table</a> (also <a href=\"RESULTS.md\">RESULTS.md</a>).</p>\n"
    body +=
        "<nav>"
        + figures.map { "<a href=\"#figure-\($0.plan.number)\">Figure \($0.plan.number)</a>" }.joined(separator: " ")
        + "</nav></header>\n<main>\n"
    for figure in figures {
        let plan = figure.plan
        body += "<section id=\"figure-\(plan.number)\">\n<h2>\(html(plan.title))</h2>\n"
        var size = ""
        if let info = try? RGBAImage.readPNGInfo(context.out + "/" + figure.image) {
            size = " width=\"\(info.width)\" height=\"\(info.height)\""
        }
        body +=
            "<figure><a href=\"\(figure.image)\"><img src=\"\(figure.image)\"\(size) alt=\"\(html(plan.title))\"></a>\n"
        body +=
            "<figcaption>\(html(plan.caption)) The figure links to its full-size image.\(figure.made == utc(context.date) ? "" : " (Made \(html(figure.made)) by an earlier run.)")</figcaption></figure>\n"
        let shortened = Array(Set(figure.panels.flatMap(\.shortened))).sorted()
        if !shortened.isEmpty {
            body +=
                "<p class=\"warn\">Shortened runs (fewer steps than the package's recipe): \(html(shortened.joined(separator: "; "))).</p>\n"
        }
        body += "<ol class=\"panels\">\n"
        for (k, panel) in figure.panels.enumerated() {
            body += "<li><b>(\(letters[k % letters.count])) \(html(panel.plan.title))</b> — \(html(panel.statusText))"
            var links: [String] = []
            if let png = panel.png { links.append("<a href=\"\(png)\">PNG</a>") }
            if let csv = panel.csv { links.append("<a href=\"\(csv)\">CSV</a>") }
            links += panel.jsonFiles.map { "<a href=\"\($0)\">JSON</a>" }
            if !links.isEmpty { body += " · " + links.joined(separator: " ") }
            if case .missing(let requirements) = panel.status {
                body +=
                    "<pre><code>" + html(Set(requirements.map(\.make)).sorted().joined(separator: "\n"))
                    + "</code></pre>"
            }
            if !panel.commands.isEmpty {
                body += "<pre><code>" + html(panel.commands.joined(separator: "\n")) + "</code></pre>"
            }
            // On a phone the composed figure is an overview; each panel is shown at the page's width.
            if let png = panel.png {
                body +=
                    "<a href=\"\(png)\"><img class=\"panel-image\" src=\"\(png)\" alt=\"\(html(panel.plan.title))\"></a>"
            }
            if !panel.shortened.isEmpty {
                body += "<p class=\"warn\">Shortened: \(html(panel.shortened.joined(separator: "; ")))</p>"
            }
            body += "</li>\n"
        }
        body += "</ol>\n</section>\n"
    }
    body += "<section id=\"results\"><h2>The paper's numbers beside ours</h2>\n<div class=\"scroll\"><table>\n"
    body += "<thead><tr><th>Fig.</th><th>quantity</th><th>ours</th><th>paper</th><th>status</th></tr></thead><tbody>\n"
    for row in resultRows(figures, zoo: context.zoo) {
        let warn =
            row.shortened.isEmpty
            ? "" : "<br><span class=\"warn\">shortened run: \(html(row.shortened.joined(separator: "; ")))</span>"
        body +=
            "<tr><td>\(html(row.figure))</td><td>\(html(row.quantity))</td><td>\(html(row.ours))\(warn)</td><td>\(html(row.paper))</td><td>\(html(row.status))</td></tr>\n"
    }
    body += "</tbody></table></div></section>\n</main>\n"
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>icl-zoo: the paper's figures</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; line-height: 1.45; color: #1a1a1a;
               max-width: 1280px; margin: 0 auto; padding: 0 1rem 3rem; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-top: 1px solid #ddd; padding-top: 1rem; }
        nav a { display: inline-block; margin: 0 .6rem .3rem 0; }
        figure { margin: 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { margin: .5rem 0; } code { font-size: .85rem; }
        pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
        .panels li { margin-bottom: .6rem; } .warn { color: #9a4d00; }
        .scroll { overflow-x: auto; } table { border-collapse: collapse; font-size: .9rem; }
        th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
        .broken { color: #b00020; font-weight: bold; }
        .panel-image { display: none; }
        @media (max-width: 640px) { body { padding: 0 .5rem 2rem; } h1 { font-size: 1.2rem; } table { font-size: .8rem; }
          .panel-image { display: block; margin-top: .4rem; } .panels { padding-left: 1.2rem; } }
        </style>
        </head>
        <body>
        \(body)<script>
        // Marks every image that did not load, and records the count on <body data-images="loaded/total">
        // and the page's width against the window's on data-width="page/window" (a page wider than a
        // phone's window scrolls sideways).
        window.addEventListener("load", function () {
          var images = Array.prototype.slice.call(document.images), loaded = 0;
          images.forEach(function (image) {
            if (image.complete && image.naturalWidth > 0) { loaded += 1; return; }
            var note = document.createElement("p");
            note.className = "broken";
            note.textContent = "This image did not load: " + image.getAttribute("src");
            image.parentNode.insertBefore(note, image);
          });
          document.body.setAttribute("data-images", loaded + "/" + images.length);
          document.body.setAttribute("data-width", document.documentElement.scrollWidth + "/" + window.innerWidth);
        });
        </script>
        </body>
        </html>

        """
}

/// DIR/RESULTS.md: the paper's reported quantities next to ours, with status and shortened runs.
func resultsMarkdown(_ figures: [FigureResult], _ context: ReportContext) -> String {
    var text = "# The paper's numbers beside ours\n\n"
    text +=
        "\(context.summary) Made with `\(context.command)`; figures and the command behind each panel: "
        + "[index.html](index.html).\n\n"
    text +=
        "\"Ours\" is the mean ± sample standard deviation over the seeds in the zoo where there are several. "
        + "\"Paper\" quotes the text where it states a value (section or figure named) and is marked \"read from plot\" "
        + "where it is only drawn. Status says whether the two agree and, where they differ, why.\n\n"
    text += "| Fig. | quantity | ours | paper | status |\n|---|---|---|---|---|\n"
    let rows = resultRows(figures, zoo: context.zoo)
    for row in rows {
        let ours =
            row.ours + (row.shortened.isEmpty ? "" : " ⚠ shortened run: " + row.shortened.joined(separator: "; "))
        text +=
            "| \(markdownCell(row.figure)) | \(markdownCell(row.quantity)) | \(markdownCell(ours)) | \(markdownCell(row.paper)) | \(markdownCell(row.status)) |\n"
    }
    let shortened = Set(rows.flatMap(\.shortened))
    if !shortened.isEmpty {
        text +=
            "\n⚠ marks numbers from checkpoints trained for fewer steps than the recipe of the same name in the package's "
            + "zoo/ (a shortened run, e.g. `make paper-quick`): they show the pipeline, not the paper's result.\n"
    }
    return text
}
