import CBLAS

/// OpenBLAS and LAPACK, for the wide products (MLP layers, benchmarks) and eigenvalues.
/// Our own threads split tasks across cores, so OpenBLAS runs single-threaded unless asked otherwise.
public enum BLAS {
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// Row-major `c (m×n) = alpha · a (m×k) · b (k×n) + beta · c`.
    public static func sgemm(_ m: Int, _ n: Int, _ k: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, transposeA: Bool = false,
                             _ b: UnsafePointer<Float>, transposeB: Bool = false, beta: Float = 0,
                             _ c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                    beta, c, Int32(n))
    }

    /// Eigenvalues of a symmetric n×n matrix (row-major; only its symmetry matters), ascending,
    /// by LAPACK's `dsyev`. Returns nil if LAPACK reports a failure.
    public static func symmetricEigenvalues(_ matrix: [Double], n: Int) -> [Double]? {
        precondition(matrix.count == n * n, "symmetricEigenvalues: \(matrix.count) entries for n = \(n)")
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
