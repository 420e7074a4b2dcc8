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
        let record = try record(idPrefix)
        let relative = try Self.normalizedRelativePath(remotePath)
        let worker = worker(of: record)
        let target = try resolveTarget(worker)
        let base = record.workdirPath
        let remote = relative.isEmpty ? base : base + "/" + relative
        let name = relative.isEmpty ? "workdir-" + record.shortID : (relative as NSString).lastPathComponent
        var destination = localPath ?? name
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            destination += "/" + name
        }
        let finalDestination = destination
        do {
            try await pool.withSession(target) { session in
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
