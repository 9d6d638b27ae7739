import Foundation

/// A file a panel reads, and the command that makes it when it is missing.
struct Requirement: Hashable {
    let path: String
    let make: String
}

/// One `icl-analyze` run of a panel: its arguments after `icl-analyze`, without --json, --png,
/// --csv (the report adds them), and a label for tables ("seed 0").
struct PanelRun {
    let label: String
    let arguments: [String]
}

/// One panel of a figure as the paper lays it out.
struct PanelPlan {
    enum Kind {
        /// One run that draws the panel (--png, --csv).
        case drawn
        /// Runs without a figure (`compare`); the panel is a table of their numbers.
        case table
    }

    /// Unique within the report, used for file names ("2b-alignment").
    let key: String
    let title: String
    let kind: Kind
    let runs: [PanelRun]
    let needs: [Requirement]
    /// Why a panel the paper has cannot be drawn at all (no subcommand computes it), else nil.
    var unavailable: String? = nil

    /// Grid columns the composed panel takes: as many as the plots its analysis draws side by side
    /// (`curves`: the two losses and one alignment plot per --align-with; `copying`, `functions`: two).
    var span: Int {
        guard kind == .drawn, let arguments = runs.first?.arguments, let first = arguments.first else { return 1 }
        switch first {
        case "curves": return 2 + arguments.filter { $0 == "--align-with" }.count
        case "copying", "functions": return 2
        default: return 1
        }
    }
}

struct FigurePlan {
    let number: Int
    let title: String
    /// What the figure shows and how it maps to the paper's figure.
    let caption: String
    let columns: Int
    let panels: [PanelPlan]
}

/// The zoo folder as `icl-zoo train --models ZOO` writes it: `ZOO/<recipe>/seed-<s>.h5`, and
/// constructions in `ZOO/<name>/construction.h5`.
struct ZooFolder {
    let root: String

    func path(_ name: String, seed: Int) -> String { "\(root)/\(name)/seed-\(seed).h5" }
    func construction(_ name: String) -> String { "\(root)/\(name)/construction.h5" }

    /// The seeds of `name` among `wanted` whose checkpoints exist, in order; all of `wanted` when none does
    /// (so the panel is listed as missing with every file it needs).
    func seeds(_ name: String, _ wanted: ClosedRange<Int>) -> [Int] {
        let present = wanted.filter { FileManager.default.fileExists(atPath: path(name, seed: $0)) }
        return present.isEmpty ? Array(wanted) : present
    }

    /// The requirement for seed files of a recipe: training them all at once.
    func trained(_ name: String, _ seeds: [Int]) -> [Requirement] {
        let range = seeds.count == 1 ? "--seed \(seeds[0])" : "--seeds \(seeds.first!)-\(seeds.last!)"
        return seeds.map {
            Requirement(path: path(name, seed: $0), make: "icl-zoo train \(name) \(range) --models \(root)")
        }
    }

    func gdConstruction(layers: Int) -> Requirement {
        Requirement(
            path: construction("gd-\(layers)"),
            make: "icl-zoo construct gd --layers \(layers) --out \(construction("gd-\(layers)"))")
    }
}

