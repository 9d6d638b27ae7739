/// The code version recorded in every checkpoint: the release number and, when built from a git
/// checkout (as in development and CI), the commit it was built from and whether tracked files had
/// local changes (`.dirty`). The commit is stamped at build time by the GitCommit plugin
/// (Plugins/GitCommit), so a binary reports the code it was compiled from, not the checkout's later
/// HEAD, and needs no git at run time.
public enum SoftwareVersion {
    public static let release = "0.1.0"

    public static let current: String = gitCommit.map { "\(release)+git.\($0)" } ?? release
}
