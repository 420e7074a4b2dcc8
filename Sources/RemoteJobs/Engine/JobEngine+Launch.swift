import Foundation
import SSHTransport

extension JobEngine {
    /// Starts a job and returns its record at once (`p -d`): the job runs on, detached from
    /// this process and the network.
    /// - Throws: `RemoteJobsError` (no such worker, the job could not start, the connection
    ///   failed).
    public func submit(_ request: JobRequest, sync observer: SyncObserver = SyncObserver()) async throws -> JobRecord {
        try await launch(request, follow: false, observer: observer, onStart: { _ in }, output: { _ in })
    }

    /// Starts a job and streams its output until it ends, in one exec on one connection
    /// (`p -- ...`).
    ///
    /// Cancelling the calling task detaches: the stream stops, the job runs on, and the
    /// record remembers where the output stood, so `follow` resumes there.
    /// - Parameters:
    ///   - onStart: called with the record once the job runs on the worker.
    ///   - output: the job's bytes, exactly as written, in order.
    /// - Returns: the record of the ended job.
    /// - Throws: `RemoteJobsError.connection` naming the job when the network drops (the job
    ///   runs on), `CancellationError` when detached.
    public func run(
        _ request: JobRequest, sync observer: SyncObserver = SyncObserver(), onStart: (JobRecord) -> Void = { _ in },
        output: ([UInt8]) -> Void
    ) async throws -> JobRecord {
        try await launch(request, follow: true, observer: observer, onStart: onStart, output: output)
    }

    private func launch(
        _ request: JobRequest, follow: Bool, observer: SyncObserver, onStart: (JobRecord) -> Void,
        output: ([UInt8]) -> Void
    ) async throws -> JobRecord {
        for entry in request.environment where !JobRequest.isValidKey(entry.key) {
            throw RemoteJobsError.invalidEnvironment(entry.key + "=" + entry.value)
        }
        if let id = request.id, UUID(uuidString: id) == nil {
            throw RemoteJobsError.invalidArgument("a job id must be a UUID, not '\(id)'")
        }
        let worker = try workers.load().worker(named: request.worker)
        var record = JobRecord(
            id: request.id?.lowercased() ?? UUID().uuidString.lowercased(), worker: worker.name,
            connection: worker.connection,
            root: worker.remoteRoot, command: request.command, cwd: request.cwd,
            timeoutSeconds: request.timeoutSeconds,
            sharedWorkdir: request.reuseWorkdir
                ? SyncManifest.sharedWorkdirName(directory: request.syncDirectory ?? request.cwd) : nil,
            submitter: request.submitter)
        let cwd = Array(request.cwd.utf8)
        let name = Array(worker.name.utf8)
        let environment = request.environment.isEmpty ? [] : request.environmentFile
        let arguments = [
            worker.remoteRoot, record.id, "\(cwd.count)", "\(name.count)", "\(environment.count)",
            "\(record.timeoutSeconds ?? 0)", "\(max(0, Int(request.grace.components.seconds)))",
            follow ? "1" : "0", RemoteScripts.wrapper, RemoteScripts.evalCommandFile,
            record.sharedWorkdir ?? record.id,
        ]
        // Plan the copy before touching the network: an unreadable file stops the job here.
        let plan = try request.syncDirectory.map { directory throws(RemoteJobsError) in
            try SyncPlanner.plan(root: directory)
        }
        // The record exists before the job does, so a job can never run unrecorded.
        try records.save(record)
        if let plan { observer.planned(plan) }
        do {
            try await prepareWorkdir(record, plan: plan, request: request, worker: worker, observer: observer)
        } catch {
            // No partial work directory is left looking complete, and no record of a job
            // that never started (a persistent work directory is released with it).
            _ = try? await runScript(
                RemoteScripts.remove, arguments: [record.root, record.id], on: worker, jobID: nil)
            try? records.remove(record.id)
            throw error
        }
        var offset: UInt64 = 0
        var started = false
        let result: ScriptResult
        do {
            result = try await runScript(
                RemoteScripts.launch, arguments: arguments,
                stdin: cwd + name + environment + Array(request.command.utf8),
                on: worker, jobID: record.id,
                stdout: {
                    output($0)
                    offset += UInt64($0.count)
                },
                onStart: { start in
                    record.pid = start.pid
                    record.startedAt = start.startedAt
                    record.bootID = start.bootID
                    try records.save(record)
                    started = true
                    onStart(record)
                })
        } catch {
            try handleInterruption(error, record: &record, started: started, offset: offset)
            throw error
        }
        guard started else {
            try? records.remove(record.id)
            let detail = result.control.otherText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw RemoteJobsError.remoteFailure(
                worker: worker.name, action: "start the job",
                detail: detail.isEmpty ? "the launcher ended with \(result.status)" : detail)
        }
        guard follow else { return record }
        return try await finishFollow(record, result: result, offset: &offset, output: output)
    }

    /// Takes the persistent work directory when the request reuses one, and copies the
    /// directory into the job's work directory.
    private func prepareWorkdir(
        _ record: JobRecord, plan: SyncPlanner.Plan?, request: JobRequest, worker: Worker, observer: SyncObserver
    ) async throws {
        if record.sharedWorkdir != nil {
            let manifestPath = SyncManifest.path(
                in: paths, directory: request.syncDirectory ?? request.cwd, worker: worker.name, root: record.root,
                shared: true)
            let previous = SyncManifest.load(manifestPath)
            let stale = plan.flatMap { previous?.stalePaths(comparedWith: $0) } ?? []
            try await claimSharedWorkdir(
                record, stale: stale, on: worker, wait: request.waitForWorkdir, waiting: observer.waitingForWorkdir)
            if let plan, let previous { try previous.merging(plan, removing: stale).save(manifestPath) }
        }
        if let plan, let directory = request.syncDirectory {
            try await sync(
                plan, from: directory, into: record, on: worker, via: request.syncTransport,
                hardLinks: request.hardLinks, observer: observer)
        }
    }

    /// After a launch or a stream was cut: a job that never started leaves no record; one
    /// that did remembers where its output stood.
    func handleInterruption(_ error: any Error, record: inout JobRecord, started: Bool, offset: UInt64) throws {
        if !started {
            if case RemoteJobsError.connection(_, _, let cause) = error, cause.happenedBeforeAnyRequest {
                try? records.remove(record.id)
            }
            return
        }
        if let fresh = try? records.load(record.id) { record = fresh }
        record.resumeOffset = offset
        try records.save(record)
    }
}

extension SSHError {
    /// Whether the failure came before anything was sent to the server's shell (connecting,
    /// the handshake, host-key checking, authentication), so no command can have run.
    var happenedBeforeAnyRequest: Bool {
        switch self {
        case .invalidTarget, .configInvalid, .nameResolutionFailed, .hostUnreachable, .connectionRefused,
            .hostKeyUnknown, .hostKeyChanged, .hostKeyRejected, .authenticationFailed, .identityFileMissing:
            return true
        default:
            return false
        }
    }
}
