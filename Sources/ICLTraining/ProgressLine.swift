import Foundation

/// Progress on stderr: a live line (step, loss, steps/s, ETA) redrawn in place on a terminal, and
/// plain lines at most every ten seconds or tenth of the run otherwise (CI logs, pipes).
public final class ProgressLine {
    private let label: String
    private let live: Bool
    private var lastPrint = -Double.infinity
    private var lastFraction = -1.0
    private var lastValidation: Double?

    public init(label: String, live: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label
        self.live = live
    }

    public func update(_ p: TrainingProgress) {
        if let v = p.validationLoss { lastValidation = v }
        let fraction = p.steps > 0 ? Double(p.step) / Double(p.steps) : 1
        let done = p.step >= p.steps
        let now = p.elapsed
        if live {
            guard done || now - lastPrint >= 0.1 else { return }
        } else {
            guard done || p.step == 0 || now - lastPrint >= 10 || fraction - lastFraction >= 0.1 else { return }
        }
        lastPrint = now
        lastFraction = fraction
        let rate = p.step > 0 && now > 0 ? Double(p.step) / now : 0
        let eta = rate > 0 ? Double(p.steps - p.step) / rate : 0
        var line = "\(label) step \(p.step)/\(p.steps)  loss \(format(p.trainLoss))"
        if let v = lastValidation { line += "  val \(format(v))" }
        line += String(format: "  %.0f steps/s  ETA %@", rate, duration(eta))
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (done ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    private func format(_ x: Double) -> String { String(format: "%.5f", x) }

    private func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
