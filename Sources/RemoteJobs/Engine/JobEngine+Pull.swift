import Foundation
import SSHTransport

extension JobEngine {
    /// Copies a file or a directory from the job's work directory to `localPath` over SFTP.
    ///
    /// `remotePath` is relative to the work directory; a path that leaves it (`..`, an
    /// absolute path, or a symbolic link pointing out of it) is refused. When `localPath` is
    /// an existing directory, the copy goes inside it under its own name.
    ///
    /// Nothing is written through a symbolic link in the destination: `localPath` is
    /// followed as any path the user names, but the name the copy gets and everything below
    /// it are not (a link where a directory would be written fails the pull with
    /// `RemoteJobsError.linkInDestination`; a file or link where a file goes is replaced).
    /// - Returns: the local path written.
    @discardableResult
    public func pull(
        _ idPrefix: String, remotePath: String, to localPath: String? = nil, progress: TransferProgressHandler? = nil
    ) async throws -> String {
        try await pull(
            try await loadRecord(idPrefix), relative: try Self.normalizedRelativePath(remotePath),
            as: remotePath, to: localPath, progress: progress)
    }

    /// `pull(_:remotePath:to:progress:)` of a loaded record, `relative` being the path
    /// normalized (`normalizedRelativePath`) and `remotePath` as the caller wrote it.
    func pull(
        _ record: JobRecord, relative: String, as remotePath: String, to localPath: String?,
        progress: TransferProgressHandler? = nil
    ) async throws -> String {
        let worker = worker(of: record)
        let base = record.workdirPath
        let remote = relative.isEmpty ? base : base + "/" + relative
        let name = relative.isEmpty ? "workdir-" + record.shortID : (relative as NSString).lastPathComponent
        var destination = localPath ?? name
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            destination += "/" + name
        }
        let finalDestination = destination
        guard let ssh = try link(worker).ssh else {
            try await Self.pullLocally(remote, base: base, to: finalDestination, remotePath: remotePath, record: record)
            return finalDestination
        }
        do {
            try await pool.withSession(ssh.target) { session in
                try await session.withSFTP { sftp in
                    let realBase = try await sftp.realPath(base)
                    let realRemote = try await sftp.realPath(remote)
                    guard realRemote == realBase || realRemote.hasPrefix(realBase + "/") else {
                        throw RemoteJobsError.pathOutsideWorkdir(path: remotePath)
                    }
                    if try await sftp.info(realRemote).kind == .directory {
                        try await sftp.downloadTree(realRemote, to: finalDestination, progress: progress)
                    } else {
                        try await sftp.download(realRemote, to: finalDestination, progress: progress)
                    }
                }
            }
        } catch let error as SSHError {
            switch error {
            case .sftpFailure(_, _, _, .noSuchFile, _):
                throw RemoteJobsError.remoteFailure(
                    worker: worker.name, action: "pull '\(remotePath)' of job \(record.shortID)",
                    detail: "there is no such file in the job's work directory")
            case .sftpFailure(_, let operation, let path, _, let message):
                // The server answered (a dangling link it cannot resolve, a file it cannot
                // read): no connection failed.
                throw RemoteJobsError.remoteFailure(
                    worker: worker.name, action: "pull '\(remotePath)' of job \(record.shortID)",
                    detail: "\(operation) \(path): \(message)")
            case .symbolicLinkInDestination(let path):
                throw RemoteJobsError.linkInDestination(path: path)
            case .localFileFailure:
                throw RemoteJobsError.localDestination(detail: "\(error)")
            default:
                throw RemoteJobsError.connection(worker: worker.name, jobID: nil, error)
            }
        }
        return finalDestination
    }

    /// A pull from a `local` worker: a copy on this machine, with the same rules as over
    /// SFTP (the source must stay inside the work directory; a link where a directory
    /// would be written fails; a file or link where a file goes is replaced).
    private static func pullLocally(
        _ remote: String, base: String, to destination: String, remotePath: String, record: JobRecord
    ) async throws {
        try await BlockingWork.run {
            try copyLocally(remote, base: base, to: destination, remotePath: remotePath, record: record)
        }
    }

    private static func copyLocally(
        _ remote: String, base: String, to destination: String, remotePath: String, record: JobRecord
    ) throws {
        guard let realBase = realPath(base), let realRemote = realPath(remote) else {
            throw RemoteJobsError.remoteFailure(
                worker: record.worker, action: "pull '\(remotePath)' of job \(record.shortID)",
                detail: "there is no such file in the job's work directory")
        }
        guard realRemote == realBase || realRemote.hasPrefix(realBase + "/") else {
            throw RemoteJobsError.pathOutsideWorkdir(path: remotePath)
        }
        var source = stat()
        var existing = stat()
        _ = stat(realRemote, &source)
        if lstat(destination, &existing) == 0 {
            let isLink = existing.st_mode & S_IFMT == S_IFLNK
            let isDirectory = existing.st_mode & S_IFMT == S_IFDIR
            if source.st_mode & S_IFMT == S_IFDIR {
                if isLink { throw RemoteJobsError.linkInDestination(path: destination) }
                if isDirectory {
                    throw RemoteJobsError.localDestination(detail: "\(destination) exists; pull into another directory")
                }
            }
            if !isDirectory { unlink(destination) }
        }
        do {
            try FileManager.default.copyItem(atPath: realRemote, toPath: destination)
        } catch {
            throw RemoteJobsError.localDestination(
                detail: "cannot copy to \(destination): \(error.localizedDescription)")
        }
    }

    /// `path` (relative to the home directory, where a worker's roots are) with every link
    /// resolved; nil when there is no such file.
    private static func realPath(_ path: String) -> String? {
        // The directory a local worker's commands start in (`LocalExec`: `cd`, to $HOME).
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        guard let resolved = realpath(path.hasPrefix("/") ? path : home + "/" + path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` without `.` components and with `..` resolved, refusing anything that leaves
    /// the directory it is relative to.
    static func normalizedRelativePath(_ path: String) throws(RemoteJobsError) -> String {
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else { throw .pathOutsideWorkdir(path: path) }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." {
                guard !parts.isEmpty else { throw .pathOutsideWorkdir(path: path) }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }
}
