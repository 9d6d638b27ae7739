import Foundation
import ICLTestSupport
import Testing

/// `icl-zoo sweep`, `sweep-task` and `list --check` without a scheduler: the script is checked by
/// bash and read line by line, the manifest by Python's json, and emitted commands are run.
@Suite struct SweepTests {
    /// Two small recipes (`a`, `b`: 10 steps of 32 tasks) in a fresh folder, and its models folder.
    func makeRecipes() throws -> (TemporaryDirectory, a: String, b: String, models: String) {
        let directory = try TemporaryDirectory()
        let a = try CLI.writeSmallRecipe(in: directory, name: "a")
        let b = try CLI.writeSmallRecipe(in: directory, name: "b", layers: 2)
        return (directory, a, b, directory.file("models"))
    }

    /// The manifest as Python reads it: (task, recipe name, seed, checkpoint) per job, and the train options.
    func readManifest(_ path: String) throws -> (jobs: [String], train: String, id: String) {
        let result = try Python.run(
            """
            import sys, json
            m = json.load(open(sys.argv[1]))
            assert m["format"] == "icl-zoo/sweep" and m["format_version"] == 1, m["format"]
            for j in m["jobs"]:
                print(j["task"], j["recipe"]["name"], j["seed"], j["checkpoint"].rsplit("/", 3)[-3:] == ["models", j["recipe"]["name"], f"seed-{j['seed']}.h5"])
            print(" ".join(m["train_arguments"]))
            print(m["id"])
            """, arguments: [path])
        try #require(result.status == 0, "python: \(result.stderr)")
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
        let id = lines.removeLast(), train = lines.removeLast()
        return (Array(lines), train, id)
    }

