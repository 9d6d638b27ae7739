import CPNG

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One pixel: straight (not premultiplied) 8-bit red, green, blue, alpha.
public struct RGBA: Hashable, Sendable, CustomStringConvertible {
    public var r, g, b, a: UInt8
    public init(r: UInt8, g: UInt8, b: UInt8, a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }
    public static let white = RGBA(r: 255, g: 255, b: 255)
    public static let black = RGBA(r: 0, g: 0, b: 0)
    public static let transparent = RGBA(r: 0, g: 0, b: 0, a: 0)
    public var description: String { "RGBA(\(r), \(g), \(b), \(a))" }
}

/// An axis-aligned rectangle of whole pixels: columns `x ..< x + width`, rows `y ..< y + height`.
public struct PixelRect: Hashable, Sendable, CustomStringConvertible {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    /// The pixel at the centre (rounded towards the top-left).
    public var center: (x: Int, y: Int) { (x + (width - 1) / 2, y + (height - 1) / 2) }
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }
    public var description: String { "PixelRect(x: \(x), y: \(y), width: \(width), height: \(height))" }
}

/// An 8-bit RGBA raster: `pixels` holds `height` rows of `width` pixels, 4 bytes each (R, G, B, A,
/// straight alpha), row-major from the top-left — exactly libpng's `PNG_FORMAT_RGBA` layout, so it
/// is handed to the encoder without conversion.
public struct RGBAImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]  // [height, width, 4]

    /// A `width × height` image filled with `fill` (white by default). Sizes must be ≥ 0.
    public init(width: Int, height: Int, fill: RGBA = .white) {
        precondition(width >= 0 && height >= 0, "RGBAImage size \(width)×\(height) is negative")
        self.width = width
        self.height = height
        var row = [UInt8]()
        row.reserveCapacity(width * 4)
        for _ in 0..<width { row += [fill.r, fill.g, fill.b, fill.a] }
        var all = [UInt8]()
        all.reserveCapacity(width * height * 4)
        for _ in 0..<height { all += row }
        pixels = all
    }

    /// Wraps an existing RGBA8 buffer; throws if it does not hold `width × height × 4` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0 else {
            throw RenderError.invalidImage(reason: "size \(width)×\(height) is negative")
        }
        guard pixels.count == width * height * 4 else {
            throw RenderError.invalidImage(
                reason: "\(pixels.count) bytes for a \(width)×\(height) RGBA image, expected \(width * height * 4)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    @inline(__always) private func offset(_ x: Int, _ y: Int) -> Int {
        precondition(
            x >= 0 && x < width && y >= 0 && y < height,
            "pixel (\(x), \(y)) outside a \(width)×\(height) image")
        return (y * width + x) * 4
    }

    /// The pixel in column `x`, row `y` (row 0 at the top).
    public subscript(x: Int, y: Int) -> RGBA {
        get {
            let o = offset(x, y)
            return RGBA(r: pixels[o], g: pixels[o + 1], b: pixels[o + 2], a: pixels[o + 3])
        }
        set {
            let o = offset(x, y)
            pixels[o] = newValue.r; pixels[o + 1] = newValue.g
            pixels[o + 2] = newValue.b; pixels[o + 3] = newValue.a
        }
    }

    public func pixel(x: Int, y: Int) -> RGBA { self[x, y] }

    /// Paints `rect` (clipped to the image) with one colour, no blending.
    public mutating func fill(_ rect: PixelRect, with color: RGBA) {
        let x0 = max(rect.x, 0), x1 = min(rect.x + rect.width, width)
        let y0 = max(rect.y, 0), y1 = min(rect.y + rect.height, height)
        guard x0 < x1, y0 < y1 else { return }
        pixels.withUnsafeMutableBufferPointer { p in
            for y in y0..<y1 {
                var o = (y * width + x0) * 4
                for _ in x0..<x1 {
                    p[o] = color.r; p[o + 1] = color.g; p[o + 2] = color.b; p[o + 3] = color.a
                    o += 4
                }
            }
        }
    }

    /// The distinct colours in `rect` (the whole image by default); tests use it to tell a drawn
    /// figure from a blank one.
    public func distinctColors(in rect: PixelRect? = nil) -> Set<RGBA> {
        let r = rect ?? PixelRect(x: 0, y: 0, width: width, height: height)
        var seen = Set<RGBA>()
        for y in max(r.y, 0)..<min(r.y + r.height, height) {
            for x in max(r.x, 0)..<min(r.x + r.width, width) { seen.insert(self[x, y]) }
        }
        return seen
    }
}

// MARK: - PNG through libpng's simplified API

