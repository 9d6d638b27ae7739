import ICLMath
import Testing

@Suite("SplitMix64 and its samplers")
struct RandomTests {
    @Test func knownFirstOutputsPinTheStream() {
        // SplitMix64 from seed 0: the reference values of Steele et al.'s generator.
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func streamsAreReproducibleAndDistinct() {
        var a = SplitMix64(seed: 7, stream: 3, index: 11), b = SplitMix64(seed: 7, stream: 3, index: 11)
        var c = SplitMix64(seed: 7, stream: 3, index: 12)
        let xs = (0..<4).map { _ in a.next() }, ys = (0..<4).map { _ in b.next() }, zs = (0..<4).map { _ in c.next() }
        #expect(xs == ys)
        #expect(xs != zs)
    }

    @Test func momentsOfTheSamplers() {
        var random = SplitMix64(seed: 1)
        let n = 200_000
        func moments(_ draw: () -> Double) -> (mean: Double, variance: Double, maxAbs: Double) {
            var sum = 0.0, square = 0.0, maxAbs = 0.0
            for _ in 0..<n { let x = draw(); sum += x; square += x * x; maxAbs = max(maxAbs, abs(x)) }
            return (sum / Double(n), square / Double(n) - (sum / Double(n)) * (sum / Double(n)), maxAbs)
        }
        let u = moments { random.uniform(-0.5, 0.5) }
        #expect(abs(u.mean) < 0.005 && abs(u.variance - 1.0 / 12) < 0.002 && u.maxAbs <= 0.5)
        let g = moments { random.normal() }
        #expect(abs(g.mean) < 0.01 && abs(g.variance - 1) < 0.02)
        // Truncated at ±2σ and rescaled: standard deviation as asked, nothing beyond 2σ/0.8796.
        let t = moments { random.truncatedNormal(std: 0.0135) }
        #expect(abs(t.variance.squareRoot() - 0.0135) < 0.0002)
        #expect(t.maxAbs <= 2 * 0.0135 / 0.879_625_661 + 1e-12)
        let e = moments { random.exponential() }
        #expect(abs(e.mean - 1) < 0.01 && abs(e.variance - 1) < 0.03)
        let l = moments { random.laplace() }
        #expect(abs(l.mean) < 0.01 && abs(l.variance - 2) < 0.05)
    }
}
