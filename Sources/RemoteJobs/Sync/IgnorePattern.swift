/// One line of a `.gitignore` (or `.git/info/exclude`), parsed as git parses it.
struct IgnorePattern: Equatable {
    /// The glob, without a leading `!`, a leading `/` or a trailing `/`.
    var glob: [UInt8]
    /// `!pattern`: re-includes what an earlier pattern excluded.
    var negated: Bool
    /// `pattern/`: matches directories only.
    var directoryOnly: Bool
    /// Whether the glob is matched against the path relative to the file's directory (it
    /// had a `/` other than a trailing one) rather than against the name alone.
    var anchored: Bool

    /// Parses a line; nil for blank lines and comments.
    init?(line: [UInt8]) {
        var bytes = line
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        // Trailing spaces go unless escaped with a backslash.
        while bytes.last == UInt8(ascii: " ") {
            let beforeSpace = bytes.count - 2
            if beforeSpace >= 0 && bytes[beforeSpace] == UInt8(ascii: "\\") {
                bytes.remove(at: beforeSpace)
                break
            }
            bytes.removeLast()
        }
        guard let first = bytes.first, first != UInt8(ascii: "#") else { return nil }
        negated = first == UInt8(ascii: "!")
        if negated { bytes.removeFirst() }
        directoryOnly = bytes.last == UInt8(ascii: "/")
        if directoryOnly { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        anchored = bytes.contains(UInt8(ascii: "/"))
        if bytes.first == UInt8(ascii: "/") { bytes.removeFirst() }
        glob = bytes
    }

    /// Whether the pattern matches `path` (relative to the pattern file's directory) whose
    /// last component is `name`.
    func matches(path: [UInt8], name: [UInt8], isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        if anchored { return Wildmatch.matches(glob, path, pathname: true) }
        return Wildmatch.matches(glob, name, pathname: false)
    }
}

/// The patterns of one ignore file and the directory (relative to the root, "" for the
/// root itself) they are relative to.
struct IgnoreFile {
    var base: [UInt8]
    var patterns: [IgnorePattern]

    init(base: [UInt8], contents: [UInt8]) {
        self.base = base
        patterns = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).compactMap {
            IgnorePattern(line: Array($0))
        }
    }

    /// The verdict of the last matching pattern: true ignored, false re-included, nil when
    /// none matches.
    func verdict(path: [UInt8], name: [UInt8], isDirectory: Bool) -> Bool? {
        guard path.count > base.count else { return nil }
        let relative = base.isEmpty ? path : Array(path[(base.count + 1)...])
        for pattern in patterns.reversed() where pattern.matches(path: relative, name: name, isDirectory: isDirectory) {
            return !pattern.negated
        }
        return nil
    }
}
