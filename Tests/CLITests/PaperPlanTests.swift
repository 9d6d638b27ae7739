import Foundation
import ICLTestSupport
import Testing

/// `make paper`'s plan (analysis/paper-plan.tsv), the awk programs that read it and draw the progress
/// line, and the driver (analysis/paper.sh) on a two-model plan with the debug binaries.
@Suite struct PaperPlanTests {
    static let root = Python.packageRoot.path

    struct Row {
        let figure: Int, kind: String, name: String, seeds: [Int], quick: String, cost: Double, args: String
    }

    /// The plan read by a parser of its own (not the awk program under test).
    static func plan() throws -> [Row] {
        let text = try String(contentsOfFile: root + "/analysis/paper-plan.tsv", encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 7, "not 7 fields: \(line)")
            var seeds: [Int] = []
            let range = f[3].split(separator: "-").compactMap { Int($0) }
            if range.count == 2 {
                seeds = Array(range[0]...range[1])
            } else if f[3] != "-" {
                seeds = f[3].split(separator: ",").compactMap { Int($0) }
            }
            return Row(
                figure: try #require(Int(f[0])), kind: f[1], name: f[2], seeds: seeds, quick: f[4],
                cost: try #require(Double(f[5])), args: f[6])
        }
    }

    static func awk(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Subprocess.run("awk", arguments, in: root)
    }

