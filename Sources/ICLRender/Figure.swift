import CCairo

#if canImport(Glibc)
    import Glibc
#endif

/// Whatever an analysis draws, as one value that can be written as PNG (raster) or SVG (vector,
/// for papers and slides): a line plot, a grid of line plots, or heatmaps.
public enum Figure: Sendable {
    case plot(LinePlot)
    case grid(PlotGrid)
    case heatmaps(HeatmapFigure)

    /// The size in pixels (SVG: in points, one per pixel).
    public func size() throws -> (width: Int, height: Int) {
        switch self {
        case .plot(let p): return (p.width, p.height)
        case .grid(let g): try g.validate(); return g.size
        case .heatmaps(let h): let layout = try h.makeLayout(); return (layout.width, layout.height)
        }
    }

    public func render() throws -> RGBAImage {
        switch self {
        case .plot(let p): return try p.render()
        case .grid(let g): return try g.render()
        case .heatmaps(let h): return try h.render()
        }
    }

    /// Renders and writes a PNG (atomically, see `RGBAImage.writePNG`).
    public func writePNG(to path: String) throws { try render().writePNG(to: path) }

    /// Draws the figure with Cairo's SVG surface into `path`, through a temporary file in the same
    /// folder renamed into place (a failed write keeps the previous file).
    public func writeSVG(to path: String) throws {
        let (width, height) = try size()
        if case .plot(let p) = self { try p.validate() }
        let temporary = temporaryPath(beside: path)
        do {
            let canvas = try Canvas(svgFile: temporary, width: width, height: height)
            switch self {
            case .plot(let p): p.draw(on: canvas, x: 0, y: 0)
            case .grid(let g): g.draw(on: canvas)
            case .heatmaps(let h): try h.drawVector(on: canvas)
            }
            try canvas.finish(path: path)
        } catch {
            unlink(temporary)
            if case RenderError.cannotWriteSVG(_, let reason) = error {
                throw RenderError.cannotWriteSVG(
                    path: path,
                    reason: reason
                        + (access(parentFolder(of: path), F_OK) != 0
                            ? "; does the folder \(parentFolder(of: path)) exist?" : ""))
            }
            throw error
        }
        if rename(temporary, path) != 0 {
            let saved = errno
            unlink(temporary)
            throw RenderError.cannotWriteSVG(
                path: path, reason: "cannot move the finished file into place (\(systemError(saved)))")
        }
    }
}
