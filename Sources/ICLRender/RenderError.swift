/// Everything ICLRender can refuse. Each message names what it is about (file, plot, series or
/// panel) and what to do, so a failed analysis run can be fixed from the message alone.
public enum RenderError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Writing `path` failed; `reason` is libpng's or the system's explanation.
    case cannotWritePNG(path: String, reason: String)
    /// Writing the SVG file `path` failed.
    case cannotWriteSVG(path: String, reason: String)
    /// Reading or decoding `path` failed.
    case cannotReadPNG(path: String, reason: String)
    /// An image buffer whose size does not match `width × height × 4`, or a non-positive size.
    case invalidImage(reason: String)
    /// A line plot that has nothing to draw.
    case noSeries(plot: String)
    /// A series with zero points.
    case emptySeries(plot: String, series: String)
    /// A series (or its band) whose arrays differ in length.
    case lengthMismatch(plot: String, series: String, reason: String)
    /// Axis limits that cannot be drawn (empty, not finite, or not positive on a log axis).
    case invalidLimits(plot: String, reason: String)
    /// A heatmap whose matrix does not have `rows × cols` entries, or a bad scale.
    case invalidHeatmap(title: String, reason: String)
    /// A figure asked for with no panels, or with a non-positive column count or size.
    case invalidLayout(reason: String)
    /// Cairo refused to create a surface or context.
    case cairo(reason: String)

    public var description: String {
        switch self {
        case let .cannotWritePNG(path, reason): return "\(path): cannot write PNG: \(reason)"
        case let .cannotWriteSVG(path, reason): return "\(path): cannot write SVG: \(reason)"
        case let .cannotReadPNG(path, reason): return "\(path): cannot read PNG: \(reason)"
        case let .invalidImage(reason): return "invalid image: \(reason)"
        case let .noSeries(plot): return "line plot \(quoted(plot)) has no series; add at least one Series"
        case let .emptySeries(plot, series):
            return "line plot \(quoted(plot)), series \(quoted(series)): no points; drop the series or give it data"
        case let .lengthMismatch(plot, series, reason):
            return "line plot \(quoted(plot)), series \(quoted(series)): \(reason)"
        case let .invalidLimits(plot, reason): return "line plot \(quoted(plot)): \(reason)"
        case let .invalidHeatmap(title, reason): return "heatmap \(quoted(title)): \(reason)"
        case let .invalidLayout(reason): return "invalid figure layout: \(reason)"
        case let .cairo(reason): return "cairo: \(reason)"
        }
    }
}

private func quoted(_ s: String) -> String { "\"\(s)\"" }
