import Foundation
import ICLTestSupport
import Testing

@Suite("Checkpoints do not depend on the number of threads")
struct ThreadCountTests {
    /// Three layers (two full linear-attention layers through the lane kernels, then a query-only
    /// one) with one head and with four (whose full layers contract their heads), one two-head
    /// softmax layer (its lane kernels), two 4-head Transformer blocks with MLPs (their lane kernels),
    /// and alternating-2's model (softmax then linear on 21-wide
    /// alternating tokens with positions), each trained on one core (`taskset -c 0`: the chunk pool
    /// follows the CPU affinity, so no worker thread) and on all of them: the weights are the same
    /// bit for bit.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")
                && ProcessInfo.processInfo.activeProcessorCount > 1),
        arguments: [
            ("lsa", 3, 1, ""), ("lsa", 3, 4, ""), ("softmax", 1, 2, ""), ("transformer", 2, 4, #", "mlp_hidden": 44"#),
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

    /// Two models trained side by side in one `icl-zoo train` (one a core, each running its chunks in
    /// turn) get the same weights as each trained alone on all cores.
    @Test func modelsSideBySideTrainTheSameWeightsAsAlone() throws {
        let directory = try TemporaryDirectory()
        let a = try CLI.writeSmallRecipe(
            in: directory, name: "blocks", architecture: "transformer", layers: 2, heads: 4,
            moreModel: #", "mlp_hidden": 44"#)
        let b = try CLI.writeSmallRecipe(in: directory, name: "soft", architecture: "softmax", heads: 2)
        // Batches of several chunks, so that regions do run while the other model trains.
        let together = try CLI.zoo(
            "train", a, b, "--seed", "5", "--batch-size", "512", "--models", directory.file("together"))
        try #require(together.status == 0, "\(together)")
        for name in ["blocks", "soft"] {
            let alone = try CLI.zoo(
                "train", directory.file("\(name).json"), "--seed", "5", "--batch-size", "512", "--out",
                directory.file("\(name).h5"))
            try #require(alone.status == 0, "\(alone)")
            #expect(
                try compareWeights(directory.file("together/\(name)/seed-5.h5"), directory.file("\(name).h5"))
                    == "same",
                "\(name)")
        }
    }
}
