/// Small dense matrix products on row-major buffers, generic so that the same code runs in Float
/// for training and in Double for gradient checks. These are the readable reference kernels; they
/// are `@inlinable` so callers in other modules get them specialised for their element type.

/// `c (m×n) = a · b` or `c += a · b`, where `a` is `m×k` (or `k×m` stored, when `transposeA`) and
/// `b` is `k×n` (or `n×k` stored, when `transposeB`).
@inlinable
public func matmul<T: BinaryFloatingPoint>(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<T>, transposeA: Bool = false,
    _ b: UnsafePointer<T>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<T>, accumulate: Bool = false
) {
    if !accumulate { c.update(repeating: 0, count: m * n) }
    for i in 0..<m {
        let row = c + i * n
        for p in 0..<k {
            let aip = transposeA ? a[p * m + i] : a[i * k + p]
            if transposeB {
                for j in 0..<n { row[j] += aip * b[j * k + p] }
            } else {
                let bRow = b + p * n
                for j in 0..<n { row[j] += aip * bRow[j] }
            }
        }
    }
}

/// `y (m) = A x` or `y += A x` for row-major `A` (m×n); with `transpose`, `y (n) = Aᵀ x`.
@inlinable
public func matvec<T: BinaryFloatingPoint>(
    _ m: Int, _ n: Int, _ a: UnsafePointer<T>, transpose: Bool = false,
    _ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, accumulate: Bool = false
) {
    if transpose {
        if !accumulate { y.update(repeating: 0, count: n) }
        for i in 0..<m {
            let xi = x[i]
            let row = a + i * n
            for j in 0..<n { y[j] += row[j] * xi }
        }
    } else {
        for i in 0..<m {
            let row = a + i * n
            var sum: T = accumulate ? y[i] : 0
            for j in 0..<n { sum += row[j] * x[j] }
            y[i] = sum
        }
    }
}

/// Dot product of two length-`n` vectors.
@inlinable
public func dot<T: BinaryFloatingPoint>(_ n: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>) -> T {
    var sum: T = 0
    for i in 0..<n { sum += x[i] * y[i] }
    return sum
}

/// `a (m×n) += alpha · x yᵀ`.
@inlinable
public func addOuterProduct<T: BinaryFloatingPoint>(
    _ m: Int, _ n: Int, alpha: T = 1, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>,
    into a: UnsafeMutablePointer<T>
) {
    for i in 0..<m {
        let s = alpha * x[i]
        let row = a + i * n
        for j in 0..<n { row[j] += s * y[j] }
    }
}

/// Array conveniences for code off the hot path (constructions, analysis, tests).
extension Array where Element: BinaryFloatingPoint {
    /// Row-major product of `self` (m×k) and `other` (k×n).
    @inlinable
    public func matmul(
        _ other: [Element], _ m: Int, _ k: Int, _ n: Int,
        transposeSelf: Bool = false, transposeOther: Bool = false
    ) -> [Element] {
        precondition(count == m * k && other.count == k * n, "matmul: shapes do not match counts")
        var out = [Element](repeating: 0, count: m * n)
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    ICLMath.matmul(
                        m, n, k, a.baseAddress!, transposeA: transposeSelf,
                        b.baseAddress!, transposeB: transposeOther, into: c.baseAddress!)
                }
            }
        }
        return out
    }

    /// Row-major transpose of an m×n matrix.
    @inlinable
    public func transposed(_ m: Int, _ n: Int) -> [Element] {
        var out = [Element](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { out[j * m + i] = self[i * n + j] } }
        return out
    }

    /// Row-major identity.
    @inlinable
    public static func identity(_ n: Int) -> [Element] {
        var out = [Element](repeating: 0, count: n * n)
        for i in 0..<n { out[i * n + i] = 1 }
        return out
    }
}
