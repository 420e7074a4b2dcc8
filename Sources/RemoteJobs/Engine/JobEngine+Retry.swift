import Foundation

extension JobEngine {
    /// Whether a waiting client should start `record` again (`RetryPolicy.onLost`): it has
    /// retries left, was not started again already, and is lost: its worker says it is gone
    /// (`unknown`: rebooted, its files or its process vanished without an exit code), or its
    /// worker has been out of reach since `outOfReachSince` for longer than the policy's
    /// `lostAfter`.
    static func shouldRelaunch(_ record: JobRecord, outOfReachSince: Date?, now: Date = Date()) -> Bool {
        guard let policy = record.retry, policy.onLost, record.supersededBy == nil,
            record.attempts.count < policy.count
        else { return false }
        if case .unknown = record.status { return true }
        guard record.status.isRunning, let since = outOfReachSince, let limit = policy.lostAfter else { return false }
        return now.timeIntervalSince(since) > Double(limit)
    }

    /// Starts a lost job again, as a new job: on a worker of the label it was placed by
    /// (placement skips workers out of reach), else on its own worker; with its command,
    /// directory (synced again, as it is now), variables (kept on this machine for this),
    /// array membership, results and retry policy, its attempts followed by the lost one. The
    /// new job's id comes from the lost one's (a client key, `p-relaunch:ID`), so of any
    /// number of clients that find it lost at once, one starts it and the others get that
    /// job. The lost record then names it (`supersededBy`), and the wait follows it.
    /// - Returns: the new job's record.
    func relaunch(_ lost: JobRecord, now: Date = Date()) async throws -> JobRecord {
        var environment: [(key: String, value: String)] = []
        if let bytes = records.environment(of: lost.id),
            let pairs = try? JSONDecoder().decode([[String]].self, from: Data(bytes))
        {
            environment = pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        }
        var request = JobRequest(
            command: lost.command, worker: lost.placement ?? lost.worker, environment: environment, cwd: lost.cwd,
            timeout: lost.timeoutSeconds.map { .seconds($0) }, syncDirectory: lost.synced ? lost.cwd : nil,
            submitter: lost.submitter, clientKey: "p-relaunch:" + lost.id)
        request.retry = lost.retry
        request.pull = lost.pull
        request.separateStderr = lost.separateStderr
        request.maxLog = lost.maxLog
        request.relaunchOf = lost
        let started = try await submit(request)
        var superseded = lost
        if let fresh = try records.load(lost.id) { superseded = fresh }
        superseded.supersededBy = started.id
        let why: String
        if case .unknown(let reason) = superseded.status {
            why = reason
        } else {
            why = "its worker was out of reach for longer than \(lost.retry?.lostAfter ?? 0) s"
            superseded.status = .unknown(reason: why)
        }
        superseded.status = .unknown(reason: why + "; started again as job \(started.shortID) on \(started.worker)")
        try await saveRecord(superseded)
        return started
    }

    /// What a relaunched job takes over from the lost one it replaces.
    static func carryOver(from lost: JobRecord, to record: inout JobRecord) {
        record.array = lost.array
        record.pull = lost.pull
        record.resultsDirectory = lost.resultsDirectory
        record.retry = lost.retry
        record.placement = lost.placement
        record.synced = lost.synced
        let lostAttempt = JobAttempt(
            number: lost.attempts.count + 1, startedAt: lost.startedAt ?? lost.submittedAt, endedAt: Date(),
            exitCode: 0, logOffset: 0, lostJob: lost.id, lostWorker: lost.worker)
        record.attempts = lost.attempts + [lostAttempt]
        record.priorAttempts = record.attempts.count
    }
}