    @Test func planCoversFiguresTwoToSixteenWithRecipesThatExist() throws {
        let rows = try Self.plan()
        #expect(Set(rows.map(\.figure)) == Set(2...16))
        for row in rows where row.kind == "train" {
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/zoo/\(row.name).json"))
            let recipe = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(recipe["name"] as? String == row.name, "zoo/\(row.name).json names another model")
            #expect(!row.seeds.isEmpty && row.cost > 0, "\(row.name)")
        }
        for row in rows where row.kind == "construct" {
            #expect(
                ["gd", "copy"].contains(row.args.split(separator: " ").first.map(String.init) ?? ""), "\(row.args)")
        }
        #expect(rows.allSatisfy { ["train", "construct"].contains($0.kind) })
    }

    /// The seeds per recipe are the layout the lead's run trains into out/paper/zoo/, so `make paper`
    /// reuses those checkpoints: 10 seeds for Figure 15, 1 for the expensive models, 5 otherwise.
    @Test func seedsFollowTheRule() throws {
        var seeds: [String: Set<Int>] = [:]
        for row in try Self.plan() where row.kind == "train" { seeds[row.name, default: []].formUnion(row.seeds) }
        for name in ["lsa-1", "lsa-1-2head"] { #expect(seeds[name] == Set(0...9), "\(name)") }
        for name in ["lsa-5", "mlp-12-4head", "gdpp-12", "gdpp-5", "gd-5", "gdpp-recurrent-10", "gd-recurrent-10"] {
            #expect(seeds[name] == [0], "\(name)")
        }
        for name in [
            "lsa-recurrent-2", "gdpp-recurrent-2", "gd-recurrent-2", "softmax-1", "softmax-2head", "layernorm-1",
            "layernorm-2", "lsa-1-fixed-128", "lsa-1-fixed-8192", "gdpp-recurrent-2-n100", "lsa-recurrent-10",
            "softmax-linear-2", "alternating-2", "sine-mlp-lsa", "sine-mlp-gd", "lsa-1-n5", "lsa-1-n15", "lsa-1-n20",
        ] {
            #expect(seeds[name] == Set(0...4), "\(name)")
        }
    }

    @Test func awkListsTheJobsOfTheFiguresAskedFor() throws {
        let all = try Self.awk(["-f", "analysis/paper-plan.awk", "analysis/paper-plan.tsv"])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.contains("train lsa-1 0,1,2,3,4,5,6,7,8,9 - 4"))
        #expect(lines.contains("construct gd-1 gd --layers 1"))
        #expect(lines.filter { $0.hasPrefix("train lsa-1 ") }.count == 1, "one line per recipe")

        let quick = try Self.awk(["-v", "quick=1", "-f", "analysis/paper-plan.awk", "analysis/paper-plan.tsv"])
        let trains = quick.stdout.split(separator: "\n").filter { $0.hasPrefix("train ") }.map {
            $0.split(separator: " ")
        }
        #expect(!trains.isEmpty && trains.allSatisfy { $0[2] == "0" }, "paper-quick trains seed 0 only")
        #expect(trains.contains { $0 == ["train", "mlp-12-4head", "0", "200", "8"] }, "2,000 s × 200 / 50,000 steps")

        let two = try Self.awk(["-v", "only=2", "-f", "analysis/paper-plan.awk", "analysis/paper-plan.tsv"])
        #expect(
            two.stdout
                == "construct gd-1 gd --layers 1\ntrain lsa-1 0,1,2,3,4 - 4\ntrain lsa-1-n5 0,1,2,3,4 - 3\n"
                + "train lsa-1-n15 0,1,2,3,4 - 13\ntrain lsa-1-n20 0,1,2,3,4 - 22\n")
    }

    @Test func awkRefusesABadPlanNamingTheLine() throws {
        let directory = try TemporaryDirectory()
        let bad = directory.file("plan.tsv")
        try """
        # comment
        17\ttrain\tlsa-1\t0\t-\t9\t-
        2\ttrain\tno-such-recipe\t0\t-\t9\t-
        2\ttrain\tlsa-1\t0-x\t-\t9\t-
        2\tconstruct\tgd-1\t0\t-\t5\tgd

        """.write(toFile: bad, atomically: false, encoding: .utf8)
        let result = try Self.awk(["-f", "analysis/paper-plan.awk", bad])
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n")
        #expect(errors.count == 4, "\(result.stderr)")
        #expect(errors.allSatisfy { $0.hasPrefix("Error: \(bad):") })
        #expect(errors[0].contains(":2: figure must be 2 to 16"))
        #expect(errors[1].contains(":3: no recipe zoo/no-such-recipe.json"))
        #expect(errors[2].contains(":4: seeds must be"))
        #expect(errors[3].contains(":5: a construction has no seeds"))
        let missing = try Self.awk(["-v", "only=1", "-f", "analysis/paper-plan.awk", "analysis/paper-plan.tsv"])
        #expect(missing.status == 1 && missing.stderr.contains("no figure 1 in the plan"))
    }

    /// Four models of cost 100: one reused (done before the run), one finished in this run, one a
    /// quarter through, one waiting. 125 cost-seconds done in 200 s leave 175: ETA 280 s; before a
    /// minute has passed, the plan's 175 s.
    @Test func progressLineCountsModelsAndMeasuresTheRate() throws {
        let directory = try TemporaryDirectory()
        let d = directory.path
        try "h5".write(toFile: "\(d)/a.h5", atomically: false, encoding: .utf8)
        try "h5".write(toFile: "\(d)/b.h5", atomically: false, encoding: .utf8)
        try "c seed 0 step 0/1000  loss 0.4\nc seed 0 step 250/1000  loss 0.2  val 0.2  10 steps/s  ETA 75s\n"
            .write(toFile: "\(d)/c.log", atomically: false, encoding: .utf8)
        try """
        a 0 100 \(d)/a.h5 \(d)/a.log 1
        b 0 100 \(d)/b.h5 \(d)/b.log 0
        c 0 100 \(d)/c.h5 \(d)/c.log 0
        d 0 100 \(d)/d.h5 \(d)/d.log 0

        """.write(toFile: "\(d)/models.txt", atomically: false, encoding: .utf8)
        let program = Self.root + "/analysis/paper-progress.awk"
        let measured = try Self.awk(["-v", "elapsed=200", "-f", program, "\(d)/models.txt"])
        #expect(
            measured.stdout == "2/4 models done, 1 training, 1 waiting; elapsed 0:03:20, ETA 0:04:40 (measured rate)",
            "\(measured)")
        let early = try Self.awk(["-v", "elapsed=30", "-f", program, "\(d)/models.txt"])
        #expect(early.stdout == "2/4 models done, 1 training, 1 waiting; elapsed 0:00:30, ETA 0:02:55 (plan estimate)")
        // A resumed run counts from where it resumed: c started at 200 of 1000, so 5 % of it is this run's.
        try "resuming c seed 0 from step 200 of 1000 (c.h5.state)\nc seed 0 step 250/1000  loss 0.2\n"
            .write(toFile: "\(d)/c.log", atomically: false, encoding: .utf8)
        let resumed = try Self.awk(["-v", "elapsed=200", "-f", program, "\(d)/models.txt"])
        // done in this run: b (100) + c (5) = 105 of a planned 280; left 175 → 175 · 200 / 105 = 333 s.
        #expect(resumed.stdout.hasSuffix("ETA 0:05:33 (measured rate)"), "\(resumed.stdout)")
    }

    /// The driver on a plan of one recipe, with the debug binaries: the model's own log, the table
    /// behind the progress line, a rerun that reuses the checkpoint; the report step either writes
    /// RUN.md or says `icl-analyze report` is missing.
    @Test func driverTrainsLogsAndReuses() throws {
        let directory = try TemporaryDirectory()
        let plan = directory.file("plan.tsv")
        try "2\ttrain\tgd-recurrent-2\t0\t3\t5\t-\n".write(toFile: plan, atomically: false, encoding: .utf8)
        let out = directory.file("out")
        func driver() throws -> (status: Int32, stdout: String, stderr: String) {
            // Bounded: a hung driver fails the test after two minutes instead of stalling the suite.
            try Subprocess.run(
                "/usr/bin/timeout",
                [
                    "120", "env", "BIN=" + BuiltTools.folder.path, Self.root + "/analysis/paper.sh",
                    "--quick", "--plan", plan, "--out", out,
                ])
        }
        let first = try driver()
        let log = try String(contentsOfFile: "\(out)/logs/gd-recurrent-2-seed-0.log", encoding: .utf8)
        #expect(log.contains("gd-recurrent-2 seed 0 step 3/3"), "\(log)\n\(first.stderr)")
        #expect(log.contains("wrote \(out)/zoo/gd-recurrent-2/seed-0.h5"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/zoo/gd-recurrent-2/seed-0.h5"))
        #expect(first.stderr.contains("1/1 models done, 0 training, 0 waiting"), "\(first.stderr)")
        if first.status == 0 {
            #expect(FileManager.default.fileExists(atPath: "\(out)/RUN.md"))
        } else {
            #expect(first.status == 1)
            #expect(first.stderr.split(separator: "\n").last?.hasPrefix("Error: ") == true, "\(first.stderr)")
            #expect(first.stderr.contains("'report'"))
        }
        _ = try driver()
        let again = try String(contentsOfFile: "\(out)/logs/gd-recurrent-2-seed-0.log", encoding: .utf8)
        #expect(again.hasPrefix("skipped \(out)/zoo/gd-recurrent-2/seed-0.h5"), "\(again)")
    }
}
