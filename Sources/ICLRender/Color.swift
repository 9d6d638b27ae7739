/// An opaque colour with components in 0…1, the form Cairo takes.
public struct Color: Hashable, Sendable {
    public var red, green, blue: Double
    public init(red: Double, green: Double, blue: Double) {
        self.red = red; self.green = green; self.blue = blue
    }
    /// From a 0xRRGGBB literal, as palettes are usually written.
    public init(hex: UInt32) {
        red = Double((hex >> 16) & 0xff) / 255
        green = Double((hex >> 8) & 0xff) / 255
        blue = Double(hex & 0xff) / 255
    }
    /// Rounded to 8 bits per channel, opaque.
    public var rgba: RGBA {
        RGBA(
            r: UInt8((min(max(red, 0), 1) * 255).rounded()),
            g: UInt8((min(max(green, 0), 1) * 255).rounded()),
            b: UInt8((min(max(blue, 0), 1) * 255).rounded()))
    }

    /// matplotlib's "tab10": ten colours that stay distinct for most colour-blind readers and in
    /// grey-scale print. Series take them in order.
    public static let tab10: [Color] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { Color(hex: $0) }
}

/// The diverging map of the heatmaps: ColorBrewer's 11-class RdBu, reversed so that −1 is dark
/// blue, 0 is near-white (#f7f7f7) and +1 is dark red, interpolated linearly between the classes.
/// Symmetric about zero by construction, so the sign of an entry reads directly from its hue.
public enum DivergingColorMap {
    static let stops: [Color] = [
        0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
        0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f,
    ].map { Color(hex: $0) }

    /// The colour of `value` when the colour limit is `scale` (> 0): values are clipped to
    /// [−scale, scale]. NaN maps to mid grey, which the map itself never produces.
    public static func color(_ value: Double, scale: Double) -> RGBA {
        guard !value.isNaN else { return RGBA(r: 128, g: 128, b: 128) }
        let t = min(max(value / scale, -1), 1)  // −1 … 1
        let position = (t + 1) / 2 * Double(stops.count - 1)
        let lower = min(Int(position), stops.count - 2)
        let f = position - Double(lower)
        let a = stops[lower], b = stops[lower + 1]
        return Color(
            red: a.red + (b.red - a.red) * f,
            green: a.green + (b.green - a.green) * f,
            blue: a.blue + (b.blue - a.blue) * f
        ).rgba
    }
}
