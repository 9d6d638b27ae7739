import Foundation
import PackagePlugin

/// Stamps the git commit of the sources (and `.dirty` when tracked files had local changes) into
/// the module at build time, so a checkpoint records the code it was trained with, not whatever the
/// checkout holds when the binary later runs. Outside a git checkout the stamp is nil.
///
/// A build command with inputs, not a prebuild command: SwiftPM skips prebuild commands on builds
/// that do not plan the package again, so a commit with no new file kept the stamp of the build
/// before it. This one runs whenever git's HEAD or index (which every commit and checkout rewrites)
/// or any source file of the package has changed since it last ran.
@main struct GitCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated").appending(path: "GitCommit.swift")
        let sources = context.package.targets.compactMap { $0 as? SourceModuleTarget }.flatMap {
            $0.sourceFiles.map(\.url)
        }
        let inputs = (Self.gitFiles(root) + sources + [root.appending(path: "Package.swift")]).filter {
            FileManager.default.fileExists(atPath: $0.path)
        }
        // Rewrites the file only when the stamp changed, so an unchanged tree recompiles nothing;
        // `--no-optional-locks`: the status does not rewrite the index it is triggered by.
        let script = #"""
            set -e
            mkdir -p "$(dirname "$2")"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || true)
            if [ -n "$commit" ] && [ -n "$(git -C "$1" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit.dirty"
            fi
            if [ -n "$commit" ]; then line="let gitCommit: String? = \"$commit\""; else line="let gitCommit: String? = nil"; fi
            if [ ! -f "$2" ] || [ "$(cat "$2")" != "$line" ]; then printf '%s\n' "$line" > "$2"; fi
            """#
        return [
            .buildCommand(
                displayName: "Stamping the git commit into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "git-commit", root.path, output.path],
                inputFiles: inputs, outputFiles: [output])
        ]
    }

    /// HEAD and the index of the checkout at `root`: `.git/` itself, or, in a worktree, the folder
    /// its `.git` file points to.
    static func gitFiles(_ root: URL) -> [URL] {
        let dotGit = root.appending(path: ".git")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isFolder) else { return [] }
        var folder = dotGit
        if !isFolder.boolValue {
            guard let text = try? String(contentsOf: dotGit, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("gitdir:") })
            else { return [] }
            let path = line.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces)
            folder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
        }
        return [folder.appending(path: "HEAD"), folder.appending(path: "index")]
    }
}
