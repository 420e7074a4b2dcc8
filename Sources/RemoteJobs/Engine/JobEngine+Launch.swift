import Foundation
import SSHTransport

extension JobEngine {
    /// Starts a job and returns its record at once (`p -d`): the job runs on, detached from
    /// this process and the network. On a Slurm worker, it returns once `sbatch` took the
    /// job: the record is `queued`, with the Slurm job id.
    /// - Parameters:
    ///   - request: the job: its command, worker, directory and settings.
    ///   - observer: told of the directory sync's progress, if there is one.
    /// - Throws: `RemoteJobsError` (no such worker, the job could not start, the connection
    ///   failed).
    public func submit(_ request: JobRequest, sync observer: SyncObserver = SyncObserver()) async throws -> JobRecord {
        try await launch(
            request, follow: false, observer: observer, onStart: { _ in }, onStatus: { _ in }, output: { _ in })
    }

    /// Starts a job and streams its output until it ends, in one exec on one connection
    /// (`p -- ...`).
    ///
    /// Cancelling the calling task detaches: the stream stops, the job runs on, and the
    /// record remembers where the output stood, so `follow` resumes there.
    /// - Parameters:
    ///   - request: the job: its command, worker, directory and settings.
    ///   - observer: told of the directory sync's progress, if there is one.
    ///   - onStart: called with the record once the job runs on the worker (on a Slurm
    ///     worker: once Slurm took it; it is `queued`).
    ///   - onStatus: called with the record when a Slurm job's place in the queue changes
    ///     (`queued` with Slurm's reason) and when it starts (`running`).
    ///   - output: the job's bytes, exactly as written, in order.
    ///   - errorOutput: for a request with `separateStderr`, the bytes of the job's stderr,
    ///     streamed beside `output` on a channel of their own (without it, they stay in the
    ///     job's `stderr.log` for `follow(_:stream:)`).
    /// - Returns: the record of the ended job, once both streams ended.
    /// - Throws: `RemoteJobsError.connection` naming the job when the network drops (the job
    ///   runs on), `CancellationError` when detached.
    public func run(
        _ request: JobRequest, sync observer: SyncObserver = SyncObserver(), onStart: (JobRecord) -> Void = { _ in },
        onStatus: (JobRecord) -> Void = { _ in }, output: ([UInt8]) async -> Void,
        errorOutput: (@Sendable ([UInt8]) async -> Void)? = nil
    ) async throws -> JobRecord {
        guard request.separateStderr, let errorOutput else {
            return try await launch(
                request, follow: true, observer: observer, onStart: onStart, onStatus: onStatus, output: output)
        }
        // The stderr stream starts once the job exists on the worker (its script waits
        // there for a queued job to start).
        let (starts, announce) = AsyncStream<JobRecord>.makeStream()
        let errorOffset = StreamOffset(0)
        defer { announce.finish() }
        return try await alongside(
            errorOffset,
            errorStream: {
                for await record in starts {
                    errorOffset.jobID = record.id
                    _ = try await self.followErrorOutput(record, at: errorOffset, onGap: nil, output: errorOutput)
                    return
                }
            }
        ) {
            let ended = try await launch(
                request, follow: true, observer: observer,
                onStart: { record in
                    onStart(record)
                    announce.yield(record)
                    announce.finish()
                }, onStatus: onStatus, output: output)
            announce.finish()
            return ended
        }
    }

