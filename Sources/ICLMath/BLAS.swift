import CBLAS

/// OpenBLAS and LAPACK, for the wide products (MLP layers, benchmarks) and eigenvalues.
/// Our own threads split tasks across cores, so OpenBLAS runs single-threaded unless asked otherwise.
public enum BLAS {
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// Row-major `c (m×n) = alpha · a (m×k) · b (k×n) + beta · c`.
    public static func sgemm(
        _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false, beta: Float = 0,
        _ c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
            beta, c, Int32(n))
    }

    /// Eigenvalues of a symmetric n×n matrix (row-major; only its symmetry matters), ascending,
    /// by LAPACK's `dsyev`. Returns nil if LAPACK reports a failure.
    public static func symmetricEigenvalues(_ matrix: [Double], n: Int) -> [Double]? {
        precondition(matrix.count == n * n, "symmetricEigenvalues: \(matrix.count) entries for n = \(n)")
        _ = blasSingleThreaded
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: "N")), uplo = Int8(UInt8(ascii: "U"))
        var size = Int32(n), lda = Int32(max(n, 1)), info: Int32 = 0
        var query = 0.0, lwork: Int32 = -1
        dsyev_(&jobz, &uplo, &size, &a, &lda, &w, &query, &lwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jobz, &uplo, &size, &a, &lda, &w, &work, &lwork, &info)
        return info == 0 ? w : nil
    }
}

/// OpenBLAS is told once, before its first call of any kind, to use one thread: our chunks already
/// keep every core busy. LAPACK too: GD++'s task spectra (`dsyev` from several chunks at once) came
/// out otherwise when no SGEMM had run first, and gdpp-12 fitted alone ended at other η and γ than
/// the same recipe fitted in the zoo.
let blasSingleThreaded: Void = BLAS.setThreads(1)

/// A matrix product that goes to OpenBLAS for Float when it is big enough to pay for the call,
/// and to the reference `matmul` otherwise (and always for Double, so gradient checks exercise the
/// reference). Same arguments and semantics as `matmul`.
@inlinable
public func gemm<T: BinaryFloatingPoint>(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<T>, transposeA: Bool = false,
    _ b: UnsafePointer<T>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<T>, accumulate: Bool = false
) {
    if T.self == Float.self, m * n * k >= 1_000 {
        BLAS.sgemmPointers(
            m, n, k, UnsafeRawPointer(a), transposeA: transposeA, UnsafeRawPointer(b), transposeB: transposeB,
            UnsafeMutableRawPointer(c), accumulate: accumulate)
    } else {
        matmul(m, n, k, a, transposeA: transposeA, b, transposeB: transposeB, into: c, accumulate: accumulate)
    }
}

extension BLAS {
    /// `sgemm` on raw pointers to Float data (for generic callers that checked `T == Float`).
    public static func sgemmPointers(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafeRawPointer, transposeA: Bool,
        _ b: UnsafeRawPointer, transposeB: Bool, _ c: UnsafeMutableRawPointer, accumulate: Bool
    ) {
        _ = blasSingleThreaded
        sgemm(
            m, n, k, a.assumingMemoryBound(to: Float.self), transposeA: transposeA,
            b.assumingMemoryBound(to: Float.self), transposeB: transposeB, beta: accumulate ? 1 : 0,
            c.assumingMemoryBound(to: Float.self))
    }
}
