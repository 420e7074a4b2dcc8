import Foundation

/// Whole-file writes that a crash or a concurrent writer can never leave torn: the bytes go
/// to a temporary file in the same directory, are flushed to disk, and replace the target
/// with `rename(2)`, which is atomic within a filesystem (pueue's `state.json.partial`).
enum AtomicFile {
    /// Writes `bytes` to `path` atomically with the given mode, creating the directory
    /// (mode 0700) if needed.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(RemoteJobsError) {
        _ = try write(bytes, to: path, mode: mode, as: .createOrReplace)
    }

    /// Writes `bytes` to `path` as `write` does, but only if no file is there: the whole
    /// file appears at once (`link(2)` of the flushed temporary file, which fails on an
    /// existing name), so of many processes creating one path, exactly one does.
    /// - Returns: whether this call created it (false: it existed).
    static func create(_ bytes: [UInt8], at path: String, mode: mode_t = 0o600) throws(RemoteJobsError) -> Bool {
        try write(bytes, to: path, mode: mode, as: .create)
    }

    /// Writes `bytes` to `path` as `write` does, but only if a file is there: the new file
    /// and the old one swap names in one step (`Platform.exchange`), so a file another
    /// process removed a moment before is never brought back. Where names cannot be swapped
    /// (some network file systems), the file is checked for and then replaced.
    /// - Returns: whether this call replaced it (false: it was gone).
    static func replace(_ bytes: [UInt8], at path: String, mode: mode_t = 0o600) throws(RemoteJobsError) -> Bool {
        try write(bytes, to: path, mode: mode, as: .replace)
    }

    private enum Placement { case createOrReplace, create, replace }

    private static func write(_ bytes: [UInt8], to path: String, mode: mode_t, as placement: Placement)
        throws(RemoteJobsError) -> Bool
    {
        let directory = (path as NSString).deletingLastPathComponent
        try createDirectory(directory)
        let temporary =
            directory + "/." + (path as NSString).lastPathComponent
            + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .localFile(path: temporary, action: "create", errno: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw .localFile(path: temporary, action: "write", errno: code)
            }
            written += count
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let code = errno
            unlink(temporary)
            throw .localFile(path: temporary, action: "flush", errno: code)
        }
        switch placement {
        case .create:
            let linked = link(temporary, path) == 0
            let code = errno
            unlink(temporary)
            if linked { return true }
            if code == EEXIST { return false }
            throw .localFile(path: path, action: "create", errno: code)
        case .replace:
            switch Platform.exchange(temporary, path) {
            case .exchanged:
                // The temporary name now holds the old file.
                unlink(temporary)
                return true
            case .targetMissing:
                unlink(temporary)
                return false
            case .unsupported:
                guard access(path, F_OK) == 0 else {
                    unlink(temporary)
                    return false
                }
            }
        case .createOrReplace:
            break
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .localFile(path: path, action: "replace", errno: code)
        }
        return true
    }

    /// Creates `path` and its parents with mode 0700; an existing directory is fine.
    static func createDirectory(_ path: String) throws(RemoteJobsError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .localFile(path: path, action: "create the directory", errno: EACCES)
        }
    }
}
