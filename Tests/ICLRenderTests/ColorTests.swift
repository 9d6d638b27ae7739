import Testing

@testable import ICLRender

@Suite struct ColorTests {
    @Test func divergingMapEndsAndCentre() {
        let negative = DivergingColorMap.color(-1, scale: 1)
        let zero = DivergingColorMap.color(0, scale: 1)
        let positive = DivergingColorMap.color(1, scale: 1)
        #expect(negative == RGBA(r: 0x05, g: 0x30, b: 0x61))
        #expect(zero == RGBA(r: 0xf7, g: 0xf7, b: 0xf7))
        #expect(positive == RGBA(r: 0x67, g: 0x00, b: 0x1f))
        // Beyond the limit clips.
        #expect(DivergingColorMap.color(-5, scale: 1) == negative)
        #expect(DivergingColorMap.color(5, scale: 1) == positive)
    }

    @Test(arguments: [0.01, 0.1, 0.3, 0.5, 0.8, 1.0])
    func signReadsFromHue(magnitude: Double) {
        let red = DivergingColorMap.color(magnitude, scale: 1)
        let blue = DivergingColorMap.color(-magnitude, scale: 1)
        #expect(red.r > red.b)
        #expect(blue.b > blue.r)
    }

    @Test func nanIsGrey() {
        #expect(DivergingColorMap.color(.nan, scale: 1) == RGBA(r: 128, g: 128, b: 128))
    }

    @Test func tab10HasTenDistinctColours() {
        #expect(Set(Color.tab10.map(\.rgba)).count == 10)
        #expect(Color.tab10[0].rgba == RGBA(r: 0x1f, g: 0x77, b: 0xb4))
    }
}
