import Foundation
import ICLTestSupport
import Testing

@Suite struct CompareTests {
    static let keys = ["loss_a", "loss_b", "prediction_diff", "sensitivity_cosine", "sensitivity_diff", "tasks"]

    func compareJSON(_ a: String, _ b: String) throws -> [String: Double] {
        let result = try CLI.analyze("compare", a, b, "--tasks", "200", "--json")
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.filter { $0 == "\n" }.count == 1, "one JSON object on one line: \(result)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Double], "not a JSON object of numbers: \(result.stdout)")
    }

    func construct(_ out: String, eta: String, recipe: String = CLI.zooRecipe("lsa-1.json")) throws {
        let result = try CLI.zoo("construct", "gd", "--eta", eta, "--recipe", recipe, "--out", out)
        try #require(result.status == 0, "\(result)")
    }

    @Test func trainedModelAgainstGD() throws {
        let directory = try TemporaryDirectory()
        let a = directory.file("a.h5"), gd = directory.file("gd.h5")
        let recipe = try CLI.writeSmallRecipe(in: directory)
        try #require(try CLI.zoo("train", recipe, "--out", a).status == 0)
        try construct(gd, eta: "1.5")
        let report = try compareJSON(a, gd)
        #expect(report.keys.sorted() == Self.keys, "\(report)")
        #expect(report["tasks"] == 200)
        for key in Self.keys { #expect(report[key]?.isFinite == true, "\(key): \(report)") }
        // 10 steps from a near-zero init barely move the prediction off 0; one GD step does better.
        #expect(report["prediction_diff"]! > 0.01 && report["sensitivity_diff"]! > 0.01, "\(report)")
        #expect(report["loss_b"]! < report["loss_a"]!, "\(report)")
        // The measures' values are checked against a hand computation in ICLAnalysisTests/AlignmentTests.
    }

    @Test func gdAgainstItselfAgreesExactly() throws {
        let directory = try TemporaryDirectory()
        let gd = directory.file("gd.h5"), copy = directory.file("copy.h5")
        try construct(gd, eta: "1.5")
        try construct(copy, eta: "1.5")
        let report = try compareJSON(gd, copy)
        #expect(report["prediction_diff"] == 0 && report["sensitivity_diff"] == 0, "\(report)")
        #expect(report["loss_a"] == report["loss_b"], "\(report)")
        #expect(abs(report["sensitivity_cosine"]! - 1) < 1e-6, "\(report)")
        // A different η is a different model.
        let other = directory.file("other.h5")
        try construct(other, eta: "0.5")
        let differing = try compareJSON(gd, other)
        #expect(differing["prediction_diff"]! > 0 && differing["loss_a"] != differing["loss_b"], "\(differing)")
        #expect(abs(differing["sensitivity_cosine"]! - 1) < 1e-6, "both are GD: same direction, \(differing)")
    }

    @Test func tableOutputNamesTheMeasures() throws {
        let directory = try TemporaryDirectory()
        let gd = directory.file("gd.h5")
        try construct(gd, eta: "1")
        let result = try CLI.analyze("compare", gd, gd, "--tasks", "50", "--seed", "3")
        #expect(result.status == 0, "\(result)")
        for fragment in [
            "on 50 tasks (seed 3):", "loss A", "loss B", "prediction diff     0.000000",
            "sensitivity cosine  1.000000", "sensitivity diff    0.000000",
        ] {
            #expect(result.stdout.contains(fragment), "lacks '\(fragment)':\n\(result.stdout)")
        }
    }

    @Test func modelsOnDifferentTasksAreRefused() throws {
        let directory = try TemporaryDirectory()
        let a = directory.file("a.h5"), b = directory.file("b.h5")
        try construct(a, eta: "1")
        try construct(b, eta: "1", recipe: try CLI.writeSmallRecipe(in: directory, inputDim: 3, contextSize: 5))
        expectUserError(
            try CLI.analyze("compare", a, b, "--tasks", "10"),
            mentioning: ["\(b): its tasks (linear-regression, d = 3", "cannot be compared"])
    }

    @Test func unreadableCheckpoints() throws {
        let directory = try TemporaryDirectory()
        let gd = directory.file("gd.h5"), text = directory.file("x.h5"), missing = directory.file("nothing.h5")
        try construct(gd, eta: "1")
        try "hello\n".write(toFile: text, atomically: false, encoding: .utf8)
        expectUserError(
            try CLI.analyze("compare", missing, gd, "--tasks", "10"), mentioning: ["\(missing): no such file"])
        expectUserError(
            try CLI.analyze("compare", gd, text, "--tasks", "10"), mentioning: ["\(text): not an HDF5 file"])
    }

    @Test func badCommandLineIsAUsageError() throws {
        expectUsageError(
            try CLI.analyze("compare", "a.h5", "b.h5", "--tasks", "0"),
            mentioning: ["--tasks must be at least 1 (got 0)"])
        expectUsageError(
            try CLI.analyze("compare", "a.h5", "b.h5", "--tasks", "-3"),
            mentioning: ["--tasks must be at least 1 (got -3)"])
        expectUsageError(try CLI.analyze("compare", "a.h5"), mentioning: ["give a second checkpoint or --against gd"])
        expectUsageError(
            try CLI.analyze("compare", "a.h5", "b.h5", "--bogus"), mentioning: ["Unknown option '--bogus'"])
    }
}
