import Foundation
import SSHTransport

/// Walks a directory the way git sees it: what `.gitignore` files (at any depth) and
/// `.git/info/exclude` ignore is left out, `.git/` itself is kept whole, symbolic links are
/// entries of their own (never followed), and sockets, FIFOs and devices are skipped and
/// reported; a top-level `p-results/` (where `--pull` brings results back) is left out.
/// Needs no git.
public enum SyncPlanner {
    /// The directory results come back into (`JobRequest.pull`), in the directory a job
    /// was started from; never synced.
    public static let resultsDirectoryName = "p-results"

    /// `bytes` as text, with each byte that is not part of valid UTF-8 shown as `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        var text = ""
        var rest = bytes[...]
        while !rest.isEmpty {
            var length = 1
            while length <= min(4, rest.count) {
                if let piece = String(validating: rest.prefix(length), as: UTF8.self) {
                    text += piece
                    break
                }
                length += 1
            }
            if length > min(4, rest.count) {
                text += "\\x" + String(rest.first!, radix: 16, uppercase: true)
                length = 1
            }
            rest = rest.dropFirst(length)
        }
        return text
    }

    /// A path left out of the copy.
    public struct SkippedEntry: Sendable, Equatable {
        /// The path relative to the root.
        public var path: String
        /// `socket`, `FIFO` or `device`.
        public var kind: String
    }

    /// The result of a walk.
    public struct Plan: Sendable {
        /// Everything to copy, parents before children.
        public var entries: [SyncEntry]
        /// Paths left out because they are not files, directories or links, with their kind.
        public var skipped: [SkippedEntry]
        /// When the walk began, in whole seconds since 1970 (rounded down): a file whose
        /// mtime is this close to it may change again without its mtime changing.
        public var walkedAt: Int64 = Int64(Date().timeIntervalSince1970)
        /// The total size of the files.
        public var totalBytes: UInt64 { entries.reduce(0) { $0 + $1.size } }
    }

    /// Walks `root`.
    /// - Throws: `RemoteJobsError.localFile` naming a directory or file that cannot be read
    ///   (files are checked for read permission, so an unreadable one stops the job before
    ///   anything is copied).
    public static func plan(root: String) throws(RemoteJobsError) -> Plan {
        var plan = Plan(entries: [], skipped: [])
        let exclude = (try? LocalFile.contents(of: root + "/.git/info/exclude")).flatMap { $0 }.map {
            IgnoreFile(base: [], contents: $0)
        }
        try walk(root: root, relative: [], rules: IgnoreRules(exclude: exclude), insideGit: false, into: &plan)
        return plan
    }

    private static func walk(
        root: String, relative: [UInt8], rules: IgnoreRules, insideGit: Bool, into plan: inout Plan
    ) throws(RemoteJobsError) {
        let directory = relative.isEmpty ? root : root + "/" + String(decoding: relative, as: UTF8.self)
        var rules = rules
        if !insideGit, let contents = try LocalFile.contents(of: directory + "/.gitignore") {
            rules = rules.adding(IgnoreFile(base: relative, contents: contents))
        }
        guard let handle = opendir(directory) else {
            throw .localFile(path: directory, action: "read the directory", errno: errno)
        }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        closedir(handle)
        names.sort { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let path = relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name
            // The real bytes: a name that is not UTF-8 must not turn into another one.
            let fullBytes = Array(directory.utf8) + [UInt8(ascii: "/")] + name
            let full = String(decoding: fullBytes, as: UTF8.self)
            var info = stat()
            let examined = (fullBytes + [0]).withUnsafeBytes {
                lstat($0.baseAddress!.assumingMemoryBound(to: CChar.self), &info)
            }
            guard examined == 0 else {
                if errno == ENOENT { continue }  // removed while we walked
                throw .localFile(path: full, action: "examine", errno: errno)
            }
            let type = info.st_mode & S_IFMT
            let isDirectory = type == S_IFDIR
            let isGitDirectory = !insideGit && name == Array(".git".utf8) && relative.isEmpty
            if !insideGit && !isGitDirectory && rules.isIgnored(path: path, name: name, isDirectory: isDirectory) {
                continue
            }
            // Where results come back (`--pull`) is never sent up again.
            if relative.isEmpty && isDirectory && name == Array(Self.resultsDirectoryName.utf8) { continue }
            guard let text = String(validating: path, as: UTF8.self) else {
                throw .unsupportedName(path: SyncPlanner.escaped(fullBytes))
            }
            let mode = UInt32(info.st_mode & 0o7777)
            let seconds = Int64(info.modified.tv_sec)
            let nanoseconds = Int32(info.modified.tv_nsec)
            switch type {
            case S_IFDIR:
                plan.entries.append(
                    SyncEntry(
                        path: text, kind: .directory, mode: mode, modifiedSeconds: seconds,
                        modifiedNanoseconds: nanoseconds))
                try walk(root: root, relative: path, rules: rules, insideGit: insideGit || isGitDirectory, into: &plan)
            case S_IFREG:
                // Checked here, before anything is sent, so the job fails at once naming the
                // file, rather than halfway through the copy.
                guard access(full, R_OK) == 0 else { throw .localFile(path: full, action: "read", errno: errno) }
                plan.entries.append(
                    SyncEntry(
                        path: text, kind: .file, mode: mode, size: UInt64(info.st_size), modifiedSeconds: seconds,
                        modifiedNanoseconds: nanoseconds))
            case S_IFLNK:
                var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
                let length = readlink(full, &buffer, buffer.count - 1)
                guard length >= 0 else { throw .localFile(path: full, action: "read the link", errno: errno) }
                guard let target = String(validating: buffer[..<length], as: UTF8.self) else {
                    throw .unsupportedName(path: "the target of " + full)
                }
                plan.entries.append(
                    SyncEntry(
                        path: text, kind: .symlink(target: target),
                        mode: mode,
                        modifiedSeconds: seconds, modifiedNanoseconds: nanoseconds))
            default:
                plan.skipped.append(
                    SkippedEntry(path: text, kind: type == S_IFSOCK ? "socket" : type == S_IFIFO ? "FIFO" : "device"))
            }
        }
    }
}
