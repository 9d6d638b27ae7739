import Foundation
import ICLHDF5
import ICLModels
import ICLRecipe

extension Checkpoint {
    // MARK: Writing

    /// Writes the checkpoint through a temporary file in the same folder, renamed at the end, so a
    /// crash or an error never leaves a half-written file and never damages an existing one.
    public func write(to path: String) throws {
        try makeFolders(for: path)
        try HDF5File.writeAtomically(to: path) { file in
            file.checksums = true
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
        for field in ModelConfig.storedFields where field.isWritten(config) {
            try file.setAttribute(field.name, field.attribute(config), at: "/model")
        }
        for (name, value) in [("token_dim", config.tokenDim), ("model_dim", config.modelDim)] {
            try file.setAttribute(name, Int64(value), at: "/model")
        }
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
        try file.setAttribute("optimizer", t.optimizer.rawValue, at: "/training")
        for (name, value) in [
            ("learning_rate", recipe.learningRate), ("adam_beta1", t.adamBeta1),
            ("adam_beta2", t.adamBeta2), ("adam_epsilon", t.adamEpsilon),
            ("clip_norm", recipe.clipNorm), ("init_scale", recipe.initScale),
            ("seconds", record.seconds),
        ] {
            try file.setAttribute(name, value, at: "/training")
        }
        for snapshot in record.snapshots {
            let group = "/snapshots/step_\(snapshot.step)"
            try file.createGroup(group)
            try file.setAttribute("step", Int64(snapshot.step), at: group)
            for entry in layout.entries {
                try file.write(
                    Array(snapshot.parameters[entry.range]), shape: entry.shape, at: group + "/" + entry.name)
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
        if !record.gammas.isEmpty {
            try file.write(record.gammas, shape: [record.gammas.count], at: "/construction/gamma")
        }
        if !record.lineSearchEtas.isEmpty {
            try file.createGroup("/construction/line_search")
            try file.setAttribute("tasks", record.lineSearchTasks, at: "/construction/line_search")
            try file.setAttribute("seed", record.lineSearchSeed, at: "/construction/line_search")
            try file.write(
                record.lineSearchEtas, shape: [record.lineSearchEtas.count], at: "/construction/line_search/eta")
            try file.write(
                record.lineSearchLosses, shape: [record.lineSearchLosses.count], at: "/construction/line_search/loss")
        }
    }

    // MARK: Reading

    /// Loads a checkpoint strictly: a wrong `format`, a newer `format_version`, a file that is not a
    /// plain tree of groups and datasets, a size beyond `Limits`, a missing, extra or mis-shaped
    /// dataset under `/model`, a failed checksum (version 2), a non-finite weight or loss, or a recipe
    /// that contradicts `/model` or `/training` is an error naming the file and the path inside it.
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
            throw fail(
                "/",
                "format_version \(version) is not supported (this is icl-zoo \(SoftwareVersion.current), which reads versions 1 to \(Checkpoint.formatVersion)); upgrade icl-zoo"
            )
        }
        try file.requirePlainTree()
        let recipe: Recipe
        do { recipe = try Recipe.decode(Data(try file.stringAttribute("recipe", at: "/").utf8)) } catch let error
            as RecipeError
        {
            throw fail("/", "attribute 'recipe': \(error.message)")
        }
        let config = try readConfig(file, onto: recipe.modelConfig, fail: fail)
        try requireAgreement(recipe.resolved().modelConfig, config, fail: fail)
        let layout = AttentionStack(config).layout
        // Version 2 checksums every dataset; version 1 had none.
        let checked = version >= 2 ? file : nil
        let parameters = try readParameters(
            file, under: "/model", layout: layout, config: config, checked: checked, fail: fail)
        let origin: Origin
        if file.isGroup("/training") {
            origin = .trained(
                try readTraining(file, recipe: recipe, layout: layout, config: config, checked: checked, fail: fail))
        } else if file.isGroup("/construction") {
            func doubles(_ p: String) throws -> [Double] {
                try readFinite(file, p, limit: Limits.curveRecords, checked: checked, fail: fail)
            }
            var record = ConstructionRecord(
                method: try file.stringAttribute("method", at: "/construction"),
                etas: try doubles("/construction/eta"),
                gammas: file.isDataset("/construction/gamma") ? try doubles("/construction/gamma") : [])
            if file.isGroup("/construction/line_search") {
                record.lineSearchEtas = try doubles("/construction/line_search/eta")
                record.lineSearchLosses = try doubles("/construction/line_search/loss")
                record.lineSearchTasks = try file.intAttribute("tasks", at: "/construction/line_search")
                record.lineSearchSeed = try file.intAttribute("seed", at: "/construction/line_search")
                guard record.lineSearchEtas.count == record.lineSearchLosses.count else {
                    throw fail("/construction/line_search", "eta and loss have different lengths")
                }
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

    /// `/training` and `/snapshots`: the attributes must be the recipe's; the curve at most one record
    /// per step, at increasing steps within the run, finite; each snapshot at a step within the run.
    private static func readTraining(
        _ file: HDF5File, recipe: Recipe, layout: ParameterLayout, config: ModelConfig,
        checked: HDF5File?, fail: (String, String) -> CheckpointError
    ) throws -> TrainingRecord {
        let t = recipe.training
        for (name, expected) in [
            ("seed", Int64(bitPattern: t.seed)), ("steps", Int64(t.steps)), ("batch_size", Int64(t.batchSize)),
        ] {
            let found = try file.intAttribute(name, at: "/training")
            guard found == expected else {
                throw fail("/training", "attribute '\(name)' is \(found), but the recipe says \(expected)")
            }
        }
        for (name, expected) in [
            ("learning_rate", recipe.learningRate), ("adam_beta1", t.adamBeta1), ("adam_beta2", t.adamBeta2),
            ("adam_epsilon", t.adamEpsilon), ("clip_norm", recipe.clipNorm), ("init_scale", recipe.initScale),
        ] {
            let found = try file.doubleAttribute(name, at: "/training")
            guard found == expected else {
                throw fail("/training", "attribute '\(name)' is \(found), but the recipe says \(expected)")
            }
        }
        _ = try file.stringAttribute("optimizer", at: "/training")  // a name; which ones exist is the trainer's business
        let seconds = try file.doubleAttribute("seconds", at: "/training")
        guard seconds.isFinite, seconds >= 0 else {
            throw fail("/training", "attribute 'seconds' is \(seconds), expected a time ≥ 0")
        }
        // At most one record per step (the trainer makes one at 0, every eval_every and the last).
        let records = try file.shape(of: "/training/step").first ?? 0
        let limit = min(t.steps + 1, Limits.curveRecords)
        guard records <= limit else {
            throw fail("/training/step", "has \(records) records, more than the \(limit) that \(t.steps) steps allow")
        }
        var h = TrainingHistory()
        h.step = try readCurve(file, "/training/step", count: records, checked: checked, fail: fail) {
            try file.readInts($0)
        }
        h.trainLoss = try readCurve(file, "/training/train_loss", count: records, checked: checked, fail: fail) {
            try file.readDoubles($0)
        }
        h.validationLoss = try readCurve(
            file, "/training/validation_loss", count: records, checked: checked, fail: fail
        ) { try file.readDoubles($0) }
        for (name, values) in [("train_loss", h.trainLoss), ("validation_loss", h.validationLoss)] {
            if let bad = values.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw fail("/training/" + name, "entry \(bad) is \(values[bad]), not a finite loss")
            }
        }
        guard zip(h.step, h.step.dropFirst()).allSatisfy({ $0 < $1 }),
            h.step.allSatisfy({ (0...Int64(t.steps)).contains($0) })
        else {
            throw fail(
                "/training/step",
                "is not increasing within 0 … \(t.steps) (steps: \(h.step.prefix(5).map(String.init).joined(separator: ", "))…)"
            )
        }
        var snapshots: [Snapshot] = []
        if file.isGroup("/snapshots") {
            let names = try file.children(of: "/snapshots")
            guard names.count <= limit, Double(names.count) * Double(layout.count) <= Double(Limits.snapshotValues)
            else {
                throw fail(
                    "/snapshots",
                    "holds \(names.count) snapshots, more than \(t.steps) steps or the limit of \(Limits.snapshotValues) values allow"
                )
            }
            for name in names {
                let group = "/snapshots/" + name
                let step = try file.intAttribute("step", at: group)
                guard name == "step_\(step)", (0...Int64(t.steps)).contains(step) else {
                    throw fail(
                        group, "attribute 'step' is \(step): expected the step in the name, within 0 … \(t.steps)")
                }
                snapshots.append(
                    Snapshot(
                        step: Int(step),
                        parameters: try readParameters(
                            file, under: group, layout: layout, config: config,
                            checked: checked, fail: fail)))
            }
            snapshots.sort { $0.step < $1.step }
        }
        return TrainingRecord(history: h, seconds: seconds, snapshots: snapshots)
    }

    /// A 1-D curve of exactly `count` entries, its shape checked before anything is read.
    private static func readCurve<Value>(
        _ file: HDF5File, _ path: String, count: Int, checked: HDF5File?,
        fail: (String, String) -> CheckpointError, _ read: (String) throws -> [Value]
    ) throws -> [Value] {
        let shape = try file.shape(of: path)
        guard shape == [count] else { throw fail(path, "has shape \(shape), expected [\(count)] like /training/step") }
        try requireChecksum(checked, path, fail: fail)
        return try read(path)
    }

    /// A 1-D float dataset of at most `limit` finite values.
    private static func readFinite(
        _ file: HDF5File, _ path: String, limit: Int, checked: HDF5File?,
        fail: (String, String) -> CheckpointError
    ) throws -> [Double] {
        let shape = try file.shape(of: path)
        guard shape.count == 1, shape[0] <= limit else {
            throw fail(path, "has shape \(shape), expected at most [\(limit)]")
        }
        try requireChecksum(checked, path, fail: fail)
        let values = try file.readDoubles(path)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail(path, "entry \(bad) is \(values[bad]), not a finite number")
        }
        return values
    }

    /// In a version-2 file every non-empty dataset carries a Fletcher32 checksum (HDF5 verifies it on read).
    private static func requireChecksum(_ file: HDF5File?, _ path: String, fail: (String, String) -> CheckpointError)
        throws
    {
        guard let file, try file.shape(of: path).reduce(1, *) > 0 else { return }
        guard try file.hasChecksum(path) else {
            throw fail(path, "has no checksum (format_version 2 checksums every dataset)")
        }
    }

    /// The model the recipe describes must be the one `/model` describes, field by field.
    private static func requireAgreement(
        _ fromRecipe: ModelConfig, _ stored: ModelConfig, fail: (String, String) -> CheckpointError
    ) throws {
        for field in ModelConfig.storedFields where field.attribute(fromRecipe) != field.attribute(stored) {
            let (found, expected) = (field.attribute(stored), field.attribute(fromRecipe))
            throw fail("/model", "attribute '\(field.name)' is \(found), but the recipe says \(expected)")
        }
    }

    /// `/model`'s attributes over `base` (the recipe's model, which supplies the fields a checkpoint
    /// does not store): every size within its limit before any is used, every value of its type.
    private static func readConfig(
        _ file: HDF5File, onto base: ModelConfig,
        fail: (String, String) -> CheckpointError
    ) throws -> ModelConfig {
        guard file.isGroup("/model") else { throw fail("/model", "missing group") }
        // Every size within its limit before any is used (an overflow or a huge allocation would crash).
        var sizes: [(name: String, value: Int64, limit: Int)] = [
            ("layers", 0, Limits.layers), ("heads", 0, Limits.heads),
            ("context_size", 0, Limits.contextSize),
        ]
        for name in [
            "input_dim", "output_dim", "key_dim", "mlp_hidden", "embedding_dim", "positional_dim", "token_dim",
            "model_dim",
        ] {
            sizes.append((name, 0, Limits.width))
        }
        for k in sizes.indices { sizes[k].value = try file.intAttribute(sizes[k].name, at: "/model") }
        if let problem = Limits.problems(sizes).first { throw fail("/model", "attribute " + problem) }
        var config = base
        let present = Set(try file.attributeNames(at: "/model"))
        for field in ModelConfig.storedFields {
            let value: AttributeValue
            switch field.kind {
            case _ where !present.contains(field.name) && field.defaultAttribute != nil: value = field.defaultAttribute!
            case .int: value = .int(try file.intAttribute(field.name, at: "/model"))
            case .double: value = .double(try file.doubleAttribute(field.name, at: "/model"))
            case .string: value = .string(try file.stringAttribute(field.name, at: "/model"))
            }
            do { try field.setAttribute(&config, value) } catch let error as FieldError {
                throw fail("/model", "attribute '\(field.name)' \(error.message)")
            }
        }
        if let problem = config.problems().first { throw fail("/model", problem) }
        if Limits.parameterEstimate(config) > Double(Limits.parameters) {
            throw fail(
                "/model",
                "about \(Int(Limits.parameterEstimate(config))) parameters, above the limit of \(Limits.parameters)")
        }
        for (name, expected) in [("token_dim", config.tokenDim), ("model_dim", config.modelDim)] {
            let found = Int(try file.intAttribute(name, at: "/model"))
            guard found == expected else {
                throw fail("/model", "\(name) is \(found), but the other attributes make it \(expected)")
            }
        }
        return config
    }

    /// The parameters stored under `group` in the layout's paths. Strict: every dataset below the
    /// group must be one the layout names, every named one must be there with its shape, all finite.
    private static func readParameters(
        _ file: HDF5File, under group: String, layout: ParameterLayout, config: ModelConfig,
        checked: HDF5File?, fail: (String, String) -> CheckpointError
    ) throws -> [Float] {
        var parameters = [Float](repeating: 0, count: layout.count)
        let expected = Set(layout.entries.map { group + "/" + $0.name })
        for found in try datasets(file, under: group) where !expected.contains(found) {
            throw fail(
                found,
                "unexpected dataset for a \(config.architecture.rawValue) model with \(config.parameterLayers) parameter layer(s) and \(config.heads) head(s)"
            )
        }
        for entry in layout.entries {
            let p = group + "/" + entry.name
            guard file.isDataset(p) else { throw fail(p, "missing dataset") }
            let shape = try file.shape(of: p)
            guard shape == entry.shape else { throw fail(p, "has shape \(shape), expected \(entry.shape)") }
            try requireChecksum(checked, p, fail: fail)
            let values = try file.readFloats(p)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw fail(p, "entry \(bad) is \(values[bad]), not a finite number")
            }
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

extension HDF5File {
    /// A field's value as the attribute type it is stored as.
    fileprivate func setAttribute(_ name: String, _ value: AttributeValue, at path: String) throws {
        switch value {
        case .int(let int): try setAttribute(name, int, at: path)
        case .double(let double): try setAttribute(name, double, at: path)
        case .string(let string): try setAttribute(name, string, at: path)
        }
    }
}