    @Test func slurmScriptHasOneArrayTaskPerModel() throws {
        let (directory, a, b, models) = try makeRecipes()
        let manifest = directory.file("sweep.json")
        let result = try CLI.zoo(
            "sweep", a, b, "--seeds", "0-1", "--models", models, "--manifest", manifest,
            "--slurm-option", "partition=debug", "--slurm-option", "time=1:30:00",
            "--slurm-option", "exclusive", "--", "--steps", "5")
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
        let script = result.stdout
        let options = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
        #expect(
            options == [
                "--job-name=icl-zoo-sweep", "--array=0-3", "--cpus-per-task=2", "--time=1:30:00", "--requeue",
                "--open-mode=append", "--output=\(models)/logs/%x-%A_%a.out", "--partition=debug", "--exclusive",
            ],
            "\(script)")
        #expect(script.hasPrefix("#!/bin/bash\n"))
        let (jobs, train, id) = try readManifest(manifest)
        #expect(jobs == ["0 a 0 True", "1 a 1 True", "2 b 0 True", "3 b 1 True"], "\(jobs)")
        #expect(train == "--steps 5")
        let body = try #require(script.split(separator: "\n").last)
        #expect(
            body == "exec \(CLI.binaries)/icl-zoo sweep-task \(manifest) \"$SLURM_ARRAY_TASK_ID\" --id \(id)", "\(body)"
        )
        // The log folder exists before Slurm opens the logs in it, and bash reads the script.
        #expect(FileManager.default.fileExists(atPath: models + "/logs"))
        let syntax = try Subprocess.run("/bin/bash", ["-n", "-c", script])
        #expect(syntax.status == 0, "bash -n: \(syntax.stderr)")
    }

    @Test func timeLimitIsTimedThenMeasured() throws {
        let (directory, a, _, models) = try makeRecipes()
        func timeLine(_ steps: String, batch: String = "32") throws -> (time: String, basis: String) {
            let result = try CLI.zoo(
                "sweep", a, "--seeds", "1", "--models", models, "--manifest", directory.file("s.json"),
                "--", "--steps", steps, "--batch-size", batch)
            try #require(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            return (
                try #require(lines.first { $0.hasPrefix("#SBATCH --time=") }),
                try #require(lines.first { $0.hasPrefix("# --time: ") })
            )
        }
        let short = try timeLine("10")
        #expect(short.time == "#SBATCH --time=0:11:00", "\(short)")  // 10 steps: the 10 minutes' margin, rounded up
        #expect(short.basis.contains("timed here: ") && short.basis.contains("ms validation every 5 steps"), "\(short)")
        let long = try timeLine("80000000", batch: "4000")  // days
        #expect(
            long.time.range(of: #"^#SBATCH --time=[0-9]+-[0-9]{2}:[0-9]{2}:00$"#, options: .regularExpression) != nil,
            "\(long)")
        // Once a model of the recipe is finished, its recorded seconds per step are used.
        let trained = try CLI.zoo("train", a, "--seed", "0", "--models", models, "--quiet")
        try #require(trained.status == 0, "\(trained)")
        let measured = try timeLine("10")
        #expect(measured.basis.contains("measured: \(models)/a/seed-0.h5"), "\(measured)")
    }

    @Test func finishedModelsAreSkippedAndCheckedAsFinished() throws {
        let (directory, a, _, models) = try makeRecipes()
        let manifest = directory.file("sweep.json")
        let trained = try CLI.zoo("train", a, "--seed", "0", "--models", models, "--quiet")
        try #require(trained.status == 0, "\(trained)")
        let result = try CLI.zoo("sweep", a, "--seeds", "0-2", "--models", models, "--manifest", manifest)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr == "skipped a seed 0: finished in \(models)/a/seed-0.h5\n", "\(result)")
        #expect(result.stdout.contains("#SBATCH --array=0-1\n"), "\(result.stdout)")
        #expect(try readManifest(manifest).jobs == ["None a 0 True", "0 a 1 True", "1 a 2 True"])

        // list --check: one finished, two missing (exit 1); a state file makes one unfinished, a
        // checkpoint of other steps makes one bad.
        var check = try CLI.zoo("list", "--check", manifest)
        #expect(check.status == 1 && check.stderr.isEmpty, "\(check)")
        #expect(
            check.stdout.hasSuffix(
                "3 models: 1 finished, 0 unfinished, 2 missing, 0 bad (sweep \(try readManifest(manifest).id))\n"),
            "\(check)")
        try "state".write(toFile: "\(models)/a/seed-1.h5.state", atomically: false, encoding: .utf8)
        let other = try CLI.zoo("train", a, "--seed", "2", "--steps", "3", "--models", models, "--quiet")
        try #require(other.status == 0, "\(other)")
        check = try CLI.zoo("list", "--check", manifest, "--json")
        #expect(check.status == 1, "\(check)")
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]], "\(check)")
        #expect(rows.map { $0["status"] as? String } == ["finished", "unfinished", "bad"], "\(rows)")
        #expect((rows[2]["detail"] as? String)?.contains("training.steps: 3 vs 10") == true, "\(rows)")
        // Numbers as numbers; no array task (the finished model) as null.
        #expect(rows[0]["task"] is NSNull && rows.dropFirst().map { $0["task"] as? Int } == [0, 1], "\(rows)")
        #expect(rows.map { $0["seed"] as? Int } == [0, 1, 2], "\(rows)")
    }

    @Test func emittedCommandLineTrainsTheModel() throws {
        let (directory, a, _, models) = try makeRecipes()
        let list = try CLI.zoo("sweep", a, "--seeds", "4", "--models", models, "--emit", "list", "--", "--steps", "3")
        #expect(list.status == 0, "\(list)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines == ["\(CLI.binaries)/icl-zoo train \(a) --seed 4 --models \(models) --resume --steps 3"], "\(list)")
        let manifest = directory.file("m.json")
        let json = try CLI.zoo("sweep", a, "--seeds", "4", "--models", models, "--emit", "json", "--", "--steps", "3")
        #expect(json.status == 0, "\(json)")
        try json.stdout.write(toFile: manifest, atomically: false, encoding: .utf8)
        #expect(try CLI.zoo("list", "--check", manifest).status == 1)
        // What a runner (xargs, GNU parallel) does with the line.
        let run = try Subprocess.run("/bin/sh", ["-c", lines[0]])
        #expect(run.status == 0, "\(run.stderr)")
        let check = try CLI.zoo("list", "--check", manifest)
        #expect(check.status == 0 && check.stdout.contains("1 models: 1 finished"), "\(check)")
    }

    @Test func sweepTaskRunsItsEntryOfTheManifest() throws {
        let (directory, a, _, models) = try makeRecipes()
        let manifest = directory.file("sweep.json")
        let emitted = try CLI.zoo(
            "sweep", a, "--seeds", "0-1", "--models", models, "--manifest", manifest, "--", "--steps", "3")
        try #require(emitted.status == 0, "\(emitted)")
        let id = try readManifest(manifest).id
        expectUserError(
            try CLI.zoo("sweep-task", manifest, "0", "--id", "other"),
            mentioning: [manifest, "belongs to sweep \(id)", "written for sweep other"])
        expectUserError(
            try CLI.zoo("sweep-task", manifest, "2", "--id", id),
            mentioning: [manifest, "no array task 2 (the sweep has 2)"])
        let task = try CLI.zoo("sweep-task", manifest, "1", "--id", id)
        #expect(task.status == 0, "\(task)")
        #expect(
            task.stdout.hasPrefix(
                "icl-zoo sweep \(id) task 1: a seed 1\n+ \(CLI.binaries)/icl-zoo train \(a) --seed 1"), "\(task)")
        #expect(FileManager.default.fileExists(atPath: "\(models)/a/seed-1.h5"))
        #expect(!FileManager.default.fileExists(atPath: "\(models)/a/seed-0.h5"))
    }

    @Test func userErrors() throws {
        let (directory, a, _, models) = try makeRecipes()
        let manifest = directory.file("sweep.json")
        expectUsageError(
            try CLI.zoo("sweep", a, "--slurm-option", "=x"), mentioning: ["--slurm-option takes KEY=VALUE"])
        expectUsageError(
            try CLI.zoo("sweep", a, "--", "--seed", "3"), mentioning: ["--seed after -- is set by the sweep itself"])
        expectUsageError(try CLI.zoo("sweep", a, "--bogus"), mentioning: ["Unknown option '--bogus'"])
        expectUserError(
            try CLI.zoo("sweep", a, "--models", models, "--", "--steps", "-1"),
            mentioning: ["train options after --", "--steps"])
        expectUserError(
            try CLI.zoo("sweep", a, "--models", models, "--", "--force"),
            mentioning: ["train options after --", "--resume and --force"])
        expectUsageError(try CLI.zoo("sweep", a, "--seeds", "3-1"), mentioning: ["--seeds takes a range"])
        try "a file".write(toFile: directory.file("file"), atomically: false, encoding: .utf8)
        expectUserError(
            try CLI.zoo("sweep", a, "--models", models, "--logs", directory.file("file/logs"), "--manifest", manifest),
            mentioning: [directory.file("file/logs/%x-%A_%a.out"), "\(directory.file("file")) is a file, not a folder"])
        let nowhere = directory.file("nowhere.json")
        expectUserError(try CLI.zoo("sweep", nowhere, "--models", models), mentioning: [nowhere, "no such recipe"])
        // A file at a model's checkpoint path that is not that model stops the sweep, naming it.
        try FileManager.default.createDirectory(atPath: models + "/a", withIntermediateDirectories: true)
        try "not HDF5".write(toFile: models + "/a/seed-0.h5", atomically: false, encoding: .utf8)
        expectUserError(
            try CLI.zoo("sweep", a, "--models", models, "--manifest", manifest),
            mentioning: ["\(models)/a/seed-0.h5", "move it away"])
        #expect(!FileManager.default.fileExists(atPath: manifest))
        // Everything finished: no script to submit.
        try FileManager.default.removeItem(atPath: models + "/a/seed-0.h5")
        try #require(try CLI.zoo("train", a, "--models", models, "--quiet").status == 0)
        expectUserError(
            try CLI.zoo("sweep", a, "--models", models, "--manifest", manifest),
            mentioning: ["all 1 models are finished in \(models): nothing to submit"])
        // Manifests that are missing or not manifests.
        expectUserError(try CLI.zoo("list", "--check", nowhere), mentioning: [nowhere, "no such manifest"])
        try #"{"format": "icl-zoo/sweep"}"#.write(toFile: manifest, atomically: false, encoding: .utf8)
        expectUserError(
            try CLI.zoo("sweep-task", manifest, "0"),
            mentioning: [manifest, "not an icl-zoo sweep manifest", "missing field"])
    }

    @Test func helpStatesDefaults() throws {
        let help = try CLI.zoo("sweep", "--help")
        #expect(help.status == 0 && help.stdout.contains("USAGE: icl-zoo sweep"), "\(help)")
        for option in [
            "--models", "--emit", "--manifest", "--cpus-per-task", "--slurm-option", "--logs", "--icl-zoo", "--seeds",
        ] {
            let block =
                help.stdout.components(separatedBy: "  \(option) <").dropFirst().first?.components(separatedBy: "\n  -")
                .first ?? ""
            #expect(block.contains("default"), "\(option): \(block)")
        }
    }
}
