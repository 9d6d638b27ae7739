// swift-tools-version:6.0
// icl-zoo: the models of "Transformers Learn In-Context by Gradient Descent" (von Oswald et al., 2023),
// trained on the CPU, stored as HDF5 checkpoints, and analysed.
import PackageDescription

// Platforms: built and tested on Linux x86-64 (Debian 12, Swift 6.3) only. Expected to work on any
// x86-64 Linux with the four pkg-config packages below; other systems need changes (macOS: Homebrew's
// library names and no `-target-cpu haswell` on arm64; arm64 Linux: another CPU flag), so no Apple
// platform is declared.
//
// Every target is compiled for a CPU with AVX2 and FMA: without an FMA target CPU, Swift's SIMD
// multiply-adds compile to one call of the C library's fmaf per lane instead of one instruction,
// tens of times slower. Haswell is the oldest x86-64 with both.
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let mode: [SwiftSetting] = fast + [.swiftLanguageMode(.v5)]

let package = Package(
    name: "icl-zoo",
    products: [
        .executable(name: "icl-zoo", targets: ["icl-zoo"]),
        .executable(name: "icl-analyze", targets: ["icl-analyze"]),
        .executable(name: "icl-bench", targets: ["icl-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: Build plugin
        .plugin(name: "GitCommit", capability: .buildTool()),

        // MARK: System libraries (Debian packages; shim.h wraps the macros Swift cannot import)
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // MARK: Libraries, one concern each
        .target(name: "ICLMath", dependencies: ["CBLAS"], exclude: ["README.md"], swiftSettings: mode,
                linkerSettings: [.linkedLibrary("m")]),
        // How a description is spelled: fields named once, read from JSON, stored as attributes.
        .target(name: "ICLDescription", exclude: ["README.md"], swiftSettings: mode),
        .target(name: "ICLTasks", dependencies: ["ICLMath", "ICLDescription"], exclude: ["README.md"], swiftSettings: mode),
        // Linear attention with SIMD lanes across tasks: optimised even in debug builds (generic SIMD
        // code unspecialised is orders of magnitude slower), and the 16-lane entry points in a module
        // of their own, compiled for AVX-512 and called only on CPUs that have it.
        .target(name: "ICLLanes", dependencies: ["ICLMath"], exclude: ["README.md"],
                swiftSettings: mode + [.unsafeFlags(["-O"])]),
        .target(name: "ICLLanesAVX512", dependencies: ["ICLLanes"],
                swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512", "-O"]), .swiftLanguageMode(.v5)]),
        .target(name: "ICLModels", dependencies: ["ICLMath", "ICLDescription", "ICLTasks", "ICLLanes", "ICLLanesAVX512"],
                exclude: ["README.md"], swiftSettings: mode),
        // The recipe and what a run records: read by the trainer and by the checkpoint reader.
        .target(name: "ICLRecipe", dependencies: ["ICLDescription", "ICLMath", "ICLTasks", "ICLModels"], exclude: ["README.md"],
                swiftSettings: mode),
        .target(name: "ICLTraining", dependencies: ["ICLMath", "ICLTasks", "ICLModels", "ICLRecipe"], exclude: ["README.md"],
                swiftSettings: mode),
        // A thin, strict HDF5 wrapper: its own dependency and its own reader (h5py), so its own target.
        .target(name: "ICLHDF5", dependencies: ["CHDF5"], exclude: ["README.md"], swiftSettings: mode),
        // The checkpoint records the git commit it was built from (stamped by the GitCommit plugin).
        .target(name: "ICLCheckpoint", dependencies: ["ICLHDF5", "ICLModels", "ICLRecipe"], exclude: ["README.md"], swiftSettings: mode,
                plugins: ["GitCommit"]),
        .target(name: "ICLRender", dependencies: ["CPNG", "CCairo"], exclude: ["README.md"], swiftSettings: mode,
                linkerSettings: [.linkedLibrary("m")]),
        .target(name: "ICLAnalysis", dependencies: ["ICLMath", "ICLTasks", "ICLModels"], exclude: ["README.md"], swiftSettings: mode),
        // Analysis results → figures (titles, names, styles), shared by icl-analyze's subcommands and its report.
        .target(name: "ICLFigures", dependencies: ["ICLAnalysis", "ICLModels", "ICLRender"], exclude: ["README.md"], swiftSettings: mode),

        // MARK: Executables: parse, call one library function, print or plot
        .executableTarget(name: "icl-zoo", dependencies: [
            "ICLMath", "ICLTasks", "ICLModels", "ICLRecipe", "ICLTraining", "ICLCheckpoint", "ICLRender", "ICLAnalysis",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["README.md"], swiftSettings: mode),
        .executableTarget(name: "icl-analyze", dependencies: [
            "ICLMath", "ICLTasks", "ICLModels", "ICLRecipe", "ICLTraining", "ICLCheckpoint", "ICLRender", "ICLAnalysis",
            "ICLFigures",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["README.md"], swiftSettings: mode),
        .executableTarget(name: "icl-bench", dependencies: [
            "ICLMath", "ICLTasks", "ICLModels", "ICLRecipe", "ICLTraining", "ICLCheckpoint", "ICLAnalysis",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["README.md"], swiftSettings: mode),

        // MARK: Tests, beside what they test (every module a test imports is listed, so that
        // incremental builds recompile the test when that module's types change)
        .target(name: "ICLTestSupport", dependencies: ["ICLMath"], path: "Tests/ICLTestSupport", swiftSettings: mode),
        .testTarget(name: "ICLMathTests", dependencies: ["ICLMath", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLDescriptionTests", dependencies: ["ICLDescription"], swiftSettings: mode),
        .testTarget(name: "ICLTasksTests", dependencies: ["ICLTasks", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLModelsTests", dependencies: ["ICLModels", "ICLLanes", "ICLTasks", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLTrainingTests", dependencies: ["ICLTraining", "ICLRecipe", "ICLModels", "ICLTasks", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLHDF5Tests", dependencies: ["ICLHDF5", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLCheckpointTests", dependencies: ["ICLCheckpoint", "ICLModels", "ICLRecipe", "ICLTraining", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLRenderTests", dependencies: ["ICLRender", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLAnalysisTests", dependencies: ["ICLAnalysis", "ICLModels", "ICLTasks", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "ICLFiguresTests", dependencies: ["ICLFigures", "ICLAnalysis", "ICLModels", "ICLRender", "ICLTestSupport"], swiftSettings: mode),
        .testTarget(name: "CLITests", dependencies: ["ICLRender", "ICLTestSupport"], swiftSettings: mode),
    ]
)
