import ArgumentParser
import Foundation
import ICLCheckpoint
import ICLMath

@main
struct ICLZoo: ParsableCommand {
    /// OpenBLAS's kernel is settled before anything runs (see `BLAS.useFastKernel`).
    static func main() {
        BLAS.useFastKernel()
        // Past a file-size limit (ulimit -f), a write then fails with EFBIG, an error the atomic
        // writers clean up after, instead of SIGXFSZ killing the process mid-write.
        signal(SIGXFSZ, SIG_IGN)
        // One line at a time into a pipe or file too (`| tee`, make paper's log splitter, Slurm logs):
        // "wrote …" should appear when the model is written, not when the buffer fills.
        setvbuf(stdout, nil, _IOLBF, 0)
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "icl-zoo",
        abstract:
            "Train and construct the models of 'Transformers Learn In-Context by Gradient Descent' as HDF5 checkpoints.",
        discussion: """
            Recipes (JSON) in zoo/ name the models; each run writes one checkpoint with its weights, the \
            resolved recipe, the seed, the code version and the training curve. See docs/checkpoint-format.md.
            """,
        version: SoftwareVersion.current,
        subcommands: [Train.self, Construct.self, Show.self, List.self, Sweep.self, SweepTask.self])
}
