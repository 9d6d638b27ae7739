import Testing

@testable import ICLRender

@Suite struct TicksTests {
    func values(_ ticks: [Tick]) -> [Double] { ticks.map(\.value) }
    func labels(_ ticks: [Tick]) -> [String] { ticks.compactMap { $0.label?.plain } }

    @Test func linearUsesOneTwoFiveSteps() {
        #expect(values(Ticks.linear(lo: 0, hi: 10, maxCount: 6)) == [0, 2, 4, 6, 8, 10])
        let fractions = values(Ticks.linear(lo: -0.05, hi: 1.05, maxCount: 6))
        #expect(fractions.count == 6)
        #expect(zip(fractions, [0, 0.2, 0.4, 0.6, 0.8, 1]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(labels(Ticks.linear(lo: -0.05, hi: 1.05, maxCount: 6)) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(labels(Ticks.linear(lo: -1000, hi: 21000, maxCount: 6)) == ["0", "5000", "10000", "15000", "20000"])
        #expect(labels(Ticks.linear(lo: -2.2, hi: 2.2, maxCount: 5)) == ["\u{2212}2", "\u{2212}1", "0", "1", "2"])
    }

    @Test func linearExtremeRangesUseACommonExponent() {
        let ticks = Ticks.linear(lo: 0, hi: 3e7, maxCount: 4)
        #expect(labels(ticks) == ["0", "1×10^7", "2×10^7", "3×10^7"])
    }

    @Test func linearRejectsDegenerateRanges() {
        #expect(Ticks.linear(lo: 1, hi: 1, maxCount: 5).isEmpty)
        #expect(Ticks.linear(lo: .nan, hi: 1, maxCount: 5).isEmpty)
    }

    @Test func logLabelsWholeDecades() {
        let ticks = Ticks.logarithmic(lo: 0.0008, hi: 2, maxCount: 8)
        #expect(labels(ticks) == ["10^\u{2212}3", "10^\u{2212}2", "10^\u{2212}1", "10^0"])
        // Minor ticks 2…9 × 10^k inside the range, unlabelled.
        #expect(ticks.contains { $0.value == 0.002 && !$0.isMajor })
        #expect(!ticks.contains { $0.value < 0.0008 || $0.value > 2 })
    }

    @Test func logThinsManyDecades() {
        let ticks = Ticks.logarithmic(lo: 1e-12, hi: 1e12, maxCount: 6)
        #expect(labels(ticks).count <= 7)
        #expect(labels(ticks).first == "10^\u{2212}12")
    }

    @Test func logWithinADecadeUsesOneTwoFive() {
        #expect(labels(Ticks.logarithmic(lo: 0.15, hi: 1.2, maxCount: 6)) == ["0.2", "0.5", "1"])
    }

    @Test func compactLabels() {
        #expect(Ticks.compact(0.123456) == "0.123")
        #expect(Ticks.compact(-2) == "\u{2212}2")
        #expect(Ticks.compact(0) == "0")
    }
}
