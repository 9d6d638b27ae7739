import Foundation
import ICLHDF5
import ICLModels
import ICLTraining

extension Checkpoint {
    // MARK: Writing

    /// Writes the checkpoint through a temporary file in the same folder, renamed at the end, so a
    /// crash or an error never leaves a half-written file and never damages an existing one.
    public func write(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", Checkpoint.format, at: "/")
            try file.setAttribute("format_version", Checkpoint.formatVersion, at: "/")
            try file.setAttribute("software_version", softwareVersion, at: "/")
            try file.setAttribute("created_utc", createdUTC, at: "/")
            try file.setAttribute("recipe", recipe.json(), at: "/")
            try writeModel(file)
            switch origin {
            case .trained(let record): try writeTraining(file, record)
            case .constructed(let record): try writeConstruction(file, record)
            }
        }
    }

    private func writeModel(_ file: HDF5File) throws {
        try file.createGroup("/model")
        let c = config
        try file.setAttribute("architecture", c.architecture.rawValue, at: "/model")
        for (name, value) in [("layers", c.layers), ("heads", c.heads), ("recurrent", c.recurrent ? 1 : 0),
                              ("token_dim", c.tokenDim), ("input_dim", c.inputDim), ("output_dim", c.outputDim),
                              ("context_size", c.contextSize), ("key_dim", c.keyDim)] {
            try file.setAttribute(name, Int64(value), at: "/model")
        }
        try file.setAttribute("clip_tokens", c.clipTokens ?? 0, at: "/model")
        try file.setAttribute("attention", c.attention.map(\.rawValue).joined(separator: ","), at: "/model")
        for (name, value) in [("layer_norm", c.layerNorm ? 1 : 0), ("mlp_hidden", c.mlpHidden), ("mlp_first", c.mlpFirst ? 1 : 0),
                              ("embedding_dim", c.embeddingDim), ("positional_dim", c.positionalDim), ("model_dim", c.modelDim)] {
            try file.setAttribute(name, Int64(value), at: "/model")
        }
        try file.setAttribute("token_layout", c.tokenLayout.rawValue, at: "/model")
        try file.setAttribute("fixed_eta", c.fixedEta, at: "/model")
        for entry in layout.entries {
            try file.write(Array(parameters[entry.range]), shape: entry.shape, at: "/model/" + entry.name)
        }
    }

    private func writeTraining(_ file: HDF5File, _ record: TrainingRecord) throws {
        try file.createGroup("/training")
        let t = recipe.training
        try file.setAttribute("seed", Int64(bitPattern: t.seed), at: "/training")
        try file.setAttribute("steps", Int64(t.steps), at: "/training")
        try file.setAttribute("batch_size", Int64(t.batchSize), at: "/training")
        try file.setAttribute("optimizer", "adam", at: "/training")
        for (name, value) in [("learning_rate", recipe.learningRate), ("adam_beta1", t.adamBeta1),
                              ("adam_beta2", t.adamBeta2), ("adam_epsilon", t.adamEpsilon),
                              ("clip_norm", recipe.clipNorm), ("init_scale", recipe.initScale),
                              ("seconds", record.seconds)] {
            try file.setAttribute(name, value, at: "/training")
        }
        for snapshot in record.snapshots {
            let group = "/snapshots/step_\(snapshot.step)"
            try file.createGroup(group)
            try file.setAttribute("step", Int64(snapshot.step), at: group)
            for entry in layout.entries {
                try file.write(Array(snapshot.parameters[entry.range]), shape: entry.shape, at: group + "/" + entry.name)
            }
        }
        let h = record.history
        try file.write(h.step, shape: [h.step.count], at: "/training/step")
        try file.write(h.trainLoss, shape: [h.trainLoss.count], at: "/training/train_loss")
        try file.write(h.validationLoss, shape: [h.validationLoss.count], at: "/training/validation_loss")
    }

    private func writeConstruction(_ file: HDF5File, _ record: ConstructionRecord) throws {
        try file.createGroup("/construction")
        try file.setAttribute("method", record.method, at: "/construction")
        try file.write(record.etas, shape: [record.etas.count], at: "/construction/eta")
        if !record.gammas.isEmpty { try file.write(record.gammas, shape: [record.gammas.count], at: "/construction/gamma") }
        if !record.lineSearchEtas.isEmpty {
            try file.createGroup("/construction/line_search")
            try file.setAttribute("tasks", record.lineSearchTasks, at: "/construction/line_search")
            try file.setAttribute("seed", record.lineSearchSeed, at: "/construction/line_search")
            try file.write(record.lineSearchEtas, shape: [record.lineSearchEtas.count], at: "/construction/line_search/eta")
            try file.write(record.lineSearchLosses, shape: [record.lineSearchLosses.count], at: "/construction/line_search/loss")
        }
    }

    // MARK: Reading

    /// Loads a checkpoint strictly: a wrong `format`, a newer `format_version`, or a missing, extra or
    /// mis-shaped dataset under `/model` is an error naming the file and the path inside it.
    public static func read(_ path: String) throws -> Checkpoint {
        let file = try HDF5File.open(path)
        defer { file.close() }
        func fail(_ where_: String, _ message: String) -> CheckpointError {
            CheckpointError(file: path, path: where_, message: message)
        }
        let format: String
        do { format = try file.stringAttribute("format", at: "/") } catch {
            throw fail("/", "not an icl-zoo checkpoint (no 'format' attribute)")
        }
        guard format == Checkpoint.format else {
            throw fail("/", "not an icl-zoo checkpoint: format is '\(format)', expected '\(Checkpoint.format)'")
        }
        let version = try file.intAttribute("format_version", at: "/")
        guard version <= Checkpoint.formatVersion, version >= 1 else {
            throw fail("/", "format_version \(version) is not supported (this is icl-zoo \(SoftwareVersion.current), which reads version \(Checkpoint.formatVersion)); upgrade icl-zoo")
        }
        let recipe: Recipe
        do { recipe = try Recipe.decode(Data(try file.stringAttribute("recipe", at: "/").utf8)) } catch let error as RecipeError {
            throw fail("/", "attribute 'recipe': \(error.message)")
        }
        let config = try readConfig(file, fail: fail)
        let layout = AttentionStack(config).layout
        let parameters = try readParameters(file, under: "/model", layout: layout, config: config, fail: fail)
        let origin: Origin
        if file.isGroup("/training") {
            var h = TrainingHistory()
            h.step = try file.readInts("/training/step")
            h.trainLoss = try file.readDoubles("/training/train_loss")
            h.validationLoss = try file.readDoubles("/training/validation_loss")
            guard h.trainLoss.count == h.step.count, h.validationLoss.count == h.step.count else {
                throw fail("/training", "step, train_loss and validation_loss have different lengths")
            }
            var snapshots: [Snapshot] = []
            if file.isGroup("/snapshots") {
                for name in try file.children(of: "/snapshots") {
                    let group = "/snapshots/" + name
                    let step = Int(try file.intAttribute("step", at: group))
                    snapshots.append(Snapshot(step: step, parameters: try readParameters(file, under: group, layout: layout,
                                                                                         config: config, fail: fail)))
                }
                snapshots.sort { $0.step < $1.step }
            }
            origin = .trained(TrainingRecord(history: h, seconds: try file.doubleAttribute("seconds", at: "/training"),
                                             snapshots: snapshots))
        } else if file.isGroup("/construction") {
            var record = ConstructionRecord(method: try file.stringAttribute("method", at: "/construction"),
                                            etas: try file.readDoubles("/construction/eta"),
                                            gammas: file.isDataset("/construction/gamma") ? try file.readDoubles("/construction/gamma") : [])
            if file.isGroup("/construction/line_search") {
                record.lineSearchEtas = try file.readDoubles("/construction/line_search/eta")
                record.lineSearchLosses = try file.readDoubles("/construction/line_search/loss")
                record.lineSearchTasks = try file.intAttribute("tasks", at: "/construction/line_search")
                record.lineSearchSeed = try file.intAttribute("seed", at: "/construction/line_search")
            }
            origin = .constructed(record)
        } else {
            throw fail("/", "neither /training nor /construction: the file does not say where its weights came from")
        }
        var checkpoint = Checkpoint(config: config, parameters: parameters, recipe: recipe, origin: origin)
        checkpoint.softwareVersion = try file.stringAttribute("software_version", at: "/")
        checkpoint.createdUTC = try file.stringAttribute("created_utc", at: "/")
        return checkpoint
    }

    private static func readConfig(_ file: HDF5File, fail: (String, String) -> CheckpointError) throws -> ModelConfig {
        guard file.isGroup("/model") else { throw fail("/model", "missing group") }
        let raw = try file.stringAttribute("architecture", at: "/model")
        guard let architecture = ModelConfig.Architecture(rawValue: raw) else {
            throw fail("/model", "unknown architecture '\(raw)'")
        }
        func int(_ name: String) throws -> Int { Int(try file.intAttribute(name, at: "/model")) }
        let clip = try file.doubleAttribute("clip_tokens", at: "/model")
        var attention: [ModelConfig.AttentionKind] = []
        for name in try file.stringAttribute("attention", at: "/model").split(separator: ",") {
            guard let kind = ModelConfig.AttentionKind(rawValue: String(name)) else {
                throw fail("/model", "attribute 'attention': unknown attention '\(name)'")
            }
            attention.append(kind)
        }
        let layoutName = try file.stringAttribute("token_layout", at: "/model")
        guard let tokenLayout = ModelConfig.TokenLayout(rawValue: layoutName) else {
            throw fail("/model", "attribute 'token_layout': unknown layout '\(layoutName)'")
        }
        let config = ModelConfig(architecture: architecture, layers: try int("layers"), heads: try int("heads"),
                                 recurrent: try int("recurrent") != 0, inputDim: try int("input_dim"),
                                 outputDim: try int("output_dim"), contextSize: try int("context_size"),
                                 keyDim: try int("key_dim"), clipTokens: clip > 0 ? clip : nil, attention: attention,
                                 layerNorm: try int("layer_norm") != 0, mlpHidden: try int("mlp_hidden"),
                                 mlpFirst: try int("mlp_first") != 0, embeddingDim: try int("embedding_dim"),
                                 tokenLayout: tokenLayout, positionalDim: try int("positional_dim"),
                                 fixedEta: try file.doubleAttribute("fixed_eta", at: "/model"))
        if let problem = config.problems().first { throw fail("/model", problem) }
        for (name, expected) in [("token_dim", config.tokenDim), ("model_dim", config.modelDim)] {
            let found = try int(name)
            guard found == expected else { throw fail("/model", "\(name) is \(found), but the other attributes make it \(expected)") }
        }
        return config
    }

    /// The parameters stored under `group` in the layout's paths. Strict: every dataset below the
    /// group must be one the layout names, every named one must be there with its shape, all finite.
    private static func readParameters(_ file: HDF5File, under group: String, layout: ParameterLayout, config: ModelConfig,
                                       fail: (String, String) -> CheckpointError) throws -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.count)
        let expected = Set(layout.entries.map { group + "/" + $0.name })
        for found in try datasets(file, under: group) where !expected.contains(found) {
            throw fail(found, "unexpected dataset for a \(config.architecture.rawValue) model with \(config.parameterLayers) parameter layer(s) and \(config.heads) head(s)")
        }
        for entry in layout.entries {
            let p = group + "/" + entry.name
            guard file.isDataset(p) else { throw fail(p, "missing dataset") }
            let shape = try file.shape(of: p)
            guard shape == entry.shape else { throw fail(p, "has shape \(shape), expected \(entry.shape)") }
            let values = try file.readFloats(p)
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail(p, "entry \(bad) is \(values[bad]), not a finite number") }
            parameters.replaceSubrange(entry.range, with: values)
        }
        return parameters
    }

    /// All dataset paths below `group`, depth first.
    private static func datasets(_ file: HDF5File, under group: String) throws -> [String] {
        var out: [String] = []
        for name in try file.children(of: group) {
            let p = group + "/" + name
            if file.isDataset(p) { out.append(p) } else if file.isGroup(p) { out += try datasets(file, under: p) }
        }
        return out
    }
}
