import ICLMath
import ICLTasks

/// The learning rate of the GD baseline, found as the paper does: the loss of `steps` GD steps with
/// one shared η over a grid (the authors: [0.001, 25) in steps of 0.1), then refined by golden-section
/// search between the best grid point's neighbours. The whole curve is kept, not only the best.
public struct LineSearchResult: Codable, Equatable, Sendable {
    public var steps: Int
    public var tasks: Int
    public var etas: [Double]
    public var losses: [Double]
    public var bestEta: Double
    public var bestLoss: Double
}

public enum LineSearch {
    public static let defaultGrid: [Double] = stride(from: 0.001, to: 25, by: 0.1).map { $0 }

    /// Loss of `steps` GD steps with learning rate `eta` on `batch`, computed in parallel chunks.
    public static func gdLoss(_ batch: TaskBatch<Double>, inputDim: Int, steps: Int, eta: Double) -> Double {
        let chunks = min(16, batch.count)
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { buffer in
            let out = SharedPointer(buffer.baseAddress!)
            parallelFor(chunks: chunks) { chunk in
                let part = batch.slice(chunkRange(chunk, of: chunks, count: batch.count))
                let y = GradientDescent.predict(part, inputDim: inputDim, etas: Array(repeating: eta, count: steps))
                out.base[chunk] = GradientDescent.loss(predictions: y, targets: part.targets, count: 1)
            }
        }
        let loss = partial.reduce(0, +) / Double(batch.count)
        return loss.isFinite ? loss : .infinity
    }

    public static func search(
        _ batch: TaskBatch<Double>, inputDim: Int, steps: Int,
        grid: [Double] = defaultGrid
    ) -> LineSearchResult {
        let (losses, bestEta, bestLoss) = minimise(grid: grid) {
            gdLoss(batch, inputDim: inputDim, steps: steps, eta: $0)
        }
        return LineSearchResult(
            steps: steps, tasks: batch.count, etas: grid, losses: losses,
            bestEta: bestEta, bestLoss: bestLoss)
    }

    /// The minimum of `loss` over `grid`, refined by golden-section search between the best grid
    /// point's neighbours (the loss is smooth and unimodal near its minimum); the grid's losses too.
    public static func minimise(grid: [Double], _ loss: (Double) -> Double) -> (
        losses: [Double], best: Double, bestLoss: Double
    ) {
        precondition(!grid.isEmpty, "line search needs a grid")
        let losses = grid.map(loss)
        let best = losses.indices.min { losses[$0] < losses[$1] }!
        var low = grid[max(best - 1, 0)], high = grid[min(best + 1, grid.count - 1)]
        let ratio = (5.0.squareRoot() - 1) / 2
        var x1 = high - ratio * (high - low), x2 = low + ratio * (high - low)
        var f1 = loss(x1), f2 = loss(x2)
        for _ in 0..<40 {
            if f1 < f2 {
                high = x2; x2 = x1; f2 = f1
                x1 = high - ratio * (high - low); f1 = loss(x1)
            } else {
                low = x1; x1 = x2; f1 = f2
                x2 = low + ratio * (high - low); f2 = loss(x2)
            }
        }
        let middle = (low + high) / 2, middleLoss = loss(middle)
        return losses[best] < middleLoss ? (losses, grid[best], losses[best]) : (losses, middle, middleLoss)
    }
}
