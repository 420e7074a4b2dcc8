import Foundation
import SSHTransport

/// Prepares one job's work directory on its worker: takes the persistent work directory a
/// request reuses (`claim`), and copies a local directory into it (`copy`). The engine makes
/// one per job it prepares; everything it does on the worker goes through `link`.
///
/// A fresh work directory gets the files unchanged since the last sync from this directory
/// to this worker copied on the worker from that earlier work directory, when it still
/// holds them exactly as p left them; a persistent one keeps the files that are already
/// right. The directories are made in one exec; the rest travels as one tar stream, with
/// rsync (through p's own SSH), or over SFTP with several files in flight (see
/// `transport`). A file that changed while it was read fails the copy, so the job never
/// starts from a torn copy.
struct WorkdirSync {
    /// How the engine runs the local rsync: its remote shell (`p _exec`) and the ssh
    /// configuration that resolves the worker's connection string.
    struct Rsync: Sendable {
        var remoteShell: [String]
        var sshConfigFile: String?
    }

    /// The worker, on the engine's session pool.
    let link: WorkerLink
    /// The job being prepared.
    let record: JobRecord
    /// The client's files (sync manifests, the scratch directory).
    let paths: PPaths
    /// How to run the local rsync; nil when this engine cannot (directory sync then uses
    /// tar or SFTP).
    let rsync: Rsync?
    /// Told what happens, for progress and notes.
    let observer: SyncObserver
    /// Whether the p that prepared job `id` is known here to be gone (its record on this
    /// machine says so): a persistent work directory it claimed is then taken over at
    /// once instead of after its claim goes stale.
    let preparerIsGone: @Sendable (_ id: String) async -> Bool

    var worker: Worker { link.worker }
    private var jobDirectory: String { record.root + "/jobs/" + record.id }

    /// Copies the planned entries of `directory` into the job's work directory. In place
    /// (a persistent work directory), `stale` lists what the last sync left there that the
    /// client no longer has; it is removed first. A fresh work directory is the spare copy
    /// of the last one when the worker has it (`SpareCopy`); returns the spare copy the
    /// launch should start making of this one, if any.
    @discardableResult
    func copy(
        _ plan: SyncPlanner.Plan, from directory: String, via requested: SyncTransport, hardLinks: Bool,
        stale: [String]
    ) async throws -> SpareCopy? {
        let start = ContinuousClock.now
        let rsync = try localRsync(requested)
        let workdir = record.workdirPath
        let inPlace = record.sharedWorkdir != nil
        let manifestPath = SyncManifest.path(
            in: paths, directory: directory, worker: worker.name, root: record.root, shared: inPlace)
        let last = SyncManifest.load(manifestPath)
        // The last sync's fresh work directory, to copy unchanged files from (or take the
        // spare copy of).
        let previous = inPlace ? nil : last.flatMap { $0.workdirID == record.id ? nil : $0 }
        // A spare copy for the next sync (none with hard links, which cost less still).
        let spares = !inPlace && !hardLinks && worker.spareCopies && worker.kind.makesSpareCopies
        let prepared = try await link.ask(
            MakeDirectoriesScript(
                workdir: workdir, jobDirectory: jobDirectory,
                directories: plan.entries.filter { $0.kind == .directory }.map { ($0.mode, $0.path) },
                stale: inPlace ? stale : nil,
                spare: spares
                    ? previous.map {
                        (SpareCopy.path(root: record.root, id: $0.workdirID), $0.stalePaths(comparedWith: plan))
                    } : nil))
        if !prepared.replacedLinks.isEmpty { observer.note(.replacedLinks(prepared.replacedLinks)) }
        // When the last sync in place read its files: the racy ones are sent again.
        let lastWalk = inPlace ? last?.walkedAt : nil
        if inPlace, let last {
            // Saved before the copy: a sync cut halfway still knows all it may have left.
            let merged = last.merging(plan, removing: stale)
            try await BlockingWork.run { try merged.save(manifestPath) }
        }
        let tools = prepared.tools
        if link.isLocal && (requested == .rsync || requested == .sftp) {
            throw RemoteJobsError.invalidArgument(
                "A local worker's work directory is filled by tar (--sync-via tar or automatic), not \(requested).")
        }
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
        let rsyncUsable = rsync != nil && tools.rsync && !link.isLocal
        // rsync compares in place itself; otherwise the worker says what is already right.
        let rsyncInPlace = inPlace && rsyncUsable && (requested == .rsync || (requested == .automatic && !tools.tar))
        var kept: Set<String> = []
        if inPlace && !rsyncInPlace {
            kept = try await copyFromBase(
                workdir, lines: SyncManifest.checkLines(plan, lastWalk: lastWalk), hardLinks: false)
        } else if prepared.tookSpare, let previous {
            // The spare copy of the last work directory is this one: what is right stays.
            kept = try await copyFromBase(workdir, lines: previous.unchangedLines(in: plan), hardLinks: false)
        } else if let previous {
            kept = try await copyFromBase(
                record.root + "/workdirs/" + previous.workdirID, lines: previous.unchangedLines(in: plan),
                hardLinks: hardLinks)
        }
        let toSend = plan.entries.filter { $0.kind == .file ? !kept.contains($0.path) : true }
        let bytesToSend = toSend.reduce(0) { $0 + $1.size }
        // A local worker is this machine: tar into the work directory, no SSH.
        let transport =
            link.isLocal
            ? .tar
            : Self.transport(
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
            try await WorkerLink.againIfKeeperLost {
                try await streamTar(toSend, from: directory, to: workdir, totalBytes: bytesToSend)
            }
        case .sftp, .automatic:  // `transport(...)` never answers `.automatic`
            try await upload(toSend, from: directory, to: workdir, replacing: inPlace || prepared.tookSpare)
        }
        let manifest = SyncManifest(
            plan: plan, directory: directory, worker: worker.name, root: record.root, workdirID: record.id)
        let worker = self.worker
        try await BlockingWork.run {
            try Self.checkUnchanged(toSend, in: directory, worker: worker)
            try manifest.save(manifestPath)
        }
        observer.finished(
            SyncReport(
                transport: transport, entries: plan.entries.count, bytes: plan.totalBytes, filesKept: kept.count,
                entriesSent: toSend.count, bytesSent: bytesToSend, tookSpare: prepared.tookSpare,
                duration: ContinuousClock.now - start))
        return spares
            ? SpareCopy(replacing: prepared.tookSpare ? nil : previous?.workdirID, sizeKB: plan.totalBytes / 1024)
            : nil
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

    /// Fails when a file sent is no longer as it was planned: the copy may hold a mix of
    /// its old and new contents.
    static func checkUnchanged(_ entries: [SyncEntry], in directory: String, worker: Worker) throws(RemoteJobsError) {
        for entry in entries where entry.kind == .file {
            var info = stat()
            let changed =
                lstat(directory + "/" + entry.path, &info) != 0 || UInt64(info.st_size) != entry.size
                || Int64(info.modified.tv_sec) != entry.modifiedSeconds
                || Int32(info.modified.tv_nsec) != entry.modifiedNanoseconds
            if changed { throw .changedWhileCopied(entry.path, worker: worker) }
        }
    }
}
