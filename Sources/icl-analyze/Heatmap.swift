import ArgumentParser
import Foundation
import ICLAnalysis
import ICLRender

struct HeatmapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heatmap",
        abstract: "The weight products W_KQ = W_Kᵀ W_Q and W_PV = P W_V of every layer and head (Figures 9, 11).",
        discussion: """
        The table prints the matrices; --png draws them as heatmaps (blue negative, red positive, white 0, each \
        panel with its colour bar); --csv writes one line per entry; --json one object with every matrix. \
        --scale-correct divides each head's W_KQ by β, the mean of its first d diagonal entries, and multiplies its \
        W_PV by β (Appendix A.3; the head computes the same function). --sum-heads adds Figure 11's combination of \
        each layer's heads: Σ_h W_PV,h[−1,−1]·W_KQ,h. No tasks are drawn (--tasks and --seed are not used).
        """)

    @Argument(help: "Checkpoint (.h5).")
    var checkpoint: String

    @Flag(name: .customLong("scale-correct"), help: "Apply the Appendix A.3 scale correction to every head (default: off).")
    var scaleCorrect = false

    @Flag(name: .customLong("sum-heads"), help: "Also show Σ_h W_PV,h[−1,−1]·W_KQ,h per layer, Figure 11 (needs two or more heads; default: off).")
    var sumHeads = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let m = try LoadedModel(checkpoint)
        let d = m.model.config.inputDim
        var heads = try m.analyse { try WeightProducts.of(m.model) }
        if scaleCorrect { heads = try m.analyse { try heads.map { try $0.scaleCorrected(inputDim: d) } } }
        let summed = sumHeads ? try m.analyse { try WeightProducts.sumHeads(heads) } : []
        let D = m.model.config.tokenDim

        if output.json {
            struct Report: Encodable {
                let file: String; let scaleCorrected: Bool; let heads: [HeadProducts]; let summedHeads: [SummedHeads]
                enum CodingKeys: String, CodingKey { case file, scaleCorrected = "scale_corrected", heads, summedHeads = "summed_heads" }
            }
            try output.printJSON(Report(file: checkpoint, scaleCorrected: scaleCorrect, heads: heads, summedHeads: summed))
        } else {
            print("\(m.name)  \(checkpoint)\(scaleCorrect ? "  (scale-corrected)" : "")")
            func show(_ title: String, _ matrix: [Double]) {
                print("  \(title)")
                for r in 0..<D { print("   " + (0..<D).map { pad(String(format: "%.3f", matrix[r * D + $0]), 8) }.joined()) }
            }
            for h in heads {
                let beta = h.scaleCorrection.map { ", β = \(number($0))" } ?? ""
                show("layer \(h.layer) head \(h.head): W_KQ = W_Kᵀ W_Q\(beta)", h.W_KQ)
                show("layer \(h.layer) head \(h.head): W_PV = P W_V", h.W_PV)
            }
            for s in summed {
                show("layer \(s.layer): Σ_h W_PV,h[−1,−1]·W_KQ,h (weights \(s.weights.map(number).joined(separator: ", ")))", s.matrix)
            }
        }
        var rows: [[String]] = []
        for h in heads {
            for (name, matrix) in [("W_KQ", h.W_KQ), ("W_PV", h.W_PV)] {
                for k in matrix.indices { rows.append([String(h.layer), String(h.head), name, String(k / D), String(k % D), String(matrix[k])]) }
            }
        }
        for s in summed {
            for k in s.matrix.indices { rows.append([String(s.layer), "sum", "W_KQ_summed", String(k / D), String(k % D), String(s.matrix[k])]) }
        }
        try output.writeCSV(header: ["layer", "head", "product", "row", "column", "value"], rows: rows)
        try output.writePNG {
            var panels: [Heatmap] = []
            let columns: Int
            if sumHeads {
                // Per layer: each head's weighted W_KQ, then their sum, on one colour scale.
                let H = m.model.config.heads
                for s in summed {
                    let layerHeads = heads.filter { $0.layer == s.layer }.sorted { $0.head < $1.head }
                    let weighted = zip(layerHeads, s.weights).map { head, w in head.W_KQ.map { $0 * w } }
                    let scale = (weighted + [s.matrix]).flatMap { $0 }.map(abs).max().flatMap { $0 > 0 ? $0 : nil }
                    for (head, matrix) in zip(layerHeads, weighted) {
                        panels.append(Heatmap(title: "layer \(s.layer) head \(head.head): W_PV[−1,−1]·W_KQ", matrix: matrix, rows: D, columns: D, scale: scale))
                    }
                    panels.append(Heatmap(title: "layer \(s.layer): sum over heads", matrix: s.matrix, rows: D, columns: D, scale: scale))
                }
                columns = H + 1
            } else {
                for h in heads {
                    let suffix = m.model.config.parameterLayers * m.model.config.heads > 1 ? "layer \(h.layer) head \(h.head): " : ""
                    panels.append(Heatmap(title: suffix + "W_KQ = W_Kᵀ W_Q", matrix: h.W_KQ, rows: D, columns: D))
                    panels.append(Heatmap(title: suffix + "W_PV = P W_V", matrix: h.W_PV, rows: D, columns: D))
                }
                columns = 2
            }
            let title = "\(m.name)\(scaleCorrect ? ", scale-corrected" : "")"
            return try HeatmapFigure(panels, columns: columns, title: title).render()
        }
    }
}
