import ICLMath
import Testing

@Suite("LAPACK solves: least squares (dgelss) and Cholesky (dposv)")
struct LAPACKTests {
    @Test func leastSquaresSolvesAnOverdeterminedConsistentSystem() throws {
        // 3 equations, 2 unknowns, exactly solvable by w = (2, −1).
        let a: [Double] = [1, 0, 0, 1, 1, 1]
        let w = try #require(BLAS.leastSquares(a, rows: 3, columns: 2, [2, -1, 1]))
        #expect(abs(w[0] - 2) < 1e-12 && abs(w[1] + 1) < 1e-12, "\(w)")
    }

    @Test func leastSquaresFitsAnInconsistentSystemByTheNormalEquations() throws {
        // Points (0, 0), (1, 1), (2, 3) fitted by y = w₀ + w₁ x: the closed form gives w = (−1/6, 3/2).
        let w = try #require(BLAS.leastSquares([1, 0, 1, 1, 1, 2], rows: 3, columns: 2, [0, 1, 3]))
        #expect(abs(w[0] + 1.0 / 6) < 1e-12 && abs(w[1] - 1.5) < 1e-12, "\(w)")
    }

    @Test func underdeterminedSystemsGetTheMinimumNormSolution() throws {
        // One equation w₀ + w₁ = 2: every (t, 2 − t) solves it; the shortest is (1, 1).
        let w = try #require(BLAS.leastSquares([1, 1], rows: 1, columns: 2, [2]))
        #expect(abs(w[0] - 1) < 1e-12 && abs(w[1] - 1) < 1e-12, "\(w)")
    }

    @Test func choleskySolvesAndRejectsIndefiniteMatrices() throws {
        // [[4, 2], [2, 3]] w = (2, 1): inverse (1/8)[[3, −2], [−2, 4]] gives w = (0.5, 0).
        let w = try #require(BLAS.solvePositiveDefinite([4, 2, 2, 3], n: 2, [2, 1]))
        #expect(abs(w[0] - 0.5) < 1e-12 && abs(w[1]) < 1e-12, "\(w)")
        #expect(BLAS.solvePositiveDefinite([1, 2, 2, 1], n: 2, [1, 1]) == nil)
    }
}
