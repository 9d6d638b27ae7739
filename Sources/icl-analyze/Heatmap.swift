import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLFigures

struct HeatmapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heatmap",
        abstract: "The weight products W_KQ = W_Kᵀ W_Q and W_PV = P W_V of every layer and head (Figures 9, 11).",
        discussion: """
            The table prints the matrices; --png draws them as heatmaps (blue negative, red positive, white 0, each \
            panel with its colour bar); --csv writes one line per entry; --json one object with every matrix. \
            --scale-correct divides each head's W_KQ by β, the mean of its first d diagonal entries, and multiplies its \
            W_PV by β (Appendix A.3; the head computes the same function). --sum-heads adds Figure 11's combination of \
            each layer's heads: Σ_h W_PV,h[−1,−1]·W_KQ,h, with each head's scaled term W_PV,h[−1,−1]·W_KQ,h (the table and \
            the PNG show the same matrices). Rows and columns are the token coordinates (x₁ … x_d, y; p₁ … for position \
            codes; e₁ … inside an embedding). A deep model is drawn as a grid, one row per layer. No tasks are drawn \
            (--tasks and --seed are not used).
            """)

    @Argument(help: "Checkpoint (.h5).")
    var checkpoint: String

    @Flag(
        name: .customLong("scale-correct"),
        help: "Apply the Appendix A.3 scale correction to every head (default: off).")
    var scaleCorrect = false

    @Flag(
        name: .customLong("sum-heads"),
        help: "Also show Σ_h W_PV,h[−1,−1]·W_KQ,h per layer, Figure 11 (needs two or more heads; default: off).")
    var sumHeads = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let m = try LoadedModel(checkpoint)
        let d = m.model.config.inputDim
        var heads = try m.analyse { try WeightProducts.of(m.model) }
        if scaleCorrect { heads = try m.analyse { try heads.map { try $0.scaleCorrected(inputDim: d) } } }
        let summed = sumHeads ? try m.analyse { try WeightProducts.sumHeads(heads) } : []
        let D = m.model.config.modelDim

        if output.json {
            struct Report: Encodable {
                let file: String; let scaleCorrected: Bool; let heads: [HeadProducts]; let summedHeads: [SummedHeads]
                enum CodingKeys: String, CodingKey {
                    case file, scaleCorrected = "scale_corrected", heads, summedHeads = "summed_heads"
                }
            }
            try output.printJSON(
                Report(file: checkpoint, scaleCorrected: scaleCorrect, heads: heads, summedHeads: summed))
        } else {
            print("\(m.name)  \(checkpoint)\(scaleCorrect ? "  (scale-corrected)" : "")")
            func show(_ title: String, _ matrix: [Double]) {
                print("  \(title)")
                for r in 0..<D {
                    print("   " + (0..<D).map { pad(String(format: "%.3f", matrix[r * D + $0]), 8) }.joined())
                }
            }
            for h in heads {
                let beta = h.scaleCorrection.map { ", β = \(number($0))" } ?? ""
                show("layer \(h.layer) head \(h.head): W_KQ = W_Kᵀ W_Q\(beta)", h.W_KQ)
                show("layer \(h.layer) head \(h.head): W_PV = P W_V", h.W_PV)
            }
            for s in summed {
                let layerHeads = heads.filter { $0.layer == s.layer }.sorted { $0.head < $1.head }
                for (head, (w, matrix)) in zip(layerHeads, zip(s.weights, WeightProducts.weightedHeads(layerHeads, s)))
                {
                    show(
                        "layer \(s.layer) head \(head.head): W_PV[−1,−1]·W_KQ (scaled by W_PV[−1,−1] = \(number(w)))",
                        matrix)
                }
                show("layer \(s.layer): sum over heads Σ_h W_PV,h[−1,−1]·W_KQ,h", s.matrix)
            }
        }
        var rows: [[String]] = []
        for h in heads {
            for (name, matrix) in [("W_KQ", h.W_KQ), ("W_PV", h.W_PV)] {
                for k in matrix.indices {
                    rows.append([
                        String(h.layer), String(h.head), name, String(k / D), String(k % D), String(matrix[k]),
                    ])
                }
            }
        }
        for s in summed {
            let layerHeads = heads.filter { $0.layer == s.layer }.sorted { $0.head < $1.head }
            for (head, matrix) in zip(layerHeads, WeightProducts.weightedHeads(layerHeads, s)) {
                for k in matrix.indices {
                    rows.append([
                        String(s.layer), String(head.head), "W_KQ_scaled", String(k / D), String(k % D),
                        String(matrix[k]),
                    ])
                }
            }
            for k in s.matrix.indices {
                rows.append([String(s.layer), "sum", "W_KQ_summed", String(k / D), String(k % D), String(s.matrix[k])])
            }
        }
        try output.writeCSV(header: ["layer", "head", "product", "row", "column", "value"], rows: rows)
        try output.writeFigure {
            let title =
                m.name + (scaleCorrect ? ", scale-corrected" : "")
                + (sumHeads ? ": Σ_h W_PV,h[−1,−1]·W_KQ,h (Figure 11)" : "")
            return Figures.heatmaps(heads, summed: summed, labels: Figures.tokenLabels(m.model.config), title: title)
        }
    }
}
