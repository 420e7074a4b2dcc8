import Foundation
import SSHTransport

extension JobEngine {
    /// Copies the planned entries of `directory` into the job's work directory. Files
    /// unchanged since the last sync from this directory to this worker are copied on the
    /// worker from that earlier work directory, when it still holds them exactly as p left
    /// them; the directories are made in one exec; the rest travels over SFTP, several
    /// files in flight at once. The directories above the work directory are private (0700).
    func sync(
        _ plan: SyncPlanner.Plan, from directory: String, into record: JobRecord, on worker: Worker,
        progress: SFTPProgressHandler?
    ) async throws {
        let target = try resolveTarget(worker)
        let workdir = record.root + "/workdirs/" + record.id
        let manifestPath = SyncManifest.path(in: paths, directory: directory, worker: worker.name, root: record.root)
        var copied: Set<String> = []
        if let manifest = SyncManifest.load(manifestPath), manifest.workdirID != record.id {
            let lines = manifest.unchangedLines(in: plan)
            if !lines.isEmpty {
                copied = try await copyFromBase(
                    record.root + "/workdirs/" + manifest.workdirID, to: workdir, lines: lines, record: record,
                    worker: worker)
            }
        }
        try await makeDirectories(plan, in: workdir, record: record, worker: worker)
        let toSend = plan.entries.filter {
            switch $0.kind {
            case .directory: return false
            case .file: return !copied.contains($0.path)
            case .symlink: return true
            }
        }
        let entries = toSend.map { entry in
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
        do {
            try await pool.withSession(target) { session in
                try await session.withSFTP { sftp in
                    try await sftp.uploadTree(
                        directory, to: workdir, entries: entries, mergingIntoExisting: true, atomicFiles: false,
                        progress: progress)
                }
            }
        } catch let error as SSHError {
            if case .localFileFailure = error {
                throw RemoteJobsError.invalidArgument("could not copy the work directory: \(error)")
            }
            throw RemoteJobsError.connection(worker: worker.name, jobID: nil, error)
        }
        try SyncManifest(plan: plan, directory: directory, worker: worker.name, root: record.root, workdirID: record.id)
            .save(manifestPath)
    }

    /// Creates the work directory (and the private directories above it) and the plan's
    /// directories, in one exec per distinct mode (usually one or two). Owner rwx is added
    /// so the copy can fill them.
    private func makeDirectories(_ plan: SyncPlanner.Plan, in workdir: String, record: JobRecord, worker: Worker)
        async throws
    {
        let byMode = Dictionary(
            grouping: plan.entries.filter { $0.kind == .directory }, by: { ($0.mode | 0o700) & 0o7777 })
        let job = record.root + "/jobs/" + record.id
        for (mode, directories) in byMode.sorted(by: { $0.key < $1.key }) {
            let list: [UInt8] = directories.flatMap { Array($0.path.utf8) + [0] }
            let result = try await runScript(
                RemoteScripts.makeDirectories, arguments: [workdir, String(mode, radix: 8), job], stdin: list,
                on: worker,
                jobID: nil, framed: false)
            guard result.status == .exited(0) else {
                throw RemoteJobsError.remoteFailure(
                    worker: worker.name, action: "create the work directory's folders",
                    detail: result.control.otherText.isEmpty ? "\(result.status)" : result.control.otherText)
            }
        }
    }

    /// Runs `copyFromBase` on the worker; returns the paths it copied.
    private func copyFromBase(
        _ base: String, to workdir: String, lines: [String], record: JobRecord, worker: Worker
    ) async throws -> Set<String> {
        var output: [UInt8] = []
        let input = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        let job = record.root + "/jobs/" + record.id
        _ = try await runScript(
            RemoteScripts.copyFromBase, arguments: [base, workdir, job], stdin: input,
            on: worker, jobID: nil, framed: false, stdout: { output += $0 })
        return Set(output.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) })
    }
}
