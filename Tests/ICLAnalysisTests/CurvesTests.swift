import ICLAnalysis
import Testing

@Suite("Training curves averaged over seeds")
struct CurvesTests {
    @Test func meanAndSampleDeviationOnTheCommonSteps() throws {
        let a = TrainingCurve(name: "a", steps: [0, 100, 200], trainLoss: [1, 2, 3], validationLoss: [4, 5, 6])
        let b = TrainingCurve(name: "b", steps: [0, 200], trainLoss: [3, 7], validationLoss: [4, 10])
        let group = try Curves.group(name: "lsa-1", [a, b])
        #expect(group.steps == [0, 200])
        #expect(group.members == ["a", "b"])
        #expect(group.trainMean == [2, 5])
        #expect(group.validationMean == [4, 8])
        // Sample deviation (n − 1): of {1, 3} is √2, of {4, 4} is 0.
        #expect(abs(group.trainStd[0] - 2.0.squareRoot()) <= 1e-15)
        #expect(group.validationStd[0] == 0)
    }

    @Test func aSingleRunHasNoDeviation() throws {
        let a = TrainingCurve(name: "a", steps: [5], trainLoss: [0.3], validationLoss: [0.2])
        let group = try Curves.group(name: "x", [a])
        #expect(group.trainStd == [0] && group.validationMean == [0.2])
    }

    @Test func runsWithoutACommonStepOrWithRaggedHistoriesAreRejected() {
        let a = TrainingCurve(name: "a", steps: [0], trainLoss: [1], validationLoss: [1])
        let b = TrainingCurve(name: "b", steps: [1], trainLoss: [1], validationLoss: [1])
        #expect(throws: AnalysisError.self) { try Curves.group(name: "x", [a, b]) }
        let ragged = TrainingCurve(name: "r", steps: [0, 1], trainLoss: [1], validationLoss: [1, 2])
        #expect(throws: AnalysisError.self) { try Curves.group(name: "x", [ragged]) }
    }
}
