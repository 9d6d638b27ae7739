import ArgumentParser
import Foundation
import ICLAnalysis
import ICLCheckpoint
import ICLMath
import ICLModels
import ICLTasks
import ICLTraining

/// Training-step and analysis timings in a release build, beside the machine's own GEMM rate.
@main
struct ICLBench: ParsableCommand {
    /// OpenBLAS's kernel is settled before anything runs (see `BLAS.useFastKernel`).
    static func main() {
        BLAS.useFastKernel()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "icl-bench",
        abstract:
            "Median time per training step (sample, forward, backward, Adam) for the zoo's models, FLOPs and GFLOP/s, against OpenBLAS SGEMM on this machine.",
        discussion:
            "Build with `swift build -c release`; timings from a debug build mean nothing. Look at /proc/loadavg "
            + "first: the machine is shared, and its speed drifts, so compare two builds by running them in turn. "
            + "After the models: `compare` on 10,000 tasks, and OpenBLAS alone on the product shapes the steps are made "
            + "of (what bounds a step built from them), and the linear-attention lane kernels alone on one chunk. "
            + "ICL_LANES=8 or ICL_LANES=0 (the per-task OpenBLAS path) compares paths in one build. "
            + "The first line names the OpenBLAS kernel.",
        version: SoftwareVersion.current)

    @Option(help: "Timed steps per model after warm-up.")
    var steps = 200

    @Option(help: "Warm-up steps.")
    var warmup = 20

    @Option(name: .customLong("batch-size"), help: "Tasks per step.")
    var batchSize = 2_048

    @Option(help: "Only the models whose name contains this (default: all).")
    var only: String?

    @Option(help: "Folder of the recipes to time (default: ./zoo, else the package's zoo/).")
    var zoo: String?

    @Flag(
        name: .customLong("skip-reference"),
        help: "Skip the SGEMM reference and compare timings (for profiling one model).")
    var skipReference = false

    @Flag(help: "One JSON object instead of a table.")
    var json = false

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative (got \(warmup))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
    }

    func run() throws {
        let models = try Measure.models(
            zoo: zoo ?? (FileManager.default.fileExists(atPath: "zoo") ? "zoo" : Recipe.packageZoo))
        if let only, !models.contains(where: { $0.0.contains(only) }) {
            throw ValidationError(
                "--only \(only) matches no model (models: \(models.map(\.0).joined(separator: ", ")))")
        }
        #if DEBUG
            FileHandle.standardError.write(Data("warning: this is a debug build; use `swift build -c release`\n".utf8))
        #endif
        let gemm = skipReference ? (one: Double.nan, two: Double.nan) : Measure.gemmGFLOPs(size: 1024)
        var results: [Measure.StepResult] = []
        for (name, recipe) in models where only.map({ name.contains($0) }) ?? true {
            var r = recipe
            r.training.batchSize = batchSize
            results.append(try Measure.trainingStep(name: name, recipe: r, steps: steps, warmup: warmup))
        }
        let analysis = skipReference ? (milliseconds: Double.nan, gflops: Double.nan) : Measure.compare(tasks: 10_000)
        let shapes = skipReference ? [] : Measure.stepShapes.map { ($0, Measure.rate($0)) }
        let laneWidths = LaneWidth.supported == 16 ? [8, 16] : [8]
        let lanes = skipReference ? [] : laneWidths.map { ($0, Measure.laneRates(lanes: $0)) }
        if json {
            var object: [String: Any] = [
                "gemm_gflops_1thread": Measure.json(gemm.one), "gemm_gflops_2threads": Measure.json(gemm.two),
                "batch_size": batchSize, "steps": steps, "blas_kernel": BLAS.kernelName,
            ]
            object["models"] = results.map { $0.dictionary(gemm: gemm.two) }
            object["compare_10000_tasks_ms"] = Measure.json(analysis.milliseconds)
            object["compare_gflops"] = Measure.json(analysis.gflops)
            object["openblas_step_shapes"] = shapes.map { shape, rate in
                ["name": shape.name, "m": shape.m, "n": shape.n, "k": shape.k, "gflops_1thread": rate] as [String: Any]
            }
            object["lane_kernels"] = lanes.flatMap { width, rates in
                rates.map { name, rate in
                    ["lanes": width, "kernel": name, "gflops_1thread_cpu_time": rate] as [String: Any]
                }
            }
            object["lanes_used"] = LaneWidth.current
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        // A figure not measured (--skip-reference) prints as "-".
        func figure(_ format: String, _ value: Double) -> String { value.isNaN ? "-" : String(format: format, value) }
        print(
            "OpenBLAS SGEMM 1024³ (\(BLAS.kernelName) kernel): \(figure("%.1f", gemm.one)) GFLOP/s on 1 thread, "
                + "\(figure("%.1f", gemm.two)) on 2 (the reference below)")
        print(
            "linear and softmax attention: \(LaneWidth.current == 0 ? "per-task OpenBLAS (ICL_LANES=0)" : "\(LaneWidth.current) tasks a SIMD vector")"
        )
        print("batch \(batchSize), median over \(steps) steps after \(warmup) warm-up; load \(Measure.loadAverage())")
        let header = [
            "model", "ms/step", "sample", "fwd+bwd", "adam", "CPU ms/step", "MFLOP/step", "GFLOP/s", "% of GEMM",
        ]
        print(header.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        for r in results {
            let row = [
                r.name, String(format: "%.3f", r.median), String(format: "%.3f", r.sample),
                String(format: "%.3f", r.model),
                String(format: "%.3f", r.adam), String(format: "%.3f", r.cpu), String(format: "%.2f", r.flops / 1e6),
                String(format: "%.1f", r.gflops),
                figure("%.1f%%", 100 * r.gflops / gemm.two),
            ]
            print(row.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        }
        print(
            "compare (2 × forward + backward, 10,000 tasks, 1-layer LSA): \(figure("%.2f", analysis.milliseconds)) ms, "
                + "\(figure("%.1f", analysis.gflops)) GFLOP/s")
        if !shapes.isEmpty {
            print(
                "OpenBLAS on the shapes the steps are made of (1 thread, operands in cache; two cores at most double it):"
            )
            for (shape, rate) in shapes {
                print(
                    "  " + shape.name.padding(toLength: 44, withPad: " ", startingAt: 0)
                        + String(format: "%7.1f GFLOP/s", rate))
            }
        }
        if !lanes.isEmpty {
            print(
                "Linear-attention lane kernels on one chunk (128 tasks, T = D = 11; 1 thread, its CPU time, so load matters less):"
            )
            for (width, rates) in lanes {
                let row = rates.map { name, rate in String(format: "%@ %.1f", name, rate) }.joined(separator: ", ")
                print("  \(width) lanes: " + row + " GFLOP/s")
            }
        }
    }
}
