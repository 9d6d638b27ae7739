import Foundation
import ICLTestSupport
import Testing

@Suite struct BenchTests {
    /// The executables re-run themselves with `OPENBLAS_CORETYPE` when OpenBLAS 0.3.21 falls back to
    /// its SSE3 kernels on a CPU it does not know; on a CPU with AVX2 and FMA the kernel they end up
    /// with is never that fallback.
    @Test func benchRunsOnAKernelTheCPUAllows() throws {
        let result = try CLI.run(
            "icl-bench",
            [
                "--only", "lsa-1", "--skip-reference", "--steps", "1", "--warmup", "0", "--batch-size", "4",
                "--zoo", Python.packageRoot.appendingPathComponent("zoo").path, "--json",
            ])
        #expect(result.status == 0, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let kernel = try #require(object["blas_kernel"] as? String, "\(result)")
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        )
        if flags.isSuperset(of: ["avx2", "fma"]) && ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            #expect(kernel != "Prescott", "OpenBLAS runs its SSE3 fallback on a CPU with AVX2 and FMA")
        }
        #expect((object["models"] as? [Any])?.count == 1, "\(result)")
    }

    /// What --skip-reference did not measure prints as "-", never "nan"; a model name matching
    /// nothing is an error, not an empty table.
    @Test func skippedFiguresAndUnknownModels() throws {
        let table = try CLI.run(
            "icl-bench", ["--only", "lsa-1", "--skip-reference", "--steps", "1", "--warmup", "0", "--batch-size", "4"])
        #expect(table.status == 0, "\(table)")
        #expect(!table.stdout.lowercased().contains("nan"), "\(table)")
        #expect(
            table.stdout.contains("1 thread, - on 2") && table.stdout.contains("tasks, 1-layer LSA): - ms"), "\(table)")
        expectUsageError(
            try CLI.run("icl-bench", ["--only", "NOSUCH"]), mentioning: ["--only NOSUCH matches no model", "lsa-1"])
        let version = try CLI.run("icl-bench", ["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0."), "\(version)")
    }
}