/// The paper's Figures 2–16 with data, panel by panel, on the files of `zoo`. `tasks` is passed to
/// every analysis that draws tasks.
func reportPlan(zoo: ZooFolder, tasks: Int) -> [FigurePlan] {
    let t = ["--tasks", String(tasks)]
    func seedsOf(_ name: String, _ range: ClosedRange<Int> = 0...4) -> (
        files: [String], needs: [Requirement], seeds: [Int]
    ) {
        let seeds = zoo.seeds(name, range)
        return (seeds.map { zoo.path(name, seed: $0) }, zoo.trained(name, seeds), seeds)
    }
    func one(_ name: String) -> (file: String, needs: [Requirement]) {
        let s = seedsOf(name, 0...0)
        return (s.files[0], s.needs)
    }
    func drawn(_ key: String, _ title: String, _ arguments: [String], needs: [Requirement]) -> PanelPlan {
        PanelPlan(
            key: key, title: title, kind: .drawn, runs: [PanelRun(label: "", arguments: arguments + t)], needs: needs)
    }
    /// `compare` of each seed's model with `against` (a file, or a baseline through --against).
    func alignment(
        _ key: String, _ title: String, _ models: (files: [String], needs: [Requirement], seeds: [Int]),
        against: [String], needs: [Requirement] = []
    ) -> PanelPlan {
        let runs = zip(models.seeds, models.files).map { seed, file in
            PanelRun(label: "seed \(seed)", arguments: ["compare", file] + against + t)
        }
        return PanelPlan(key: key, title: title, kind: .table, runs: runs, needs: models.needs + needs)
    }
    let gd1 = zoo.gdConstruction(layers: 1)

    var figures: [FigurePlan] = []

    // Figure 2: one LSA layer against one GD step.
    let lsa1 = seedsOf("lsa-1")
    let sizes = problemSizeRecipes.map { seedsOf($0) }
    figures.append(
        FigurePlan(
            number: 2, title: "Figure 2: one trained linear self-attention layer against one step of gradient descent",
            caption:
                "(a) Validation and training loss of lsa-1 over training (mean over seeds, band min–max) with the loss of one GD "
                + "step (η line-searched on each seed's validation set), and the three alignment measures of the stored snapshots "
                + "against one GD step over training (mean ± std over seeds). (b) Loss of one GD step (η line-searched), the "
                + "trained layer and the interpolated weights θ₁ = (θ + θ_GD)/2 of the scale-corrected products against "
                + "N = N_x = \(problemSizes.map(String.init).joined(separator: ", ")) (recipes "
                + "\(problemSizeRecipes.joined(separator: ", ")); the paper does not list its values of N), mean ± std over "
                + "seeds. (c, d) Loss out of distribution, input range and teacher scale, for the trained layer, GD and their "
                + "interpolation. (e) The alignment measures of the final weights, per seed (the numbers of RESULTS.md).",
            columns: 4,
            panels: [
                drawn(
                    "2a-curves", "loss and alignment with one GD step over training",
                    ["curves"] + lsa1.files + ["--baseline", "gd", "--align-with", "gd"], needs: lsa1.needs),
                drawn(
                    "2b-problem-sizes", "GD, trained and interpolated for N = N_x",
                    ["problem-sizes"] + sizes.flatMap(\.files), needs: sizes.flatMap(\.needs)),
                drawn(
                    "2c-ood-inputs", "OOD: input range",
                    ["ood", lsa1.files[0], gd1.path, "--interpolated", "--shift", "input-range"],
                    needs: [lsa1.needs[0], gd1]),
                drawn(
                    "2d-ood-teacher", "OOD: teacher scale",
                    ["ood", lsa1.files[0], gd1.path, "--interpolated", "--shift", "teacher"],
                    needs: [lsa1.needs[0], gd1]),
                alignment(
                    "2e-alignment", "final weights: alignment with one GD step", lsa1, against: ["--against", "gd"]),
            ]))

    // Figure 3: (a) recurrent 2-layer LSA, (b) 5 separate layers, against GD++ and GD.
    let rec2 = seedsOf("lsa-recurrent-2"), gdpp2 = one("gdpp-recurrent-2")
    let lsa5 = seedsOf("lsa-5", 0...0), gdpp5 = one("gdpp-5"), gd5 = one("gd-5")
    figures.append(
        FigurePlan(
            number: 3, title: "Figure 3: deeper linear self-attention stacks against GD and GD++",
            caption:
                "(a) The recurrent 2-layer LSA (lsa-recurrent-2) against 2 steps of GD++ (gdpp-recurrent-2, η and γ trained) "
                + "and 2 steps of GD (η line-searched): validation and training loss over training, and the three alignment "
                + "measures of the stored snapshots with GD++ and with GD over training (mean ± std over seeds); (b) the loss "
                + "against the input range with the interpolation between the LSA and GD++. (c, d) The same for 5 separate "
                + "layers (lsa-5, one seed) against gdpp-5 and gd-5 (per-step η, γ fitted by continuation). (e–h) The alignment "
                + "measures of the final weights, per seed (the numbers of RESULTS.md).",
            columns: 5,
            panels: [
                drawn(
                    "3a-curves", "2 recurrent layers: loss and alignment over training",
                    ["curves"] + rec2.files + [
                        "--baseline", gdpp2.file, "--baseline", "gd", "--align-with", gdpp2.file, "--align-with", "gd",
                    ],
                    needs: rec2.needs + gdpp2.needs),
                drawn(
                    "3a-ood", "OOD: input range",
                    ["ood", rec2.files[0], gdpp2.file, "--interpolated", "--against", "gd", "--shift", "input-range"],
                    needs: [rec2.needs[0]] + gdpp2.needs),
                drawn(
                    "3b-curves", "5 layers: loss and alignment over training",
                    ["curves"] + lsa5.files + [
                        "--baseline", gdpp5.file, "--baseline", gd5.file, "--align-with", gdpp5.file, "--align-with",
                        gd5.file,
                    ],
                    needs: lsa5.needs + gdpp5.needs + gd5.needs),
                drawn(
                    "3b-ood", "OOD: input range",
                    ["ood", lsa5.files[0], gdpp5.file, gd5.file, "--interpolated", "--shift", "input-range"],
                    needs: lsa5.needs + gdpp5.needs + gd5.needs),
                alignment(
                    "3a-alignment-gdpp", "2 recurrent layers, final weights: alignment with GD++", rec2,
                    against: [gdpp2.file], needs: gdpp2.needs),
                alignment(
                    "3a-alignment-gd", "2 recurrent layers, final weights: alignment with 2 GD steps", rec2,
                    against: ["--against", "gd"]),
                alignment(
                    "3b-alignment-gdpp", "5 layers, final weights: alignment with GD++", lsa5, against: [gdpp5.file],
                    needs: gdpp5.needs),
                alignment(
                    "3b-alignment-gd", "5 layers, final weights: alignment with 5 GD steps", lsa5, against: [gd5.file],
                    needs: gd5.needs),
            ]))

    // Figure 4: sine regression, the trained TF against the meta-learned MLP + one GD step.
    let sineTF = seedsOf("sine-mlp-lsa"), sineGD = seedsOf("sine-mlp-gd")
    // (a) seed 0 of each: the same seed initialises the same embedding and MLP (Appendix A.7).
    let fits = PanelPlan(
        key: "4a-fits", title: "learned functions: initial and adjusted", kind: .drawn,
        runs: [PanelRun(label: "", arguments: ["functions", sineTF.files[0], sineGD.files[0], "--plots", "2"] + t)],
        needs: [sineTF.needs[0], sineGD.needs[0]])
    figures.append(
        FigurePlan(
            number: 4,
            title: "Figure 4: sine-wave regression, trained Transformer against a meta-learned MLP with one GD step",
            caption:
                "(a) Two evaluation tasks: the true function a·sin(x + ρ), its N = 10 context points, and for seed 0 of each "
                + "model its initial function (the prediction before the in-context step: every attention output projection P "
                + "set to 0, i.e. read out after the MLP, the same as an empty context; for MLP + GD the MLP before its GD step) "
                + "and its adjusted function (given the context). (b) Loss over training of the "
                + "MLP + LSA model (sine-mlp-lsa) and of the MLP trained through one GD step (sine-mlp-gd). (c) Their alignment per seed "
                + "(same seed: same embedding and MLP initialisation). Task settings of the authors' code (a ~ U(0.1, 0.5), phase "
                + "tied to a); the text states a ~ U(0.1, 5).",
            columns: 4,
            panels: [
                fits,
                drawn(
                    "4b-curves", "loss over training", ["curves"] + sineTF.files + sineGD.files,
                    needs: sineTF.needs + sineGD.needs),
                PanelPlan(
                    key: "4c-alignment", title: "alignment TF vs MLP + GD", kind: .table,
                    runs: zip(sineTF.seeds, zip(sineTF.files, sineGD.files)).map {
                        PanelRun(label: "seed \($0)", arguments: ["compare", $1.0, $1.1] + t)
                    },
                    needs: sineTF.needs + sineGD.needs),
            ]))

    // Figure 5: alternating tokens, copying.
    let alt = seedsOf("alternating-2")
    figures.append(
        FigurePlan(
            number: 5,
            title: "Figure 5: two attention layers on alternating tokens learn to copy, then match one GD step",
            caption:
                "(a) Loss over training of alternating-2 (first layer softmax) with the loss of one and of two GD steps. "
                + "(b) The first layer's sensitivity to a token's own, next and other input tokens over the training snapshots "
                + "(the authors' measure: gradient averaged over tasks, then the norm), with the validation loss. "
                + "(c) The same measure for the Proposition 3 construction, which copies each target next to its input (not in "
                + "the paper's figure: the reference for (b)). (d) Loss and alignment against one and two GD steps, per seed.",
            columns: 4,
            panels: [
                drawn(
                    "5a-curves", "loss over training",
                    ["curves"] + alt.files + ["--baseline", "gd:1", "--baseline", "gd:2"], needs: alt.needs),
                PanelPlan(
                    key: "5b-copying", title: "copying: sensitivity to own / next / other tokens", kind: .drawn,
                    runs: [
                        PanelRun(label: "", arguments: ["copying", alt.files[0], "--tasks", String(min(tasks, 500))])
                    ], needs: [alt.needs[0]]),
                PanelPlan(
                    key: "5c-copy-construction", title: "copying by the Proposition 3 construction", kind: .drawn,
                    runs: [
                        PanelRun(
                            label: "",
                            arguments: ["copying", zoo.construction("copy"), "--tasks", String(min(tasks, 500))])
                    ],
                    needs: [
                        Requirement(
                            path: zoo.construction("copy"),
                            make: "icl-zoo construct copy --out \(zoo.construction("copy"))")
                    ]),
                PanelPlan(
                    key: "5d-alignment", title: "against 1 and 2 GD steps", kind: .table,
                    runs: zip(alt.seeds, alt.files).flatMap { seed, file in
                        [1, 2].map {
                            PanelRun(
                                label: "seed \(seed), \($0) GD step\($0 == 1 ? "" : "s")",
                                arguments: ["compare", file, "--against", "gd", "--gd-steps", String($0)] + t)
                        }
                    }, needs: alt.needs),
            ]))

    // Figure 6: out of distribution, rows (a) 1 layer, (b) 2 recurrent layers, (c) 5 layers.
    let shifts = [
        ("input-range", "input range"), ("teacher", "teacher scale"), ("laws", "unseen input laws"),
        ("laws-teacher", "unseen laws, teacher scale"),
    ]
    var ood: [PanelPlan] = []
    for (row, models, extra, needs) in [
        ("a", [lsa1.files[0], gd1.path], [String](), [lsa1.needs[0], gd1]),
        ("b", [rec2.files[0], gdpp2.file], ["--against", "gd"], [rec2.needs[0]] + gdpp2.needs),
        ("c", [lsa5.files[0], gdpp5.file, gd5.file], [], lsa5.needs + gdpp5.needs + gd5.needs),
    ] {
        for (shift, name) in shifts {
            ood.append(
                drawn(
                    "6\(row)-\(shift)",
                    "\(row == "a" ? "1 layer" : row == "b" ? "2 recurrent layers" : "5 layers"): \(name)",
                    ["ood"] + models + ["--interpolated"] + extra + ["--shift", shift], needs: needs))
        }
    }
    figures.append(
        FigurePlan(
            number: 6,
            title: "Figure 6: out-of-distribution losses of trained stacks, GD / GD++ and their interpolation",
            caption:
                "Rows: (a) one LSA layer against one GD step, (b) two recurrent layers against GD++ (and 2 GD steps), (c) five "
                + "layers against gdpp-5 and gd-5. Columns: inputs x ~ U(−α/2, α/2), teacher scaled by α, inputs from unseen laws "
                + "(normal, exponential, Laplace) normalised to context norm α, and those laws with the teacher scaled by α.",
            columns: 4, panels: ood))

    // Figure 7: recurrent 10 layers.
    let rec10 = seedsOf("lsa-recurrent-10"), gdpp10 = one("gdpp-recurrent-10"), gd10 = one("gd-recurrent-10")
    figures.append(
        FigurePlan(
            number: 7, title: "Figure 7: one LSA layer applied ten times against ten steps of GD and GD++",
            caption:
                "lsa-recurrent-10 against gdpp-recurrent-10 and gd-recurrent-10: loss over training, alignment per seed with "
                + "GD++ and with GD, and the out-of-distribution losses with the interpolation between the LSA and GD++.",
            columns: 4,
            panels: [
                drawn(
                    "7a-curves", "loss over training",
                    ["curves"] + rec10.files + ["--baseline", gdpp10.file, "--baseline", gd10.file],
                    needs: rec10.needs + gdpp10.needs + gd10.needs),
                alignment(
                    "7b-alignment-gdpp", "alignment with GD++", rec10, against: [gdpp10.file], needs: gdpp10.needs),
                alignment("7c-alignment-gd", "alignment with GD", rec10, against: [gd10.file], needs: gd10.needs),
                drawn(
                    "7d-ood-inputs", "OOD: input range",
                    ["ood", rec10.files[0], gdpp10.file, gd10.file, "--interpolated", "--shift", "input-range"],
                    needs: [rec10.needs[0]] + gdpp10.needs + gd10.needs),
                drawn(
                    "7e-ood-teacher", "OOD: teacher scale",
                    ["ood", rec10.files[0], gdpp10.file, gd10.file, "--interpolated", "--shift", "teacher"],
                    needs: [rec10.needs[0]] + gdpp10.needs + gd10.needs),
            ]))

    // Figure 8: 12 blocks of 4-head LSA + MLP against 12 steps of GD++.
    let mlp12 = seedsOf("mlp-12-4head", 0...0), gdpp12 = one("gdpp-12")
    figures.append(
        FigurePlan(
            number: 8,
            title: "Figure 8: twelve blocks of 4-head linear attention with MLPs against twelve steps of GD++",
            caption:
                "mlp-12-4head against gdpp-12: loss over training with the GD++ loss, alignment, and out-of-distribution losses "
                + "(no interpolation: the model has MLPs and several heads).",
            columns: 5,
            panels: [
                drawn(
                    "8a-curves", "loss over training", ["curves"] + mlp12.files + ["--baseline", gdpp12.file],
                    needs: mlp12.needs + gdpp12.needs),
                alignment("8b-alignment", "alignment with GD++", mlp12, against: [gdpp12.file], needs: gdpp12.needs),
                drawn(
                    "8c-ood-inputs", "OOD: input range",
                    ["ood", mlp12.files[0], gdpp12.file, "--shift", "input-range"], needs: mlp12.needs + gdpp12.needs),
                drawn(
                    "8d-ood-teacher", "OOD: teacher scale", ["ood", mlp12.files[0], gdpp12.file, "--shift", "teacher"],
                    needs: mlp12.needs + gdpp12.needs),
            ]))

    // Figure 9: weight products; the paper's right panels are a 3-layer recurrent model (lsa-recurrent-3),
    // drawn from lsa-recurrent-2 when only that one is in the zoo.
    let useThree =
        FileManager.default.fileExists(atPath: zoo.path("lsa-recurrent-3", seed: 0))
        || !FileManager.default.fileExists(atPath: rec2.files[0])
    let deepName = useThree ? "lsa-recurrent-3" : "lsa-recurrent-2", deepLayers = useThree ? 3 : 2
    let deep = one(deepName)
    figures.append(
        FigurePlan(
            number: 9,
            title: "Figure 9: the weight products W_KQ and W_PV of trained layers and of the GD construction",
            caption:
                "(a) One trained LSA layer (lsa-1 seed 0), scale-corrected (Appendix A.3). (b) The GD construction of Proposition 1. "
                + "(c) The trained recurrent \(deepLayers)-layer LSA (\(deepName) seed 0), scale-corrected: the x-block of W_PV is a "
                + "curvature correction, GD++'s −γ I (the paper shows a 3-layer recurrent model).",
            columns: 3,
            panels: [
                drawn(
                    "9a-lsa-1", "1 layer, scale-corrected", ["heatmap", lsa1.files[0], "--scale-correct"],
                    needs: [lsa1.needs[0]]),
                drawn("9b-gd", "GD construction", ["heatmap", gd1.path], needs: [gd1]),
                drawn(
                    "9c-recurrent", "\(deepLayers) recurrent layers, scale-corrected",
                    ["heatmap", deep.file, "--scale-correct"], needs: deep.needs),
            ]))

    // Figure 10: rollout with dampening.
    figures.append(
        FigurePlan(
            number: 10,
            title:
                "Figure 10: one trained layer applied repeatedly with dampening λ, against GD with learning rate λ·η",
            caption:
                "lsa-1 seed 0 and the GD construction applied 50 times with y ← y + λ·Δy, for λ = 1, 0.9, 0.75 and 0.5 "
                + "(λ = 0.75 is Figure 1, right).",
            columns: 4,
            panels: ["1", "0.9", "0.75", "0.5"].map { lambda in
                drawn(
                    "10-lambda-\(lambda)", "λ = \(lambda)",
                    ["rollout", lsa1.files[0], gd1.path, "--steps", "50", "--lambda", lambda],
                    needs: [lsa1.needs[0], gd1])
            }))

    // Figure 11: softmax heads summed.
    let soft1 = seedsOf("softmax-1"), soft2 = seedsOf("softmax-2head")
    figures.append(
        FigurePlan(
            number: 11, title: "Figure 11: the two heads of a softmax layer correct each other",
            caption:
                "softmax-2head seed 0: each head's W_KQ scaled by its η_h = W_PV,h[−1,−1], and their sum (heatmap --sum-heads).",
            columns: 1,
            panels: [
                drawn(
                    "11-sum-heads", "per head and summed", ["heatmap", soft2.files[0], "--sum-heads"],
                    needs: [soft2.needs[0]])
            ]))

    // Figure 12: softmax, one head against two.
    figures.append(
        FigurePlan(
            number: 12, title: "Figure 12: one- and two-head softmax attention against one step of GD",
            caption:
                "(a) Loss over training of softmax-1 and softmax-2head with one GD step. (b, c) Alignment with one GD step, per seed. "
                + "(d, e) Out-of-distribution losses of seed 0 of each, with GD.",
            columns: 4,
            panels: [
                drawn(
                    "12a-curves", "loss over training", ["curves"] + soft1.files + soft2.files + ["--baseline", "gd"],
                    needs: soft1.needs + soft2.needs),
                alignment("12b-alignment-1head", "1 head: alignment with GD", soft1, against: ["--against", "gd"]),
                alignment("12c-alignment-2head", "2 heads: alignment with GD", soft2, against: ["--against", "gd"]),
                drawn(
                    "12d-ood-inputs", "OOD: input range",
                    ["ood", soft1.files[0], soft2.files[0], "--against", "gd", "--shift", "input-range"],
                    needs: [soft1.needs[0], soft2.needs[0]]),
                drawn(
                    "12e-ood-teacher", "OOD: teacher scale",
                    ["ood", soft1.files[0], soft2.files[0], "--against", "gd", "--shift", "teacher"],
                    needs: [soft1.needs[0], soft2.needs[0]]),
            ]))

    // Figure 13: spectra and GD++'s γ.
    let gammaSources = ["gdpp-recurrent-2", "gdpp-recurrent-2-n25", "gdpp-recurrent-2-n50", "gdpp-recurrent-2-n100"]
        .map { zoo.path($0, seed: 0) }.filter { FileManager.default.fileExists(atPath: $0) }
    let gdppFits = ["gdpp-recurrent-2", "gdpp-recurrent-2-n25", "gdpp-recurrent-2-n50", "gdpp-recurrent-2-n100"]
        .flatMap { name in (0...9).map { zoo.path(name, seed: $0) } }.filter {
            FileManager.default.fileExists(atPath: $0)
        }
    figures.append(
        FigurePlan(
            number: 13, title: "Figure 13: eigenvalues of X Xᵀ and how GD++ reshapes them",
            caption:
                "(a) The GD++ map of the eigenvalues, the worst-case and the median condition number against γ for N = 10, 25, 50, "
                + "100, with γ read from seed 0 of the GD++ fits gdpp-recurrent-2(-n25, -n50, -n100) where present. (b) γ read from the "
                + "weights of every seed of the trained recurrent 2-layer LSA (N = 10) and of the GD++ fits, mean ± std per N.",
            columns: 1,
            panels: [
                drawn(
                    "13a-spectrum", "spectra and condition numbers", ["spectrum"] + gammaSources,
                    needs: gammaSources.map { Requirement(path: $0, make: "") }),  // present files only: for the shortened-run notes
                PanelPlan(
                    key: "13b-gamma", title: "γ read from the weights, per N", kind: .table,
                    runs: [
                        PanelRun(
                            label: "trained LSA",
                            arguments: ["spectrum"] + rec2.files + ["--context-sizes", "10", "--gamma-points", "2"] + t)
                    ]
                        + (gdppFits.isEmpty
                            ? []
                            : [
                                PanelRun(
                                    label: "GD++ fit",
                                    arguments: ["spectrum"] + gdppFits + [
                                        "--context-sizes", "10", "--gamma-points", "2",
                                    ] + t)
                            ]),
                    needs: rec2.needs + gdppFits.map { Requirement(path: $0, make: "") }),
            ]))

    // Figure 14: LayerNorm.
    let ln1 = seedsOf("layernorm-1"), ln2 = seedsOf("layernorm-2")
    figures.append(
        FigurePlan(
            number: 14, title: "Figure 14: linear attention with LayerNorm against GD and GD++",
            caption:
                "Row (a): layernorm-1 against one GD step: loss, alignment per seed, OOD input range and teacher scale. Row (b): "
                + "layernorm-2 against two GD steps and GD++ (gdpp-recurrent-2).",
            columns: 5,
            panels: [
                drawn("14a-curves", "1 layer: loss", ["curves"] + ln1.files + ["--baseline", "gd"], needs: ln1.needs),
                alignment("14a-alignment", "1 layer: alignment with GD", ln1, against: ["--against", "gd"]),
                drawn(
                    "14a-ood-inputs", "1 layer: OOD input range",
                    ["ood", ln1.files[0], "--against", "gd", "--shift", "input-range"], needs: [ln1.needs[0]]),
                drawn(
                    "14a-ood-teacher", "1 layer: OOD teacher",
                    ["ood", ln1.files[0], "--against", "gd", "--shift", "teacher"], needs: [ln1.needs[0]]),
                drawn(
                    "14b-curves", "2 layers: loss",
                    ["curves"] + ln2.files + ["--baseline", "gd", "--baseline", gdpp2.file],
                    needs: ln2.needs + gdpp2.needs),
                alignment(
                    "14b-alignment", "2 layers: alignment with GD++", ln2, against: [gdpp2.file], needs: gdpp2.needs),
                drawn(
                    "14b-ood-inputs", "2 layers: OOD input range",
                    [
                        "ood", ln2.files[0], "--against", "gd", "--against", "gdpp:" + gdpp2.file, "--shift",
                        "input-range",
                    ],
                    needs: [ln2.needs[0]] + gdpp2.needs),
                drawn(
                    "14b-ood-teacher", "2 layers: OOD teacher",
                    ["ood", ln2.files[0], "--against", "gd", "--against", "gdpp:" + gdpp2.file, "--shift", "teacher"],
                    needs: [ln2.needs[0]] + gdpp2.needs),
            ]))

    // Figure 15: phase transitions over 10 seeds, and (when trained) one LSA + MLP block on 8192 fixed tasks.
    let ten1 = seedsOf("lsa-1", 0...9), ten2 = seedsOf("lsa-1-2head", 0...9)
    var phase = [
        drawn("15a-one-head", "1 head, 10 seeds", ["curves"] + ten1.files + ["--baseline", "gd"], needs: ten1.needs),
        drawn("15b-two-heads", "2 heads, 10 seeds", ["curves"] + ten2.files + ["--baseline", "gd"], needs: ten2.needs),
    ]
    if let grok = grokkingRecipe(in: zoo) {
        let g = seedsOf(grok)
        phase.append(
            drawn(
                "15c-block-8192", "LSA + MLP block, 8192 tasks", ["curves"] + g.files + ["--baseline", "gd"],
                needs: g.needs))
    }
    figures.append(
        FigurePlan(
            number: 15, title: "Figure 15: phase transitions during training",
            caption:
                "(a) lsa-1 over 10 seeds, (b) lsa-1-2head over 10 seeds, each with one GD step; (c) one block of LSA and MLP "
                + "trained on 8192 fixed tasks, train and test loss (shown when its recipe's checkpoints are in the zoo).",
            columns: 4, panels: phase))

    // Figure 16: fixed training sets.
    var fixed: [PanelPlan] = []
    for size in [128, 512, 2048, 8192] {
        let f = seedsOf("lsa-1-fixed-\(size)")
        fixed.append(
            drawn(
                "16-\(size)-curves", "B = \(size): loss", ["curves"] + f.files + ["--baseline", "gd"], needs: f.needs))
        fixed.append(
            alignment("16-\(size)-alignment", "B = \(size): alignment with GD", f, against: ["--against", "gd"]))
        fixed.append(
            drawn(
                "16-\(size)-ood", "B = \(size): OOD input range",
                ["ood", f.files[0], gd1.path, "--interpolated", "--shift", "input-range"],
                needs: [f.needs[0], gd1]))
    }
    figures.append(
        FigurePlan(
            number: 16, title: "Figure 16: one LSA layer trained on a fixed set of B tasks",
            caption:
                "Rows B = 128, 512, 2048, 8192 (lsa-1-fixed-B): training and validation loss with one GD step, alignment with "
                + "one GD step per seed, and the out-of-distribution loss with the interpolation to the GD construction.",
            columns: 4, panels: fixed))
    return figures
}

/// Figure 2 (centre right): the problem sizes N = N_x and their recipes (lsa-1 is N = 10). The paper
/// does not list its values; four from 5 to 20 span the sizes it trains elsewhere.
let problemSizes = [5, 10, 15, 20]
let problemSizeRecipes = problemSizes.map { $0 == 10 ? "lsa-1" : "lsa-1-n\($0)" }

/// The recipe of Figure 15's right panel (one LSA + MLP block on 8192 fixed tasks) if the zoo has
/// it: a folder whose name mentions 8192 and an MLP block, or grokking.
func grokkingRecipe(in zoo: ZooFolder) -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: zoo.root)) ?? []
    return names.sorted().first { name in
        name.contains("grok") || (name.contains("8192") && (name.contains("mlp") || name.contains("block")))
    }
}
