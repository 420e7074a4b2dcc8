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
        var request = JobRequest(
            command: lost.command, worker: lost.placement ?? lost.worker, environment: records.environment(of: lost.id),
            cwd: lost.cwd,
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
            exitCode: 0, logOffset: 0, job: lost.id, worker: lost.worker, lost: true)
        record.attempts = lost.attempts + [lostAttempt]
        record.priorAttempts = record.attempts.count
    }
}

extension JobEngine {
    /// Runs again the elements of an array that ended without success (failed, stopped, or
    /// lost: `unknown`), as elements of the same array (`JobArray`'s indices and values kept,
    /// its command, `request.command` ignored): spread over `request.worker` (by default the
    /// label the array was placed by, else its one worker), with `request`'s other settings
    /// (variables, directory, results, retries are given again, as they are not kept) and `cap`.
    /// Each earlier element's record names the one that replaced it (`supersededBy`), which
    /// lists it among its attempts; elements still running or that succeeded are left alone.
    /// GNU parallel's `--resume-failed`, over a job log p keeps itself.
    /// - Throws: `RemoteJobsError.unknownJob` for no such array; `.invalidArgument` when none
    ///   of its elements failed, or the workers cannot be told.
    public func retryFailed(
        _ arrayPrefix: String, request: JobRequest, cap: Int? = nil, sync observer: SyncObserver = SyncObserver()
    ) async throws -> ArraySubmission {
        let elements = try await arrayElements(arrayPrefix)
        guard let array = elements.first?.array else { throw RemoteJobsError.unknownJob(prefix: arrayPrefix) }
        let failed = elements.filter { element in
            switch element.status.removal {
            case .ended: return (element.status.reportedExitCode ?? 1) != 0
            case .lost: return true
            case .live, .preparing: return false
            }
        }
        guard !failed.isEmpty else {
            throw RemoteJobsError.invalidArgument(
                "No element of array \(array.shortID) failed (\(elements.count) elements; those still running are left alone)."
            )
        }
        var again = request
        again.id = array.id
        again.command = array.command
        if again.worker == nil {
            let workers = Set(failed.map(\.worker))
            guard let placement = failed.first?.placement ?? (workers.count == 1 ? workers.first : nil) else {
                throw RemoteJobsError.invalidArgument(
                    "The failed elements of array \(array.shortID) ran on \(workers.sorted().joined(separator: ", ")): give the workers (p @label --retry-failed \(array.shortID))."
                )
            }
            again.worker = placement
        }
        let values = try JobArray(
            elements: failed.compactMap { $0.array.map { JobArray.Element(index: $0.index, value: $0.value) } },
            cap: cap)
        var submission = try await submitArray(again, array: values, sync: observer)
        let earlier = Dictionary(
            failed.compactMap { element in element.array.map { ($0.index, element) } },
            uniquingKeysWith: { first, _ in first })
        for (position, record) in submission.records.enumerated() {
            guard let index = record.array?.index, var old = earlier[index] else { continue }
            var updated = record
            updated.attempts =
                old.attempts
                + [
                    JobAttempt(
                        number: old.attempts.count + 1, startedAt: old.startedAt ?? old.submittedAt,
                        endedAt: old.status.endedAt ?? Date(), exitCode: old.status.reportedExitCode ?? 0,
                        logOffset: 0, job: old.id, worker: old.worker,
                        lost: old.status.removal == .lost ? true : nil)
                ]
            updated.priorAttempts = updated.attempts.count
            try await saveRecord(updated)
            submission.records[position] = updated
            old.supersededBy = record.id
            try await saveRecord(old)
        }
        return submission
    }
}