/// What a PNG file stores, before any conversion to RGBA8.
public struct PNGInfo: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Colour (RGB) rather than grey.
    public var hasColor: Bool
    public var hasAlpha: Bool
    /// 16-bit linear samples rather than 8-bit sRGB.
    public var isSixteenBit: Bool
    /// Palette image.
    public var isColorMapped: Bool
    /// libpng's `PNG_FORMAT_*` word, for anything the flags above do not cover.
    public var format: UInt32
}

extension RGBAImage {
    /// Encodes the image as an 8-bit RGBA PNG at `path`, atomically: the data goes to a hidden
    /// temporary file in the same folder, which is then renamed over `path`, so a reader never sees
    /// a half-written figure and a failure leaves any previous file untouched.
    public func writePNG(to path: String) throws {
        guard width > 0, height > 0 else {
            throw RenderError.cannotWritePNG(path: path, reason: "image is \(width)×\(height); PNG needs at least 1×1")
        }
        guard pixels.count == width * height * 4 else {
            throw RenderError.cannotWritePNG(
                path: path, reason: "pixel buffer holds \(pixels.count) bytes, expected \(width * height * 4)")
        }
        let temporary = temporaryPath(beside: path)
        var image = png_image()
        image.version = icl_png_image_version()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = icl_png_format_rgba()
        errno = 0
        let ok = pixels.withUnsafeBytes { bytes in
            png_image_write_to_file(&image, temporary, 0, bytes.baseAddress, Int32(width * 4), nil)
        }
        let savedErrno = errno
        if ok == 0 || icl_png_image_failed(&image) != 0 {
            let message = pngMessage(&image)
            png_image_free(&image)
            unlink(temporary)
            var reason = message.isEmpty ? "libpng failed" : message
            if savedErrno != 0 { reason += " (\(systemError(savedErrno)))" }
            if savedErrno == ENOENT { reason += "; does the folder \(parentFolder(of: path)) exist?" }
            throw RenderError.cannotWritePNG(path: path, reason: reason)
        }
        png_image_free(&image)
        if rename(temporary, path) != 0 {
            let saved = errno
            unlink(temporary)
            throw RenderError.cannotWritePNG(
                path: path, reason: "cannot move the finished file into place (\(systemError(saved)))")
        }
    }

    /// Opens a PNG with libpng's simplified API and reads its header.
    private static func beginReading(_ path: String) throws -> png_image {
        var image = png_image()
        image.version = icl_png_image_version()
        errno = 0
        if png_image_begin_read_from_file(&image, path) == 0 {
            let saved = errno
            var reason = pngMessage(&image)
            if saved != 0 { reason += " (\(systemError(saved)))" }
            png_image_free(&image)
            throw RenderError.cannotReadPNG(path: path, reason: reason)
        }
        return image
    }

    /// Decodes any PNG libpng understands (grey, palette, 16-bit, with or without alpha) into RGBA8.
    public static func readPNG(_ path: String) throws -> RGBAImage {
        var image = try beginReading(path)
        image.format = icl_png_format_rgba()
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let ok = pixels.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&image, nil, bytes.baseAddress, Int32(width * 4), nil)
        }
        if ok == 0 || icl_png_image_failed(&image) != 0 {
            let reason = pngMessage(&image)
            png_image_free(&image)
            throw RenderError.cannotReadPNG(path: path, reason: reason.isEmpty ? "libpng failed" : reason)
        }
        png_image_free(&image)
        return try RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// The stored size and sample format of the PNG at `path`, without decoding its pixels.
    public static func readPNGInfo(_ path: String) throws -> PNGInfo {
        var image = try beginReading(path)
        let f = image.format
        let info = PNGInfo(
            width: Int(image.width), height: Int(image.height),
            hasColor: f & icl_png_format_flag_color() != 0,
            hasAlpha: f & icl_png_format_flag_alpha() != 0,
            isSixteenBit: f & icl_png_format_flag_linear() != 0,
            isColorMapped: f & icl_png_format_flag_colormap() != 0,
            format: f)
        png_image_free(&image)
        return info
    }
}

private func pngMessage(_ image: inout png_image) -> String {
    withUnsafeBytes(of: &image.message) { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

func systemError(_ code: Int32) -> String {
    guard let s = strerror(code) else { return "errno \(code)" }
    return String(cString: s)
}

func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let folder = String(path[..<slash])
    return folder.isEmpty ? "/" : folder
}

/// `<folder>/.<name>.<random>.tmp`: hidden, in the same folder (so `rename` stays on one file
/// system and is atomic), and unique across threads and processes writing the same figure.
func temporaryPath(beside path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    var generator = SystemRandomNumberGenerator()
    let tag = String(generator.next() as UInt64, radix: 36)
    return "\(folder).\(name).\(tag).tmp"
}
