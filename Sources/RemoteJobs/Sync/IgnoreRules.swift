/// The ignore files in force at one point of a walk: `.git/info/exclude`, then the
/// `.gitignore` of the root and of each directory down to the current one. Deeper files win
/// over shallower ones, and later lines over earlier ones, as in git.
struct IgnoreRules {
    private var files: [IgnoreFile]

    init(exclude: IgnoreFile?) {
        files = exclude.map { [$0] } ?? []
    }

    /// The rules inside a directory that has its own `.gitignore`.
    func adding(_ file: IgnoreFile) -> IgnoreRules {
        var copy = self
        copy.files.append(file)
        return copy
    }

    /// Whether `path` (relative to the root) is ignored.
    func isIgnored(path: [UInt8], name: [UInt8], isDirectory: Bool) -> Bool {
        for file in files.reversed() {
            if let verdict = file.verdict(path: path, name: name, isDirectory: isDirectory) { return verdict }
        }
        return false
    }
}
