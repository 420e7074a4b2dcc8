import Foundation
import SSHTransport

extension WorkdirSync {
    /// Runs `CopyFromBaseScript` for the job's work directory; returns the paths it copied
    /// (or, with `base` = the work directory, found already right).
    func copyFromBase(_ base: String, lines: [String], hardLinks: Bool) async throws -> Set<String> {
        guard !lines.isEmpty else { return [] }
        return try await link.ask(
            CopyFromBaseScript(
                base: base, workdir: record.workdirPath, jobDirectory: record.root + "/jobs/" + record.id,
                lines: lines, hardLinks: hardLinks))
    }

    /// Sends files over SFTP with many requests in flight (`SSHSession.uploadFiles`), and
    /// links through libssh2's SFTP. Into a persistent work directory (`replacing`) each
    /// file is removed first, so a file the last job left read-only is replaced rather
    /// than refused.
    func upload(_ entries: [SyncEntry], from directory: String, to workdir: String, replacing: Bool) async throws {
        let tree = entries.map { entry in
            let kind: SFTPTreeEntry.Kind
            switch entry.kind {
            case .file: kind = .file(size: entry.size)
            case .directory: kind = .directory
            case .symlink(let linkTarget): kind = .symbolicLink(target: linkTarget)
            }
            return SFTPTreeEntry(
                path: entry.path, kind: kind, permissions: entry.mode,
                modificationTime: UInt32(clamping: entry.modifiedSeconds))
        }
        let links = tree.filter { if case .symbolicLink = $0.kind { true } else { false } }
        let progress = observer.progress
        guard let ssh = link.ssh else {
            throw RemoteJobsError.syncFailed(worker: worker.name, detail: "SFTP needs an SSH worker")
        }
        do {
            // The files over the keeper's sessions when it carries the subsystem (sent again
            // directly, whole, if it dies midway); the links through libssh2's SFTP, which
            // only a session of this process's speaks.
            var sent = false
            if let keeper = link.keeper {
                sent = try await WorkerLink.againIfKeeperLost {
                    guard let channel = try await keeper.subsystem("sftp", on: ssh.target) else { return false }
                    defer { channel.close() }
                    try await SSHSession.uploadFiles(
                        tree, from: directory, to: workdir, over: channel, host: ssh.target.host, replacing: replacing,
                        progress: progress)
                    return true
                }
            }
            guard !sent || !links.isEmpty else { return }
            let filesSent = sent
            try await ssh.pool.withSession(ssh.target) { session in
                if !filesSent {
                    try await session.uploadFiles(
                        tree, from: directory, to: workdir, replacing: replacing, progress: progress)
                }
                guard !links.isEmpty else { return }
                try await session.withSFTP { sftp in
                    try await sftp.uploadTree(
                        directory, to: workdir, entries: links, mergingIntoExisting: true, atomicFiles: false,
                        progress: nil)
                }
            }
        } catch let error as SSHError {
            switch error {
            case .localFileFailure:
                throw RemoteJobsError.syncFailed(worker: worker.name, detail: "\(error)")
            case .sftpFailure(_, _, let path, let reason, _):
                // OpenSSH's SFTP server reports a full disk as a generic failure, so p asks.
                if reason == .noSpace || reason == .failure,
                    let free = try? await link.ask(FreeSpaceScript(path: workdir)), free < 1024
                {
                    throw RemoteJobsError.syncFailed(
                        worker: worker.name,
                        detail: "No space left on device on the worker (\(free) KB free) while writing \(path)")
                }
                throw RemoteJobsError.syncFailed(worker: worker.name, detail: "\(error)")
            default:
                throw RemoteJobsError.connection(worker: worker.name, jobID: nil, error)
            }
        }
    }

    /// The rsync transfer to use when the worker has rsync too, or nil for tar or SFTP.
    func localRsync(_ requested: SyncTransport) throws -> RsyncTransfer? {
        guard requested != .sftp else { return nil }
        guard let rsync else {
            if requested == .rsync {
                throw RemoteJobsError.invalidArgument(
                    "--sync-via rsync needs p's own program as rsync's remote shell, and this engine has none (JobEngine(rsyncRemoteShell:))."
                )
            }
            return nil
        }
        guard let executable = ChildProcess.find("rsync") else {
            if requested == .rsync {
                throw RemoteJobsError.syncFailed(
                    worker: worker.name,
                    detail:
                        "rsync is not installed on this machine (--sync-via rsync); install it or use --sync-via sftp")
            }
            return nil
        }
        return RsyncTransfer(
            executable: executable, remoteShell: rsync.remoteShell, workerName: worker.name,
            connection: worker.connection, sshConfigFile: rsync.sshConfigFile)
    }

    /// A private local directory for temporary files.
    func scratchDirectory() throws(RemoteJobsError) -> String {
        let directory = paths.dataDirectory + "/sync"
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw .localFile(path: directory, action: "create", errno: errno)
        }
        return directory
    }
}
