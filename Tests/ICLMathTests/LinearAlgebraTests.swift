import ICLMath
import Testing

@Suite("Small matrix kernels and LAPACK")
struct LinearAlgebraTests {
    @Test func matmulWithTransposesAgreesWithTheDefinition() {
        var random = SplitMix64(seed: 3)
        let (m, k, n) = (3, 4, 5)
        let a = (0..<(m * k)).map { _ in random.normal() }, b = (0..<(k * n)).map { _ in random.normal() }
        let c = a.matmul(b, m, k, n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                #expect(abs(c[i * n + j] - s) < 1e-12)
            }
        }
        let viaTransposes = a.transposed(m, k).matmul(
            b.transposed(k, n), m, k, n, transposeSelf: true, transposeOther: true)
        for i in c.indices { #expect(abs(c[i] - viaTransposes[i]) < 1e-12) }
    }

    @Test func lapackEigenvaluesOfKnownMatrices() throws {
        // Diagonal: the eigenvalues are the diagonal, ascending.
        let diagonal = try #require(BLAS.symmetricEigenvalues([3, 0, 0, 0, -1, 0, 0, 0, 2], n: 3))
        #expect(diagonal == [-1, 2, 3])
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let pair = try #require(BLAS.symmetricEigenvalues([2, 1, 1, 2], n: 2))
        #expect(abs(pair[0] - 1) < 1e-12 && abs(pair[1] - 3) < 1e-12)
    }

    @Test func sgemmAgreesWithTheReferenceKernel() {
        var random = SplitMix64(seed: 4)
        let (m, k, n) = (7, 5, 6)
        let a = (0..<(m * k)).map { _ in Float(random.normal()) }, b = (0..<(k * n)).map { _ in Float(random.normal()) }
        var c = [Float](repeating: 0, count: m * n)
        c.withUnsafeMutableBufferPointer { BLAS.sgemm(m, n, k, a, b, $0.baseAddress!) }
        let reference = a.matmul(b, m, k, n)
        for i in c.indices { #expect(abs(c[i] - reference[i]) < 1e-5) }
    }

    @Test func chunksCoverEveryItemOnce() {
        for count in [0, 1, 15, 16, 17, 2048] {
            let ranges = (0..<16).map { chunkRange($0, of: 16, count: count) }
            #expect(ranges.map(\.count).reduce(0, +) == count)
            for k in 1..<16 { #expect(ranges[k].lowerBound == ranges[k - 1].upperBound) }
        }
    }
}

@Suite("OpenBLAS kernel choice")
struct BLASKernelTests {
    @Test func aFallbackIsReplacedOnlyByAKernelTheCPUCanRun() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
        #expect(BLAS.fasterKernel(reported: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLAS.fasterKernel(reported: "Prescott", cpuFlags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLAS.fasterKernel(reported: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
        #expect(BLAS.fasterKernel(reported: "Prescott", cpuFlags: []) == nil)
        // OpenBLAS's own choice stands whenever it named the CPU.
        #expect(BLAS.fasterKernel(reported: "Haswell", cpuFlags: avx512) == nil)
        #expect(BLAS.fasterKernel(reported: "Zen", cpuFlags: avx512) == nil)
    }

    @Test func theRunningKernelHasAName() {
        #expect(!BLAS.kernelName.isEmpty)
    }
}
