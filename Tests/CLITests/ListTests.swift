import Foundation
import ICLTestSupport
import Testing

@Suite struct ListTests {
    /// A folder with a trained model two levels down, a construction, and a text file named .h5.
    func makeZoo() throws -> (TemporaryDirectory, trained: String, constructed: String, broken: String) {
        let directory = try TemporaryDirectory()
        let recipe = try CLI.writeSmallRecipe(in: directory, name: "tiny")
        let trained = directory.file("models/tiny/seed-5.h5")
        let constructed = directory.file("models/gd-1/construction.h5")
        let broken = directory.file("models/broken.h5")
        try #require(try CLI.zoo("train", recipe, "--seed", "5", "--out", trained).status == 0)
        try #require(try CLI.zoo("construct", "gd", "--eta", "1", "--recipe", recipe, "--out", constructed).status == 0)
        try "not HDF5\n".write(toFile: broken, atomically: false, encoding: .utf8)
        return (directory, trained, constructed, broken)
    }

    @Test func tableHasOneRowPerCheckpoint() throws {
        let (directory, trained, constructed, broken) = try makeZoo()
        let result = try CLI.zoo("list", directory.file("models"))
        // The unreadable file makes the exit status 1; every good file is still listed.
        #expect(result.status == 1 && result.stderr.isEmpty, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "header and three rows expected:\n\(result.stdout)")
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true)
                == [
                    "file", "recipe", "origin", "architecture", "layers", "heads", "recurrent", "seed", "steps",
                    "final_loss",
                ])
        // Sorted by path: broken.h5, gd-1/…, tiny/…
        #expect(
            lines[1].hasPrefix(broken) && lines[1].contains("unreadable: \(broken): not an HDF5 file"), "\(lines[1])")
        let gd = lines[2].split(separator: " ").map(String.init)
        #expect(gd == [constructed, "gd-1", "construction:gd", "lsa", "1", "1", "no", "-", "-", "-"], "\(lines[2])")
        let row = lines[3].split(separator: " ").map(String.init)
        #expect(Array(row.prefix(9)) == [trained, "tiny", "trained", "lsa", "1", "1", "no", "5", "10"], "\(lines[3])")
        #expect(row.count == 10 && Double(row[9]).map { $0 > 0 } == true, "final_loss: \(lines[3])")
    }

    @Test func jsonHasTheFields() throws {
        let (directory, trained, constructed, broken) = try makeZoo()
        let result = try CLI.zoo("list", "--json", directory.file("models"))
        #expect(result.status == 1, "\(result)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let rows = try #require(parsed as? [[String: Any]], "not an array of objects:\n\(result.stdout)")
        try #require(rows.count == 3, "\(rows)")
        #expect(rows.map { $0["file"] as? String } == [broken, constructed, trained])
        #expect(
            rows[0].keys.sorted() == ["error", "file"]
                && (rows[0]["error"] as? String)?.contains("not an HDF5 file") == true, "\(rows[0])")
        let fields = [
            "architecture", "file", "final_loss", "heads", "layers", "origin", "recipe", "recurrent", "seed", "steps",
        ]
        #expect(rows[1].keys.sorted() == fields, "\(rows[1])")
        // Numbers as numbers, "not applicable" as null, not the table's strings "5" and "-".
        #expect(
            rows[1]["origin"] as? String == "construction:gd" && rows[1]["seed"] is NSNull
                && rows[1]["final_loss"] is NSNull, "\(rows[1])")
        #expect(rows[2].keys.sorted() == fields, "\(rows[2])")
        #expect(rows[2]["recipe"] as? String == "tiny" && rows[2]["origin"] as? String == "trained", "\(rows[2])")
        #expect(
            rows[2]["seed"] as? Int == 5 && rows[2]["steps"] as? Int == 10 && rows[2]["layers"] as? Int == 1,
            "\(rows[2])")
        #expect(rows[2]["recurrent"] as? Bool == false && !(rows[2]["seed"] is String), "\(rows[2])")
        #expect((rows[2]["final_loss"] as? Double).map { $0 > 0 } == true, "\(rows[2])")
        #expect(!result.stdout.contains("\"5\"") && !result.stdout.contains("\"-\""), "\(result.stdout)")
    }

    /// A FIFO, a folder and a symbolic-link cycle named .h5, a stale temporary file and an unfinished
    /// run: each its own row, the good checkpoint still listed, exit status 1, nothing blocks.
    @Test func badFilesGetTheirOwnRowsAndTheRestIsListed() throws {
        let (directory, trained, _, _) = try makeZoo()
        let models = directory.file("models")
        try #require(mkfifo(models + "/fifo.h5", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: models + "/loop", withDestinationPath: models)
        try "partial".write(toFile: models + "/tiny/.seed-6.h5.tmp-4194303-abc", atomically: false, encoding: .utf8)
        let diverging = directory.file("d.json")
        try
            #"{"name": "tiny", "training": {"steps": 50, "batch_size": 8, "validation_tasks": 20, "learning_rate": 1e30}}"#
            .write(toFile: diverging, atomically: false, encoding: .utf8)
        _ = try CLI.zoo("train", diverging, "--seed", "7", "--models", models, "--quiet")
        let result = try CLI.zoo("list", models)
        #expect(result.status == 1 && result.stderr.isEmpty, "\(result)")
        let rows = result.stdout.split(separator: "\n").map(String.init)
        func row(_ file: String) -> String { rows.first { $0.hasPrefix(file + " ") } ?? "" }
        #expect(row(models + "/fifo.h5").contains("not a regular file"), "\(result.stdout)")
        #expect(row(models + "/tiny/.seed-6.h5.tmp-4194303-abc").contains("stale temporary file"), "\(result.stdout)")
        #expect(
            row(models + "/tiny/seed-7.h5.state").contains("unfinished: step 1 of 50, --resume continues it"),
            "\(result.stdout)")
        #expect(row(trained).contains("trained"), "\(result.stdout)")
        #expect(!result.stdout.contains(models + "/loop/"), "a link to a folder is not followed")
    }

    @Test func emptyFolderSaysSo() throws {
        let directory = try TemporaryDirectory()
        let result = try CLI.zoo("list", directory.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasSuffix("(no checkpoints in \(directory.path))\n"), "\(result)")
        let json = try CLI.zoo("list", "--json", directory.path)
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any])?.isEmpty == true, "\(json)")
    }

    @Test func missingFolder() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.file("nowhere")
        expectUserError(try CLI.zoo("list", folder), mentioning: ["\(folder): no such folder"])
    }
}
