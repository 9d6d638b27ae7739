import ArgumentParser
import ICLCheckpoint
import ICLMath

@main
struct ICLAnalyze: ParsableCommand {
    /// OpenBLAS's kernel is settled before anything runs (see `BLAS.useFastKernel`).
    static func main() {
        BLAS.useFastKernel()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "icl-analyze",
        abstract: "Analyse stored icl-zoo checkpoints as the paper does (never retrains).",
        version: SoftwareVersion.current,
        subcommands: [
            Compare.self, Interpolate.self, OOD.self, RolloutCommand.self, HeatmapCommand.self, SpectrumCommand.self,
            CurvesCommand.self, CopyingCommand.self,
            ContextLengthCommand.self, FingerprintCommand.self, FunctionsCommand.self, ProblemSizesCommand.self,
            ReportCommand.self,
        ])
}