    private func launch(
        _ request: JobRequest, follow: Bool, observer: SyncObserver, onStart: (JobRecord) -> Void,
        onStatus: (JobRecord) -> Void, output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        try request.checkFields()
        var request = request
        var keyed: KeyedRequest?
        var abandoned: JobRecord?
        if let key = request.clientKey {
            let id = JobRequest.jobID(forClientKey: key)
            if let given = request.id, given.lowercased() != id {
                throw RemoteJobsError.invalidArgument("a request with a client key gets the id \(id), not \(given)")
            }
            request.id = id
            keyed = KeyedRequest(request)
            switch try await existingJob(id: id, key: key, keyed: KeyedRequest(request)) {
            case .found(let existing):
                return follow ? try await self.follow(existing.id, output: output) : existing
            case .abandoned(let earlier):
                // Back to the worker the earlier submit chose: a pool must not start it on
                // another; its record, which says which, is taken over, never dropped.
                request.worker = earlier.worker
                abandoned = earlier
            case .none:
                break
            }
        }
        if let id = request.id, UUID(uuidString: id) == nil {
            throw RemoteJobsError.invalidArgument("a job id must be a UUID, not '\(id)'")
        }
        let worker: Worker
        if let name = request.worker, name.hasPrefix("@") {
            let placement = try await place(
                label: String(name.dropFirst()), gpus: try request.gpuCount, directory: request.syncDirectory)
            observer.placed(placement)
            worker = placement.worker
        } else {
            worker = try await loadWorkers().worker(named: request.worker)
        }
        try JobRequest.checkDependencies(request.after)
        var dependencies: [JobRecord] = []
        for prefix in request.after { dependencies.append(try await loadRecord(prefix)) }
        for dependency in dependencies where dependency.worker != worker.name || dependency.root != worker.remoteRoot {
            throw RemoteJobsError.invalidArgument(
                "job \(dependency.shortID) runs on worker '\(dependency.worker)', and this job on '\(worker.name)': a job can only run after jobs on its own worker."
            )
        }
        try worker.kind.check(request, dependencies: dependencies, on: worker)
        var record = JobRecord(
            id: request.id?.lowercased() ?? UUID().uuidString.lowercased(), worker: worker.name,
            connection: worker.connection,
            root: worker.remoteRoot, command: request.command, cwd: request.cwd,
            timeoutSeconds: request.timeoutSeconds,
            sharedWorkdir: request.reuseWorkdir
                ? SyncManifest.sharedWorkdirName(directory: request.syncDirectory ?? request.cwd) : nil,
            submitter: request.submitter, clientKey: request.clientKey)
        record.status = .syncing(by: .current)
        record.after = dependencies.map(\.id)
        try Self.keep(
            request, in: &record, maxLog: request.maxLog ?? worker.maxLog, synced: request.syncDirectory != nil)
        if let lost = request.relaunchOf { Self.carryOver(from: lost, to: &record) }
        var script = LaunchScript(
            root: worker.remoteRoot, jobID: record.id, cwd: request.cwd, workerName: worker.name,
            environmentFile: request.environmentFile, timeoutSeconds: record.timeoutSeconds,
            graceSeconds: request.grace.wholeSecondsRoundedUp, follow: follow,
            workdirName: record.sharedWorkdir ?? record.id,
            prepared: request.syncDirectory != nil || request.reuseWorkdir, command: request.command,
            slots: worker.kind.queuesItself ? worker.slots : nil,
            gpus: worker.kind.queuesItself ? try request.gpuCount : 0, once: request.clientKey != nil,
            separateStderr: request.separateStderr, onEnd: request.onEnd, maxLog: record.maxLog)
        script.retry = request.retry.flatMap { policy in
            var left = policy
            left.count -= record.priorAttempts
            return left.count > 0 ? left.workerLine : nil
        }
        let link = try link(worker)
        // Plan the copy before touching the network: an unreadable file stops the job here.
        var plan: SyncPlanner.Plan?
        if let directory = request.syncDirectory {
            // The walk reads the disk: on a thread outside the cooperative pool.
            plan = try await BlockingWork.run { try SyncPlanner.plan(root: directory) }
        }
        // The record exists before the job does, so a job can never run unrecorded.
        if let keyed, let key = request.clientKey {
            record.keyedRequest = keyed.line
            // Of all the submits of this key on this machine, one creates the record (or
            // takes over the one an earlier submit's p left when it died); the others
            // return its job.
            let taken = try abandoned.map { _ throws(RemoteJobsError) in try records.update(record) } ?? false
            guard try taken || records.create(record) else {
                if case .found(let existing) = try await existingJob(id: record.id, key: key, keyed: keyed) {
                    return follow ? try await self.follow(existing.id, output: output) : existing
                }
                throw RemoteJobsError.remoteFailure(
                    worker: worker.name, action: "submit job \(record.shortID)",
                    detail: "another submit with the same key gave up on it; submit again")
            }
            // And of all the submits of this key to this worker, from any machine, one
            // claims the job's directory there; the others return its job.
            if let started = try await claimOnWorker(record, key: key, keyed: keyed, link: link) {
                return follow ? try await self.follow(started.id, output: output) : started
            }
        } else {
            try await createRecord(record)
        }
        if let retry = request.retry, retry.onLost {
            // A relaunch on another worker needs the variables again: kept here, 0600.
            try records.saveEnvironment(request.environment, of: record.id)
        }
        if !dependencies.isEmpty {
            // Read again now that this job's record names them, so a prune from here on
            // keeps them (`JobEngine.prune`): each as the queue will decide by it, its exit
            // code if it ended (the queue then needs none of its files), else its id.
            let tokens = try dependencies.map { dependency throws in
                guard let fresh = try records.load(dependency.id) else {
                    try? records.remove(record.id)
                    throw RemoteJobsError.unknownJob(prefix: dependency.id)
                }
                return fresh.dependencyToken
            }
            script.after = (tokens, request.afterAnyOutcome)
        }
        if let plan { observer.planned(plan) }
        do {
            script.spare = try await prepareWorkdir(
                record, plan: plan, request: request, link: link, observer: observer)
            // `p rm --force` may have removed the job while it was prepared: then it never starts.
            guard (try? records.load(record.id)) ?? nil != nil else {
                throw RemoteJobsError.jobRemovedWhilePreparing(id: record.id)
            }
        } catch {
            // No partial work directory is left looking complete, and no record of a job
            // that never started (a persistent work directory is released with it). The
            // record goes first: when the caller gave up (Ctrl+C), the worker gets a moment
            // only, since it may not be answering at all.
            try? records.remove(record.id)
            let files = RemoveScript(root: record.root, records: [record])
            if Task.isCancelled {
                await Self.bestEffort(within: .milliseconds(400)) { _ = try await link.run(files) }
            } else {
                _ = try? await link.run(files)
            }
            throw error
        }
        var offset: UInt64 = 0
        var lastByte: UInt8?
        var started = false
        var execStarted = false
        let result: ScriptResult
        do {
            func stdout(_ bytes: [UInt8]) async {
                await output(bytes)
                offset += UInt64(bytes.count)
                lastByte = bytes.last ?? lastByte
            }
            func onEvent(_ event: ControlLines.Event) async throws {
                switch event {
                case .submitted(let slurmJobID):
                    // Slurm has it: from here on the job exists, queued.
                    record.slurmJobID = slurmJobID
                    record.status = .queued(reason: nil)
                    // The job exists: recorded even if its record was removed meanwhile.
                    try await createRecord(record)
                    started = true
                    onStart(record)
                case .enqueued:
                    // In the worker's queue: from here on the job exists.
                    record.status = .queued(reason: nil)
                    try await createRecord(record)
                    started = true
                    onStart(record)
                case .queued(let reason):
                    record.status = .queued(reason: reason)
                    try await saveRecord(record)
                    onStatus(record)
                case .started(let start):
                    let now = Date()
                    // The worker writes whole seconds: an offset under 2 s is rounding and latency.
                    record.workerClockOffset = start.startedAt.map { $0.timeIntervalSince(now) }.flatMap {
                        abs($0) < 2 ? nil : $0.rounded()
                    }
                    // The worker's own second, as its end will be: a duration between two of
                    // its stamps is not cut short by the part of a second this one lost.
                    record.startedAt = start.startedAt.map { record.clientTime(ofWorkerTime: $0) } ?? now
                    record.status = .running
                    if record.slurmJobID == nil {
                        record.pid = start.pid
                        record.bootID = start.bootID
                    }
                    try await createRecord(record)
                    if started {
                        // Announced when it was queued: now it runs.
                        onStatus(record)
                    } else {
                        started = true
                        onStart(record)
                    }
                }
            }
            result = try await link.run(
                worker.kind.launchScript(script, on: worker, request: request), jobID: record.id,
                onExec: { execStarted = true }, stdout: stdout, onEvent: onEvent)
        } catch {
            if error is CancellationError && !execStarted {
                // Given up before the launcher was even started: nothing ran.
                try? records.remove(record.id)
                throw error
            }
            try await handleInterruption(error, record: &record, started: started, offset: offset)
            if !started, case RemoteJobsError.connection(let name, _, let cause) = error {
                // Refused before anything ran: there is no job to speak of. Cut later: it
                // may have started.
                throw cause.happenedBeforeAnyRequest
                    ? RemoteJobsError.connection(worker: name, jobID: nil, cause)
                    : RemoteJobsError.launchInterrupted(worker: name, jobID: record.id, cause)
            }
            throw error
        }
        if !started, keyed != nil, result.status == .exited(97) {
            // Another submit of this key started the job as this one took over a claim.
            return try await adoptStartedJob(record)
        }
        guard started else {
            try? records.remove(record.id)
            let detail = result.control.otherText.split(separator: "\n")
                .map { $0.hasPrefix("p: ") ? $0.dropFirst(3) : $0 }.joined(separator: "; ")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw RemoteJobsError.remoteFailure(
                worker: worker.name, action: "start the job",
                detail: detail.isEmpty ? "the launcher ended with \(result.status)" : detail)
        }
        guard follow else { return record }
        return try await finishFollow(record, result: result, offset: &offset, lastByte: lastByte, output: output)
    }

