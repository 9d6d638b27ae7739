import Foundation
import ICLTestSupport
import Testing

@Suite("Checkpoints do not depend on the number of threads")
struct ThreadCountTests {
    /// Three layers (two full linear-attention layers through the lane kernels, then a query-only
    /// one) with one head and with four (whose full layers contract their heads), one two-head
    /// softmax layer (its lane kernels), and alternating-2's model (softmax then linear on 21-wide
    /// alternating tokens with positions), each trained on one core (`taskset -c 0`: the chunk pool
    /// follows the CPU affinity, so no worker thread) and on all of them: the weights are the same
    /// bit for bit.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")
                && ProcessInfo.processInfo.activeProcessorCount > 1),
        arguments: [
            ("lsa", 3, 1, ""), ("lsa", 3, 4, ""), ("softmax", 1, 2, ""),
            (
                "transformer", 2, 1,
                #", "attention": ["softmax", "linear"], "token_layout": "alternating", "positional_dim": 10"#
            ),
        ])
    func oneCoreAndAllCoresTrainTheSameWeights(architecture: String, layers: Int, heads: Int, more: String) throws {
        let directory = try TemporaryDirectory()
        let recipe = try CLI.writeSmallRecipe(
            in: directory, architecture: architecture, layers: layers, heads: heads, moreModel: more)
        let zoo = CLI.binaries + "/icl-zoo"
        let one = try Subprocess.run(
            "/usr/bin/taskset", ["-c", "0", zoo, "train", recipe, "--seed", "5", "--out", directory.file("one.h5")])
        try #require(one.status == 0, "\(one)")
        let all = try CLI.zoo("train", recipe, "--seed", "5", "--out", directory.file("all.h5"))
        try #require(all.status == 0, "\(all)")
        #expect(try compareWeights(directory.file("one.h5"), directory.file("all.h5")) == "same")
    }
}
