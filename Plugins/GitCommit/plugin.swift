import Foundation
import PackagePlugin

/// Stamps the git commit of the sources (and `.dirty` when tracked files had local changes) into
/// the module at build time, so a checkpoint records the code it was trained with, not whatever the
/// checkout holds when the binary later runs. Outside a git checkout the stamp is nil.
@main struct GitCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        // Rewrites the file only when the stamp changed, so an unchanged tree recompiles nothing.
        let script = #"""
            set -e
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || true)
            if [ -n "$commit" ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit.dirty"
            fi
            if [ -n "$commit" ]; then line="let gitCommit: String? = \"$commit\""; else line="let gitCommit: String? = nil"; fi
            file="$2/GitCommit.swift"
            if [ ! -f "$file" ] || [ "$(cat "$file")" != "$line" ]; then printf '%s\n' "$line" > "$file"; fi
            """#
        return [
            .prebuildCommand(
                displayName: "Stamping the git commit into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "git-commit", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