    /// What this machine knows of the job of a client key.
    private enum EarlierSubmit {
        /// Nothing: no record.
        case none
        /// Its record.
        case found(JobRecord)
        /// The record of a job never seen to start, whose p died while preparing it: the
        /// job may have started on its worker or not, as its claim there tells.
        case abandoned(JobRecord)
    }

    /// The job an earlier submit with the same client key started on this machine, if
    /// any: its record (reconciled with the worker), once its preparation (by another p
    /// process) ended. A submit whose p died before its job started is no job: its record
    /// goes, and the claim on its worker says whether the job started after all.
    /// - Throws: `RemoteJobsError.clientKeyReused` when the key named another request.
    private func existingJob(id: String, key: String, keyed: KeyedRequest) async throws -> EarlierSubmit {
        guard let local = try records.load(id) else {
            if let removed = records.tombstone(id) {
                try Self.refuseRemoved(key: key, id: id, keyed: keyed, earlier: KeyedRequest.parse(removed))
            }
            return .none
        }
        let earlier = local.keyedRequest.flatMap(KeyedRequest.parse)
        if let difference = earlier.map({ keyed.difference(from: $0) })
            ?? (local.command == "" || KeyedRequest.digest(local.command) == keyed.command
                ? nil : "a different command")
        {
            throw RemoteJobsError.clientKeyReused(key: key, id: id, difference: difference)
        }
        var settled = try settlePreparation(local)
        if case .syncing = settled.status {
            // Another submit of this key, on this machine, is preparing it.
            do {
                settled = try await waitForPreparation(settled)
            } catch RemoteJobsError.unknownJob {
                return .none  // It failed and took its record with it: submit it here.
            }
        }
        if case .unknown = settled.status, settled.startedAt == nil, settled.pid == nil, settled.slurmJobID == nil {
            // Its p died while preparing it (now, or before another p settled its record):
            // whether the job started after all, the claim on the worker tells.
            return .abandoned(settled)
        }
        // Only a job that runs (or may) needs the worker asked; an ended one is as recorded.
        guard settled.status.isOnWorker else { return .found(settled) }
        return .found((await reconcileRunning([settled])).0.first ?? settled)
    }

