import Foundation
import ICLTestSupport
import Testing

@Suite("The zoo's recipes, trained several at a time")
struct ZooRecipeTests {
    /// Every recipe in zoo/ trains (two steps, tiny batches) and gives a readable checkpoint, two
    /// seeds each, two models at a time.
    @Test func everyRecipeTrainsAndLoads() throws {
        let dir = try TemporaryDirectory()
        let zoo = Python.packageRoot.appendingPathComponent("zoo").path
        let recipes = try FileManager.default.contentsOfDirectory(atPath: zoo).filter { $0.hasSuffix(".json") }
        try #require(recipes.count >= 10)
        let r = try CLI.zoo(
            "train", zoo, "--seeds", "0-1", "--steps", "2", "--batch-size", "4", "--validation-tasks", "8",
            "--models", dir.path)
        #expect(r.status == 0, "\(r)")
        let list = try CLI.zoo("list", dir.path, "--json")
        let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.count == 2 * recipes.count)
        #expect(
            rows.allSatisfy { $0["error"] == nil && $0["steps"] as? Int == 2 }, "\(rows.filter { $0["error"] != nil })")
    }

    @Test func seedsAndOutAreChecked() throws {
        expectUsageError(try CLI.zoo("train", "--seeds", "4-1"), mentioning: ["--seeds"])
        expectUserError(
            try CLI.zoo(
                "train", CLI.zooRecipe("lsa-1.json"), CLI.zooRecipe("lsa-5.json"), "--out", "/tmp/x.h5",
                "--steps", "0"), mentioning: ["--out"])
        expectUserError(try CLI.zoo("train", "no/such/folder"), mentioning: ["no/such/folder"])
    }
}
