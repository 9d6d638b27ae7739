import Foundation
import ICLAnalysis
import ICLRender

extension Figures {
    // MARK: Learned functions (Figure 4a)

    /// Figure 4(a): one plot per task, side by side: the true function (grey), its context points
    /// (black circles), and per model (one colour each) its initial function (dashed) and its
    /// adjusted function (solid). `names` label the models in the legend, which only the first plot
    /// carries (the series are the same in every plot); `title` runs above the plots. All plots share
    /// one y axis (amplitudes compare across tasks), with room above the data for the legend.
    public static func learnedFunctions(_ tasks: [LearnedFunctions], names: [String], title: String? = nil) -> Figure {
        let truthColor = Color(red: 0.45, green: 0.45, blue: 0.45), ink = Color(red: 0.1, green: 0.1, blue: 0.1)
        let values = tasks.flatMap { t in t.truth + t.contextY + t.models.flatMap { $0.initial + $0.adjusted } }
            .filter(\.isFinite)
        let (low, high) = (values.min() ?? -1, values.max() ?? 1)
        let span = high > low ? high - low : 1
        // The legend (2 + 2 per model rows of ~18 px) goes above the data: the axis is extended by
        // the share of a ~420 px plot area it needs.
        let legendShare = min(0.6, (Double(2 + 2 * (tasks.first?.models.count ?? 0)) * 18 + 24) / 420)
        let yLimits = (low - 0.05 * span)...(high + span * (0.05 + legendShare / (1 - legendShare)))
        let plots = tasks.enumerated().map { k, task -> LinePlot in
            let label = { (text: String) in k == 0 ? text : "" }
            var series = [
                Series(
                    name: label("true function a·sin(x + ρ)"), x: task.x, y: task.truth, color: truthColor,
                    dash: .solid, marker: .cross),
                Series(
                    name: label("context points (x_i, y_i)"), x: task.contextX, y: task.contextY,
                    style: .markers, color: ink, marker: .circle),
            ]
            for (m, model) in task.models.enumerated() {
                let color = Color.tab10[m % Color.tab10.count], name = m < names.count ? names[m] : model.name
                series.append(
                    Series(
                        name: label("\(name): initial (no context)"), x: task.x, y: model.initial, color: color,
                        dash: .dashed, marker: .triangle))
                series.append(
                    Series(
                        name: label("\(name): adjusted (given the context)"), x: task.x, y: model.adjusted,
                        color: color, dash: .solid, marker: .square))
            }
            return LinePlot(
                title:
                    "Task \(task.task + 1): a = \(short(task.amplitude)), ρ = \(short(task.phase)), "
                    + "N = \(task.contextX.count) context points",
                xLabel: "x", yLabel: "y", series: series, yLimits: yLimits, width: 760, height: 520)
        }
        return .grid(PlotGrid(plots, columns: min(plots.count, 3), title: title))
    }
}