    /// Claims the job's directory on its worker for a submit with a client key (see
    /// `ClaimJobScript`), waiting while another submit of the key prepares it there.
    /// - Returns: nil when this submit claimed it; the job's record when another submit
    ///   (from another machine) started it.
    /// - Throws: `RemoteJobsError.clientKeyReused` when the key named another request there.
    private func claimOnWorker(_ record: JobRecord, key: String, keyed: KeyedRequest, link: WorkerLink) async throws
        -> JobRecord?
    {
        do {
            while true {
                switch try await link.ask(ClaimJobScript(root: record.root, jobID: record.id, request: keyed)) {
                case .claimed:
                    return nil
                case .removed(let earlier):
                    try Self.refuseRemoved(key: key, id: record.id, keyed: keyed, earlier: earlier)
                case .taken(let earlier, let started, let pid):
                    // A claim being made may not have its request written yet.
                    if let difference = earlier.map({ keyed.difference(from: $0) })
                        ?? (started ? "a request p cannot read" : nil)
                    {
                        throw RemoteJobsError.clientKeyReused(key: key, id: record.id, difference: difference)
                    }
                    if started { return try await adoptStartedJob(record, pid: pid) }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
        } catch {
            switch error {
            case RemoteJobsError.connection, is CancellationError:
                // The claim may have been made, or an earlier submit may have started the
                // job there: the record stays, so the next submit of the key comes back here.
                break
            default:
                // The worker answered: nothing of this submit is there.
                try? records.remove(record.id)
            }
            throw error
        }
    }

    /// The error for a submit of a key whose job ran and was removed: the key is used.
    private static func refuseRemoved(key: String, id: String, keyed: KeyedRequest, earlier: KeyedRequest?) throws
        -> Never
    {
        if let difference = earlier.flatMap({ keyed.difference(from: $0) }) {
            throw RemoteJobsError.clientKeyReused(key: key, id: id, difference: difference)
        }
        throw RemoteJobsError.clientKeyRetired(key: key, id: id)
    }

    /// The record of a job another submit of the same key started on `record`'s worker,
    /// made from what the worker has (its `pid` file, the launcher's own record being on
    /// the machine that launched it), in place of `record`.
    private func adoptStartedJob(_ record: JobRecord, pid: Int? = nil) async throws -> JobRecord {
        var found = record
        found.status = .running
        found.pid = pid
        let reconciled = (await reconcileRunning([found])).0.first ?? found
        try await saveRecord(reconciled)
        return reconciled
    }

    /// What a new job's record keeps of its request beyond its command and place: how its
    /// logs are kept, its results, its retry policy, whether its directory was synced, the
    /// label it was placed by.
    /// - Throws: `RemoteJobsError.invalidArgument` for a log cap too small.
    static func keep(_ request: JobRequest, in record: inout JobRecord, maxLog: UInt64?, synced: Bool)
        throws(RemoteJobsError)
    {
        if let maxLog { try JobRequest.checkMaxLog(maxLog) }
        record.separateStderr = request.separateStderr
        record.maxLog = maxLog
        record.pull = request.pull
        record.resultsDirectory = resultsDirectory(for: record, request: request)
        record.retry = request.retry
        record.synced = synced
        record.placement = request.worker.flatMap { $0.hasPrefix("@") ? $0 : nil }
    }

    /// Takes the persistent work directory when the request reuses one, and copies the
    /// directory into the job's work directory (see `WorkdirSync`); returns the spare copy
    /// the launch should start making, if any.
    private func prepareWorkdir(
        _ record: JobRecord, plan: SyncPlanner.Plan?, request: JobRequest, link: WorkerLink, observer: SyncObserver
    ) async throws -> SpareCopy? {
        let sync = WorkdirSync(
            link: link, record: record, paths: paths,
            rsync: rsyncRemoteShell.map { WorkdirSync.Rsync(remoteShell: $0, sshConfigFile: sshConfigFile) },
            observer: observer, preparerIsGone: { id in self.preparerIsGone(id) })
        var stale: [String] = []
        if record.sharedWorkdir != nil {
            let manifestPath = SyncManifest.path(
                in: paths, directory: request.syncDirectory ?? request.cwd, worker: link.worker.name,
                root: record.root, shared: true)
            if let plan { stale = SyncManifest.load(manifestPath)?.stalePaths(comparedWith: plan) ?? [] }
            try await sync.claim(wait: request.waitForWorkdir)
        }
        guard let plan, let directory = request.syncDirectory else { return nil }
        return try await sync.keepingClaimFresh {
            try await sync.copy(
                plan, from: directory, via: request.syncTransport, hardLinks: request.hardLinks, stale: stale)
        }
    }

    /// Whether this machine's record of job `id` shows that the p preparing it is gone
    /// (the job never started, and never will).
    private func preparerIsGone(_ id: String) -> Bool {
        guard let local = try? records.load(id), case .unknown = (try? settlePreparation(local))?.status else {
            return false
        }
        return true
    }

    /// Runs `body` even when the calling task was cancelled, for at most `limit`: cleanup
    /// that should happen if the worker answers at once, but must never hold up a Ctrl+C.
    static func bestEffort(within limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async {
        let work = Task { try await body() }
        let timer = Task {
            try await Task.sleep(for: limit)
            work.cancel()
        }
        _ = await work.result
        timer.cancel()
    }

    /// After a launch or a stream was cut: a job that never started leaves no record; one
    /// that did remembers where its output stood.
    func handleInterruption(_ error: any Error, record: inout JobRecord, started: Bool, offset: UInt64) async throws {
        if !started {
            if case RemoteJobsError.connection(_, _, let cause) = error, cause.happenedBeforeAnyRequest {
                try? records.remove(record.id)
            }
            return
        }
        if let fresh = try? records.load(record.id) { record = fresh }
        record.resumeOffset = offset
        try await saveRecord(record)
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
