import ICLMath
import ICLTasks
import Testing

@Suite("Out-of-distribution task variants (Appendix A.2)")
struct ShiftedTests {
    let base = LinearRegressionTasks()

    @Test(arguments: [0.5, 1.0, 3.0])
    func everyTaskHasContextInputsOfFrobeniusNormAlpha(alpha: Double) {
        let tasks = MixedLawTasks(base: base, inputScale: alpha)
        let batch = tasks.sample(count: 300, seed: 7, stream: RandomStream.evaluation, as: Double.self)
        let D = 11, T = 11
        for b in 0..<300 {
            var squares = 0.0
            for i in 0..<10 {
                for k in 0..<10 { squares += batch.tokens[(b * T + i) * D + k] * batch.tokens[(b * T + i) * D + k] }
            }
            #expect(abs(squares.squareRoot() - alpha) <= 1e-12 * alpha)
            #expect(batch.tokens[(b * T + 10) * D + 10] == 0)  // the query's target stays hidden
        }
    }

    @Test func lawsAreChosenUniformlyAndExponentialInputsArePositive() {
        let tasks = MixedLawTasks(base: base)
        let count = 3_000
        let laws = tasks.laws(count: count, seed: 1, stream: RandomStream.evaluation)
        let batch = tasks.sample(count: count, seed: 1, stream: RandomStream.evaluation, as: Double.self)
        for law in InputLaw.allCases {
            let share = Double(laws.filter { $0 == law }.count) / Double(count)
            #expect(abs(share - 1.0 / 3) < 0.04, "\(law): \(share)")
        }
        var negativeInLaplaceOrNormal = 0
        for b in 0..<count {
            let inputs = (0..<11).flatMap { j in (0..<10).map { batch.tokens[(b * 11 + j) * 11 + $0] } }
            if laws[b] == .exponential {
                #expect(inputs.allSatisfy { $0 >= 0 })
            } else if inputs.contains(where: { $0 < 0 }) {
                negativeInLaplaceOrNormal += 1
            }
        }
        #expect(negativeInLaplaceOrNormal == laws.filter { $0 != .exponential }.count)
    }

    @Test func targetsAreOneLinearTeacherOfTheScaledInputs() {
        // With N = 25 > d = 3 context points, y = W x holds for a W fitted on the first 3 points.
        let tasks = MixedLawTasks(
            base: LinearRegressionTasks(inputDim: 3, contextSize: 25), inputScale: 2, teacherScale: 3)
        let batch = tasks.sample(count: 5, seed: 2, stream: 1, as: Double.self)
        for b in 0..<5 {
            func x(_ j: Int) -> [Double] { (0..<3).map { batch.tokens[(b * 26 + j) * 4 + $0] } }
            func y(_ j: Int) -> Double { j < 25 ? batch.tokens[(b * 26 + j) * 4 + 3] : batch.targets[b] }
            // Solve the 3×3 system on points 0, 1, 2 by Cramer's rule, then check every other point.
            let (a, c, e) = (x(0), x(1), x(2))
            func det(_ p: [Double], _ q: [Double], _ r: [Double]) -> Double {
                p[0] * (q[1] * r[2] - q[2] * r[1]) - p[1] * (q[0] * r[2] - q[2] * r[0]) + p[2]
                    * (q[0] * r[1] - q[1] * r[0])
            }
            let m = det(a, c, e)
            let column = [y(0), y(1), y(2)]
            let w = (0..<3).map { k -> Double in
                var (p, q, r) = (a, c, e)
                p[k] = column[0]; q[k] = column[1]; r[k] = column[2]
                return det(p, q, r) / m
            }
            for j in 3...25 { #expect(abs(zip(w, x(j)).map(*).reduce(0, +) - y(j)) <= 1e-8 * max(1, abs(y(j)))) }
        }
    }

    @Test func shiftingByOneChangesNothing() {
        let same = base.shifted(inputScale: 1, teacherScale: 1)
        #expect(same == base)
        let twice = base.shifted(inputScale: 2, teacherScale: 0.5)
        #expect(twice.inputRange == 2 && twice.weightScale == 0.5)
    }
}
