import Foundation
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

@Suite("Alignment over training averaged over seeds")
struct AlignmentGroupTests {
    func point(_ step: Int, cosine: Double, diff: Double) -> AlignmentPoint {
        let json = """
            {"step": \(step), "report": {"tasks": 1, "loss_a": 0, "loss_b": 0, "prediction_diff": \(diff),
             "sensitivity_cosine": \(cosine), "sensitivity_diff": \(2 * diff)}}
            """
        return try! JSONDecoder().decode(AlignmentPoint.self, from: Data(json.utf8))
    }

    @Test func meanAndDeviationOfEachMeasureOnTheCommonSnapshots() throws {
        let a = [point(0, cosine: 0, diff: 1), point(100, cosine: 0.8, diff: 0.5), point(200, cosine: 1, diff: 0.1)]
        let b = [point(0, cosine: 0.2, diff: 3), point(200, cosine: 0.98, diff: 0.3)]
        let group = try Curves.alignmentGroup(name: "lsa-1", against: "GD", [("seed 0", a), ("seed 1", b)])
        #expect(group.steps == [0, 200] && group.members == ["seed 0", "seed 1"])
        #expect(
            close(group.sensitivityCosine.mean[0], 0.1, 1e-15) && close(group.sensitivityCosine.mean[1], 0.99, 1e-15))
        #expect(group.predictionDiff.mean == [2, 0.2] && group.sensitivityDiff.mean == [4, 0.4])
        #expect(close(group.predictionDiff.std[0], 2.0.squareRoot(), 1e-15))
        #expect(group.predictionDiff.min == [1, 0.1] && group.predictionDiff.max == [3, 0.3])
        #expect(throws: AnalysisError.self) {
            try Curves.alignmentGroup(
                name: "x", against: "GD",
                [("a", [point(0, cosine: 1, diff: 0)]), ("b", [point(5, cosine: 1, diff: 0)])])
        }
    }

    @Test func spreadOfOneValueHasNoDeviation() {
        #expect(Spread.of([0.25]) == (0.25, 0))
        let (mean, std) = Spread.of([1, 3])
        #expect(mean == 2 && close(std, 2.0.squareRoot(), 1e-15))
    }
}
