import Foundation
import SSHTransport

extension JobEngine {
    /// Copies the planned entries of `directory` into the job's work directory.
    ///
    /// A fresh work directory gets the files unchanged since the last sync from this
    /// directory to this worker copied on the worker from that earlier work directory, when
    /// it still holds them exactly as p left them; a persistent one (`--reuse-workdir`) keeps
    /// the files that are already right. The directories are made in one exec; the rest
    /// travels as one tar stream, with rsync (through p's own SSH), or over SFTP with
    /// several files in flight (see `transport`). A file that changed while it was read
    /// fails the sync, so the job never starts from a torn copy.
    func sync(
        _ plan: SyncPlanner.Plan, from directory: String, into record: JobRecord, on worker: Worker,
        via requested: SyncTransport, hardLinks: Bool, observer: SyncObserver
    ) async throws {
        let start = ContinuousClock.now
        let rsync = try localRsync(requested, worker: worker)
        let workdir = record.workdirPath
        let inPlace = record.sharedWorkdir != nil
        let manifestPath = SyncManifest.path(
            in: paths, directory: directory, worker: worker.name, root: record.root, shared: inPlace)
        let tools = try await makeDirectories(plan, in: workdir, record: record, worker: worker)
        if requested == .rsync && !tools.rsync {
            throw RemoteJobsError.syncFailed(
                worker: worker.name,
                detail: "the worker has no rsync (--sync-via rsync); install it or use another --sync-via")
        }
        if requested == .tar && !tools.tar {
            throw RemoteJobsError.syncFailed(
                worker: worker.name,
                detail: "the worker has no tar (--sync-via tar); install it or use another --sync-via")
        }
        let rsyncUsable = rsync != nil && tools.rsync
        let previous = inPlace ? nil : SyncManifest.load(manifestPath).flatMap { $0.workdirID == record.id ? nil : $0 }
        // rsync compares in place itself; otherwise the worker says what is already right.
        let rsyncInPlace = inPlace && rsyncUsable && (requested == .rsync || (requested == .automatic && !tools.tar))
        var kept: Set<String> = []
        if inPlace && !rsyncInPlace {
            kept = try await copyFromBase(
                workdir, to: workdir, lines: SyncManifest.checkLines(plan), record: record, worker: worker)
        } else if let previous {
            kept = try await copyFromBase(
                record.root + "/workdirs/" + previous.workdirID, to: workdir, lines: previous.unchangedLines(in: plan),
                record: record, worker: worker, hardLinks: hardLinks)
        }
        let toSend = plan.entries.filter { $0.kind == .file ? !kept.contains($0.path) : true }
        let bytesToSend = toSend.reduce(0) { $0 + $1.size }
        let transport = Self.transport(
            requested, tools: tools, rsyncUsable: rsyncUsable, inPlace: inPlace, toSend: toSend, bytes: bytesToSend,
            previous: previous)
        // The directories exist already (and rsync in place compares everything itself).
        let nothingToSend = !rsyncInPlace && !toSend.contains { $0.kind != .directory }
        switch transport {
        case _ where nothingToSend: break
        case .rsync:
            guard let rsync else { throw RemoteJobsError.invalidArgument("rsync is not available here") }
            try await rsync.send(
                toSend.map(\.path), from: directory, to: workdir, copyDest: previous.map { "../" + $0.workdirID },
                scratch: try scratchDirectory(), totalBytes: bytesToSend, progress: observer.progress)
        case .tar:
            try await streamTar(
                toSend, from: directory, to: workdir, worker: worker, totalBytes: bytesToSend,
                progress: observer.progress)
        case .sftp, .automatic:  // `transport(...)` never answers `.automatic`
            try await upload(
                toSend, from: directory, to: workdir, replacing: inPlace, worker: worker, progress: observer.progress)
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

    /// The transport for what is left to send. Automatically: a tar stream when the worker
    /// has tar (one exec on the open connection, no round trip per file); rsync instead when
    /// a large changed file has an earlier copy on the worker, which rsync's delta transfer
    /// can use; without tar, rsync when there is enough to send to pay for its second SSH
    /// connection, else SFTP.
    static func transport(
        _ requested: SyncTransport, tools: WorkerTools, rsyncUsable: Bool, inPlace: Bool, toSend: [SyncEntry],
        bytes: UInt64, previous: SyncManifest?
    ) -> SyncTransport {
        guard requested == .automatic else { return requested }
        if rsyncUsable {
            let deltaCandidate = toSend.contains { entry in
                entry.kind == .file && entry.size >= 16 << 20 && (inPlace || previous?.files[entry.path] != nil)
            }
            if deltaCandidate || (!tools.tar && (inPlace || worthRsync(toSend, bytes: bytes))) { return .rsync }
        }
        return tools.tar ? .tar : .sftp
    }

    /// Whether rsync pays for itself without tar: it needs a second SSH connection (a
    /// handshake and a login, several round trips) and a file-list exchange, which costs
    /// more than SFTP needs for a few small files.
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
            if changed { throw .changedWhileCopied(entry.path, worker: worker) }
        }
    }
}
