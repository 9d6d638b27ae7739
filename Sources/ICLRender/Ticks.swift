import Foundation

/// A tick label, optionally with a superscript: `text` = "10", `superscript` = "−3" draws 10⁻³.
struct TickLabel: Equatable {
    var text: String
    var superscript: String? = nil

    /// The label as plain text ("10^-3"), for tests and debugging.
    var plain: String { superscript.map { "\(text)^\($0)" } ?? text }
}

struct Tick: Equatable {
    var value: Double
    /// Major ticks carry a label and a grid line; minor ticks (2…9 × 10^k on log axes) are short
    /// marks only.
    var label: TickLabel?
    var isMajor: Bool { label != nil }
}

/// Tick positions and labels. Linear axes step by 1, 2 or 5 × 10^k; log axes put labelled ticks
/// on whole decades (10^k), or on 1-2-5 values when the range spans less than two decades.
enum Ticks {
    /// The U+2212 minus sign: the same width as a digit, unlike the hyphen.
    static let minus = "\u{2212}"

    /// The smallest 1, 2 or 5 × 10^k step that puts at most `maxCount` (≥ 2) ticks in [lo, hi].
    static func niceStep(lo: Double, hi: Double, maxCount: Int) -> Double {
        let count = Double(max(maxCount, 2))
        var magnitude = pow(10, (log10((hi - lo) / count)).rounded(.down) - 1)
        while true {
            for factor in [1.0, 2, 5] {
                let step = factor * magnitude
                let ticks = (hi / step + 1e-9).rounded(.down) - (lo / step - 1e-9).rounded(.up) + 1
                if ticks <= count { return step }
            }
            magnitude *= 10
        }
    }

    /// Ticks at the multiples of a 1-2-5 step inside [lo, hi], at most `maxCount` of them.
    static func linear(lo: Double, hi: Double, maxCount: Int) -> [Tick] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [] }
        let step = niceStep(lo: lo, hi: hi, maxCount: maxCount)
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        guard last >= first else { return [] }
        let maxAbs = max(abs(first * step), abs(last * step))
        return stride(from: first, through: last, by: 1).map { k in
            let v = abs(k) < 0.5 ? 0 : k * step
            return Tick(value: v, label: linearLabel(v, step: step, maxAbs: maxAbs))
        }
    }

    /// A label for a value on a 1-2-5 grid of `step`: as many decimals as the step needs; beyond
    /// 10⁶ or below 10⁻⁴ steps, mantissa × 10^k with a common exponent.
    static func linearLabel(_ value: Double, step: Double, maxAbs: Double) -> TickLabel {
        let stepExponent = Int((log10(step) + 1e-9).rounded(.down))
        if maxAbs < 1e6 && stepExponent >= -6 {
            // Zero gets the same decimals as its neighbours ("0.0" beside "0.5"), never a sign.
            return TickLabel(text: signed(String(format: "%.*f", max(0, -stepExponent), value == 0 ? 0 : value)))
        }
        if value == 0 { return TickLabel(text: "0") }
        let exponent = Int((log10(maxAbs) + 1e-9).rounded(.down))
        let mantissa = value / pow(10, Double(exponent))
        let digits = max(0, exponent - stepExponent)
        let m = String(format: "%.*f", digits, mantissa)
        return TickLabel(text: signed(m) + "×10", superscript: signed(String(exponent)))
    }

    /// Ticks for a log10 axis over [lo, hi] (both > 0), at most about `maxCount` labelled.
    static func logarithmic(lo: Double, hi: Double, maxCount: Int) -> [Tick] {
        guard lo > 0, hi > lo, lo.isFinite, hi.isFinite else { return [] }
        let a = log10(lo), b = log10(hi)
        let firstDecade = Int((a - 1e-9).rounded(.up)), lastDecade = Int((b + 1e-9).rounded(.down))
        let decades = lastDecade - firstDecade + 1
        if decades >= 2 {
            // Label every `every`-th decade so that at most maxCount labels appear.
            let every = max(1, Int((Double(decades) / Double(max(maxCount, 2))).rounded(.up)))
            var ticks: [Tick] = []
            for k in (firstDecade - 1)...lastDecade {
                let decade = pow(10, Double(k))
                if k >= firstDecade && (k - firstDecade) % every == 0 {
                    ticks.append(Tick(value: decade, label: TickLabel(text: "10", superscript: signed(String(k)))))
                } else if k >= firstDecade {
                    ticks.append(Tick(value: decade, label: nil))
                }
                if every == 1 && decades <= 8 {  // minor ticks only where they are readable
                    for m in 2...9 {
                        let v = Double(m) * decade
                        if v >= lo && v <= hi { ticks.append(Tick(value: v, label: nil)) }
                    }
                }
            }
            return ticks.sorted { $0.value < $1.value }
        }
        // Less than two decades: 1-2-5 values, or plain linear ticks if those are too few.
        var ticks: [Tick] = []
        for k in (firstDecade - 1)...(lastDecade + 1) {
            for m in [1.0, 2, 5] {
                let v = m * pow(10, Double(k))
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) {
                    ticks.append(Tick(value: v, label: TickLabel(text: plainLabel(v))))
                }
            }
        }
        if ticks.count >= 3 { return ticks }
        return linear(lo: lo, hi: hi, maxCount: maxCount).filter { $0.value > 0 }
    }

    /// A short plain label for a single value (1-2-5 log ticks): no trailing zeros.
    static func plainLabel(_ v: Double) -> String {
        let e = Int((log10(abs(v)) + 1e-9).rounded(.down))
        if e >= 6 || e <= -5 { return signed(String(format: "%.0e", v)) }
        return signed(String(format: "%.*f", max(0, -e), v))
    }

    /// Three significant digits, for colour-bar limits: "0.423", "12.5", "1.2e+03".
    static func compact(_ v: Double) -> String {
        if v == 0 { return "0" }
        return signed(String(format: "%.3g", v))
    }

    private static func signed(_ s: String) -> String {
        s.hasPrefix("-") ? minus + s.dropFirst() : s
    }
}
