import Foundation
import ICLTestSupport
import Testing

@Suite struct ShowTests {
    @Test func describesATrainedModel() throws {
        let directory = try TemporaryDirectory()
        let recipe = try CLI.writeSmallRecipe(in: directory, name: "tiny", layers: 2, inputDim: 3, contextSize: 5)
        let out = directory.file("m.h5")
        try #require(try CLI.zoo("train", recipe, "--seed", "42", "--steps", "7", "--out", out).status == 0)
        let result = try CLI.zoo("show", out)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == out, "\(result)")
        for fragment in [
            "model        lsa, 2 layer(s), 1 head(s), key_dim 4",
            "d = 3 inputs, 1 output(s), N = 5 examples (linear-regression)",
            "tokens       paired: T = 6 tokens of width 4",
            "recipe       tiny",
            "software     0.",
            "trained      seed 42, 7 steps, batch 32, adam lr 0.001 (β1 0.9, β2 0.98, ε 1e-08)",
            "final loss   train ",
            "at step 7 ",
        ] {
            #expect(result.stdout.contains(fragment), "show lacks '\(fragment)':\n\(result.stdout)")
        }
    }

    @Test func describesAConstructionWithItsLineSearch() throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("gd.h5")
        let made = try CLI.zoo(
            "construct", "gd", "--tasks", "200", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", out)
        try #require(made.status == 0, "\(made)")
        let result = try CLI.zoo("show", out)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("recipe       gd-1"), "\(result)")
        #expect(result.stdout.contains("constructed  gd, η = "), "\(result)")
        #expect(result.stdout.contains("line search  250 values of η on 200 tasks (seed 0)"), "\(result)")
        #expect(!result.stdout.contains("trained"), "\(result)")
    }

    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nothing.h5")
        expectUserError(try CLI.zoo("show", path), mentioning: ["\(path): no such file"])
    }

    @Test func textFileNamedH5() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("x.h5")
        try "hello\n".write(toFile: path, atomically: false, encoding: .utf8)
        expectUserError(try CLI.zoo("show", path), mentioning: ["\(path): not an HDF5 file"])
    }

    @Test func truncatedCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.h5")
        try #require(
            try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", CLI.zooRecipe("lsa-1.json"), "--out", path).status
                == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectUserError(try CLI.zoo("show", path), mentioning: ["\(path): truncated HDF5 file"])
    }

    @Test func missingArgumentIsAUsageError() throws {
        expectUsageError(try CLI.zoo("show"), mentioning: ["Missing expected argument '<file>'"])
    }
}
