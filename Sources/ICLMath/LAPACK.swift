import CBLAS

/// The LAPACK solves of the algorithm baselines (least squares, ridge). LAPACK is column-major;
/// these take row-major matrices like the rest of the package and transpose on the way in.
extension BLAS {
    /// The minimum-norm least-squares solution of `A w ≈ b` for a row-major `m × n` matrix `A` of any
    /// rank, by LAPACK's `dgelss` (SVD): singular values below `rcond · σ_max` count as zero, so for
    /// m < n (fewer equations than unknowns) it is `A⁺ b`, the solution of least norm. nil if LAPACK fails.
    public static func leastSquares(_ a: [Double], rows m: Int, columns n: Int, _ b: [Double], rcond: Double = 1e-10)
        -> [Double]?
    {
        precondition(
            a.count == m * n && b.count == m, "leastSquares: \(a.count) entries and \(b.count) targets for \(m) × \(n)")
        _ = blasSingleThreaded
        var columnMajor = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { columnMajor[j * m + i] = a[i * n + j] } }
        var rhs = b + [Double](repeating: 0, count: max(n - m, 0))  // dgelss writes the n-vector solution into b
        var rows = Int32(m), columns = Int32(n), one: Int32 = 1
        var lda = Int32(max(m, 1)), ldb = Int32(max(m, n, 1))
        var singular = [Double](repeating: 0, count: max(min(m, n), 1))
        var threshold = rcond, rank: Int32 = 0, info: Int32 = 0
        var query = 0.0, lwork: Int32 = -1
        dgelss_(
            &rows, &columns, &one, &columnMajor, &lda, &rhs, &ldb, &singular, &threshold, &rank, &query, &lwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgelss_(
            &rows, &columns, &one, &columnMajor, &lda, &rhs, &ldb, &singular, &threshold, &rank, &work, &lwork, &info)
        return info == 0 ? Array(rhs[0..<n]) : nil
    }

    /// The solution of `A w = b` for a symmetric positive-definite `n × n` matrix `A`, by Cholesky
    /// (`dposv`); nil when `A` is not positive definite.
    public static func solvePositiveDefinite(_ a: [Double], n: Int, _ b: [Double]) -> [Double]? {
        precondition(
            a.count == n * n && b.count == n,
            "solvePositiveDefinite: \(a.count) entries and \(b.count) values for n = \(n)")
        _ = blasSingleThreaded
        var matrix = a, rhs = b  // symmetric: row- and column-major are the same matrix
        var uplo = Int8(UInt8(ascii: "U")), size = Int32(n), one: Int32 = 1, lda = Int32(max(n, 1)), info: Int32 = 0
        dposv_(&uplo, &size, &one, &matrix, &lda, &rhs, &lda, &info)
        return info == 0 ? rhs : nil
    }
}
