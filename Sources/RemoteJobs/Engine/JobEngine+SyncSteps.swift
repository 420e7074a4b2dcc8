import Foundation
import SSHTransport

/// The copying tools a worker has.
struct WorkerTools {
    var rsync: Bool
    var tar: Bool
}

extension JobEngine {
    /// Creates the work directory (and the private directories above it) and the plan's
    /// directories, in one exec per distinct mode (usually one or two). Owner rwx is added
    /// so the copy can fill them.
    /// - Returns: the copying tools the worker has.
    func makeDirectories(_ plan: SyncPlanner.Plan, in workdir: String, record: JobRecord, worker: Worker)
        async throws -> WorkerTools
    {
        var byMode = Dictionary(
            grouping: plan.entries.filter { $0.kind == .directory }, by: { ($0.mode | 0o700) & 0o7777 })
        if byMode.isEmpty { byMode[0o700] = [] }  // the work directory itself
        let job = record.root + "/jobs/" + record.id
        var tools = WorkerTools(rsync: false, tar: false)
        for (mode, directories) in byMode.sorted(by: { $0.key < $1.key }) {
            let list: [UInt8] = directories.flatMap { Array($0.path.utf8) + [0] }
            var output: [UInt8] = []
            let result = try await runScript(
                RemoteScripts.makeDirectories, arguments: [workdir, String(mode, radix: 8), job], stdin: list,
                on: worker, jobID: nil, framed: false, stdout: { output += $0 })
            guard result.status == .exited(0) else {
                throw RemoteJobsError.syncFailed(
                    worker: worker.name,
                    detail: "could not create the work directory's folders: "
                        + (result.control.otherText.isEmpty ? "\(result.status)" : result.control.otherText))
            }
            let text = String(decoding: output, as: UTF8.self)
            tools = WorkerTools(rsync: text.contains("has-rsync"), tar: text.contains("has-tar"))
        }
        return tools
    }

    /// Runs `copyFromBase` on the worker; returns the paths it copied (or, with `base` =
    /// `workdir`, found already right).
    func copyFromBase(
        _ base: String, to workdir: String, lines: [String], record: JobRecord, worker: Worker, hardLinks: Bool = false
    ) async throws -> Set<String> {
        guard !lines.isEmpty else { return [] }
        var output: [UInt8] = []
        let input = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        let job = record.root + "/jobs/" + record.id
        _ = try await runScript(
            RemoteScripts.copyFromBase, arguments: [base, workdir, job] + (hardLinks ? ["link"] : []), stdin: input,
            on: worker, jobID: nil, framed: false, stdout: { output += $0 })
        return Set(output.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Sends files over SFTP with many requests in flight (`SSHSession.uploadFiles`), and
    /// links through libssh2's SFTP. Into a persistent work directory (`replacing`) each
    /// file is removed first, so a file the last job left read-only is replaced rather
    /// than refused.
    func upload(
        _ entries: [SyncEntry], from directory: String, to workdir: String, replacing: Bool, worker: Worker,
        progress: SFTPProgressHandler?
    ) async throws {
        let target = try resolveTarget(worker)
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
        do {
            try await pool.withSession(target) { session in
                try await session.uploadFiles(
                    tree, from: directory, to: workdir, replacing: replacing, progress: progress)
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
                if reason == .noSpace || reason == .failure, let free = try? await freeKilobytes(workdir, on: worker),
                    free < 1024
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

    /// The space left on the file system holding `path` on the worker: OpenSSH's SFTP
    /// server reports a full disk as a generic failure, so p asks.
    private func freeKilobytes(_ path: String, on worker: Worker) async throws -> Int? {
        let (text, _) = try await collectScript(RemoteScripts.freeSpace, arguments: [path], on: worker)
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Takes the persistent work directory for `record`'s job, removing what the last sync
    /// left there that the client no longer has. With `wait`, checks again every second
    /// while another job holds it, calling `waiting` once with that job's id.
    func claimSharedWorkdir(
        _ record: JobRecord, stale: [String], on worker: Worker, wait: Bool, waiting: (String) -> Void
    ) async throws {
        guard let name = record.sharedWorkdir else { return }
        let input: [UInt8] = stale.flatMap { Array($0.utf8) + [0] }
        var announced = false
        while true {
            var output: [UInt8] = []
            let result = try await runScript(
                RemoteScripts.claimWorkdir, arguments: [record.root, name, record.id], stdin: input, on: worker,
                jobID: nil, framed: false, stdout: { output += $0 })
            let answer = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if answer == "claimed" { return }
            guard answer.hasPrefix("busy ") else {
                throw RemoteJobsError.remoteFailure(
                    worker: worker.name, action: "take the persistent work directory",
                    detail: result.control.otherText.isEmpty ? "\(result.status)" : result.control.otherText)
            }
            let holder = String(answer.dropFirst(5))
            guard wait else { throw RemoteJobsError.workdirBusy(worker: worker.name, heldBy: holder) }
            if !announced {
                waiting(holder)
                announced = true
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
