import Foundation
import SSHTransport

extension JobEngine {
    /// Copies the planned entries of `directory` into the job's work directory.
    ///
    /// A fresh work directory gets the files unchanged since the last sync from this
    /// directory to this worker copied on the worker from that earlier work directory, when
    /// it still holds them exactly as p left them; a persistent one (`--reuse-workdir`) keeps
    /// the files that are already right. The directories are made in one exec; the rest
    /// travels with rsync (through p's own SSH) when both ends have it and there is enough
    /// to send, else over SFTP with several files in flight. A file that changed while it was read fails the sync, so the
    /// job never starts from a torn copy.
    func sync(
        _ plan: SyncPlanner.Plan, from directory: String, into record: JobRecord, on worker: Worker,
        via requested: SyncTransport, observer: SyncObserver
    ) async throws {
        let start = ContinuousClock.now
        let rsync = try localRsync(requested, worker: worker)
        let workdir = record.workdirPath
        let inPlace = record.sharedWorkdir != nil
        let manifestPath = SyncManifest.path(
            in: paths, directory: directory, worker: worker.name, root: record.root, shared: inPlace)
        let workerHasRsync = try await makeDirectories(plan, in: workdir, record: record, worker: worker)
        if requested == .rsync && !workerHasRsync {
            throw RemoteJobsError.syncFailed(
                worker: worker.name,
                detail: "the worker has no rsync (--sync-via rsync); install it or use --sync-via sftp")
        }
        let rsyncUsable = rsync != nil && workerHasRsync
        var kept: Set<String> = []
        var copyDest: String?
        if inPlace {
            // rsync compares sizes and times itself; SFTP asks the worker first.
            if !rsyncUsable {
                kept = try await copyFromBase(
                    workdir, to: workdir, lines: SyncManifest.checkLines(plan), record: record, worker: worker)
            }
        } else if let manifest = SyncManifest.load(manifestPath), manifest.workdirID != record.id {
            copyDest = "../" + manifest.workdirID
            let lines = manifest.unchangedLines(in: plan)
            if !lines.isEmpty {
                kept = try await copyFromBase(
                    record.root + "/workdirs/" + manifest.workdirID, to: workdir, lines: lines, record: record,
                    worker: worker)
            }
        }
        let toSend = plan.entries.filter { $0.kind == .file ? !kept.contains($0.path) : true }
        let bytesToSend = toSend.reduce(0) { $0 + $1.size }
        let transport: SyncTransport =
            rsyncUsable && (requested == .rsync || inPlace || Self.worthRsync(toSend, bytes: bytesToSend))
            ? .rsync : .sftp
        if let rsync, transport == .rsync {
            try await rsync.send(
                toSend.map(\.path), from: directory, to: workdir, copyDest: copyDest, scratch: try scratchDirectory(),
                totalBytes: bytesToSend, progress: observer.progress)
        } else {
            try await upload(
                toSend.filter { $0.kind != .directory }, from: directory, to: workdir, replacing: inPlace,
                worker: worker, progress: observer.progress)
        }
        try Self.checkUnchanged(toSend, in: directory, worker: worker)
        let manifest = SyncManifest(
            plan: plan, directory: directory, worker: worker.name, root: record.root, workdirID: record.id)
        try manifest.save(manifestPath)
        observer.finished(
            SyncReport(
                transport: transport, entries: plan.entries.count, bytes: plan.totalBytes, filesKept: kept.count,
                entriesSent: toSend.count, bytesSent: bytesToSend, duration: ContinuousClock.now - start))
    }

    /// Whether rsync pays for itself when the choice is automatic: it needs a second SSH
    /// connection (a handshake and a login, several round trips) and a file-list exchange,
    /// which costs more than SFTP needs for a few small files.
    static func worthRsync(_ entries: [SyncEntry], bytes: UInt64) -> Bool {
        entries.lazy.filter { $0.kind != .directory }.count >= 64 || bytes >= 8 << 20
    }

    /// The rsync transfer to use when the worker has rsync too, or nil for SFTP.
    private func localRsync(_ requested: SyncTransport, worker: Worker) throws -> RsyncTransfer? {
        guard requested != .sftp else { return nil }
        guard let rsyncRemoteShell else {
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
            executable: executable, remoteShell: rsyncRemoteShell, workerName: worker.name,
            connection: worker.connection, sshConfigFile: sshConfigFile)
    }

    /// A private local directory for temporary files.
    private func scratchDirectory() throws(RemoteJobsError) -> String {
        let directory = paths.dataDirectory + "/sync"
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw .localFile(path: directory, action: "create", errno: errno)
        }
        return directory
    }

    /// Fails when a file sent is no longer as it was planned: the copy may hold a mix of
    /// its old and new contents.
    static func checkUnchanged(_ entries: [SyncEntry], in directory: String, worker: Worker) throws(RemoteJobsError) {
        for entry in entries where entry.kind == .file {
            var info = stat()
            let changed =
                lstat(directory + "/" + entry.path, &info) != 0 || UInt64(info.st_size) != entry.size
                || Int64(info.st_mtim.tv_sec) != entry.modifiedSeconds
                || Int32(info.st_mtim.tv_nsec) != entry.modifiedNanoseconds
            if changed {
                throw .syncFailed(
                    worker: worker.name,
                    detail:
                        "\(entry.path) changed while it was being copied; run again (or list it in .gitignore if something keeps writing it)"
                )
            }
        }
    }
}
