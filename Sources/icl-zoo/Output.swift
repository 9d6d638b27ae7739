import Foundation
import ICLCheckpoint
import ICLTraining

/// The checkpoint one run will write, checked before its first step: the folder exists (created if
/// missing) and is writable, the path is not a folder, and `<checkpoint>.lock` is held until the run
/// ends (with flock: the kernel releases it when a trainer dies, so a killed one never blocks the
/// next, which takes over the file it left). Beside it: `<checkpoint>.state`,
/// the saved run, and the hidden temporary files of atomic writes, which killed writers leave and
/// the next trainer of the same checkpoint removes.
final class Output {
    let checkpoint: String
    var state: String { SavedRun.path(for: checkpoint) }
    var lock: String { checkpoint + ".lock" }
    private var lockDescriptor: Int32 = -1

    init(checkpoint: String) throws {
        self.checkpoint = checkpoint
        var status = stat()
        if stat(checkpoint, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw UserError(
                "\(checkpoint): \(status.st_mode & S_IFMT == S_IFDIR ? "is a folder" : "is not a regular file"), not a checkpoint file"
            )
        }
        let folder = (checkpoint as NSString).deletingLastPathComponent
        do { try makeFolders(for: checkpoint) } catch let error as CheckpointError {
            throw UserError(error.description)
        }
        try takeLock()
        removeStaleTemporaries(in: folder.isEmpty ? "." : folder)
    }

    deinit { release() }

    /// What to do with this output, given what is already there.
    enum Plan {
        case start
        case resume(TrainingState)
        /// The checkpoint exists with the same recipe and seed.
        case finished
    }

    /// `recipe` is resolved. Without `--resume` or `--force`, an existing checkpoint or state is refused.
    func plan(for recipe: Recipe, resume: Bool, force: Bool) throws -> Plan {
        let hasState = FileManager.default.fileExists(atPath: state)
        let hasCheckpoint = FileManager.default.fileExists(atPath: checkpoint)
        if force {
            if hasState { try remove(state) }
            return .start
        }
        if resume {
            // A state means the run is unfinished (a finished run removes it), even beside a checkpoint.
            if hasState {
                let saved: SavedRun
                do { saved = try SavedRun.read(state) } catch {
                    throw UserError("\(error); --force discards it and starts over")
                }
                let differences = saved.recipe.differences(from: recipe)
                guard differences.isEmpty else {
                    throw UserError(
                        "\(state): saved by a run with another recipe or seed (saved vs now: \(differences.joined(separator: "; "))); --force discards it"
                    )
                }
                if saved.softwareVersion != SoftwareVersion.current {
                    FileHandle.standardError.write(
                        Data(
                            "note: \(state) was saved by icl-zoo \(saved.softwareVersion), continued by \(SoftwareVersion.current)\n"
                                .utf8))
                }
                return .resume(saved.state)
            }
            if hasCheckpoint {
                let existing: Checkpoint
                do { existing = try Checkpoint.read(checkpoint) } catch {
                    throw UserError("\(error); --force replaces it")
                }
                let differences = existing.recipe.differences(from: recipe)
                guard differences.isEmpty, existing.history != nil else {
                    throw UserError(
                        "\(checkpoint): exists, trained with another recipe or seed (stored vs now: \(differences.joined(separator: "; "))); --force replaces it"
                    )
                }
                return .finished
            }
            return .start
        }
        if hasState {
            throw UserError(
                "\(state): an interrupted run of this model is saved here; --resume continues it, --force discards it")
        }
        if hasCheckpoint {
            throw UserError(
                "\(checkpoint): exists; --force replaces it, --resume skips it when its recipe and seed match")
        }
        return .start
    }

    /// After a divergence: keeps the last good state for inspection and says where it is.
    func afterDivergence(_ error: TrainingDiverged, recipe: Recipe) -> String {
        var kept =
            FileManager.default.fileExists(atPath: state) ? "the last saved state is in \(state)" : "no state was saved"
        if let good = error.lastGoodState {
            do {
                try SavedRun(recipe: recipe, state: good).write(to: state)
                kept = "the last good state (step \(good.step)) is in \(state)"
            } catch {
                kept += " (the last good state could not be saved: \(error))"
            }
        }
        return "no checkpoint written (\(checkpoint) untouched); \(kept)"
    }

    /// The checkpoint is written: the state goes, the lock is released.
    func finish() {
        unlink(state)
        release()
    }

    // MARK: File system

    /// Holds `<checkpoint>.lock` with flock. The file may have been removed and re-created by the
    /// trainer that held it before, so the lock counts only if the path still names the locked file.
    private func takeLock() throws {
        for _ in 0..<5 {
            let descriptor = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw UserError("\(checkpoint): cannot create its lock \(lock): \(String(cString: strerror(errno)))")
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                throw UserError("\(checkpoint): another icl-zoo train is writing it (it holds \(lock))")
            }
            var held = stat(), named = stat()
            if fstat(descriptor, &held) == 0, stat(lock, &named) == 0, held.st_ino == named.st_ino,
                held.st_dev == named.st_dev
            {
                lockDescriptor = descriptor
                return
            }
            close(descriptor)
        }
        throw UserError("\(checkpoint): cannot take its lock \(lock): it keeps changing")
    }

    private func release() {
        guard lockDescriptor >= 0 else { return }
        unlink(lock)
        close(lockDescriptor)
        lockDescriptor = -1
    }

    /// `.<name>.tmp-…` and `.<name>.state.tmp-…`: the temporary files of this checkpoint's writers.
    /// With the lock held no other writer of it runs, so any there is left by a killed one.
    private func removeStaleTemporaries(in folder: String) {
        let name = (checkpoint as NSString).lastPathComponent
        let stale =
            (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter {
                $0.hasPrefix(".\(name).tmp-") || $0.hasPrefix(".\(name).state.tmp-")
            } ?? []
        for file in stale.sorted() where unlink(folder + "/" + file) == 0 {
            FileHandle.standardError.write(
                Data("removed \(folder)/\(file) (a temporary file left by a killed writer)\n".utf8))
        }
    }

    private func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw UserError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
