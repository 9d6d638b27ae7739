import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS picks its kernels from the CPU model when the library loads. Debian 12's 0.3.21 does
/// not know some recent CPUs (Sapphire Rapids, measured here) and falls back to its SSE3 "Prescott"
/// kernels: SGEMM 1024³ ran at 30 GFLOP/s per core instead of 134 with "SkylakeX". It reads
/// `OPENBLAS_CORETYPE` only at load time, so the executables call `useFastKernel` first, which
/// re-executes the program with that variable naming the kernel the CPU's instructions allow.
extension BLAS {
    /// The kernel family OpenBLAS is running ("Haswell", "SkylakeX", "Prescott", …).
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// The kernel to force when OpenBLAS fell back to `reported` on a CPU with `flags`
    /// (from /proc/cpuinfo), or nil when its own choice stands.
    public static func fasterKernel(reported: String, cpuFlags flags: Set<String>) -> String? {
        guard reported == "Prescott" else { return nil }  // its fallback for CPUs it cannot name
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// Re-executes this program with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to a slow
    /// kernel it need not use. Does nothing when the variable is already set (by the user, or by
    /// this call before the re-execution) or the CPU's flags cannot be read.
    public static func useFastKernel() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
            let kernel = fasterKernel(reported: kernelName, cpuFlags: cpuFlags())
        else { return }
        setenv("OPENBLAS_CORETYPE", kernel, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // exec failed: carry on with the slow kernel
    }

    /// The first "flags" line of /proc/cpuinfo, or an empty set (also on systems without it).
    public static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil, capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(
                    text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).map(String.init))
            }
        }
        return []
    }
}
