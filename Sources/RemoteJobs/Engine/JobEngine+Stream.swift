import Foundation
import SSHTransport

extension JobEngine {
    /// Streams a job's output until it ends (`p logs -f`).
    ///
    /// Without `offset`, it starts where an earlier interrupted stream stood (the record
    /// remembers), else at the beginning. Cancelling the calling task stops following; the
    /// job runs on and the record remembers the offset.
    /// - Returns: the record once the job ended (or is known to be gone).
    /// - Throws: `RemoteJobsError.connection` naming the job when the network drops.
    public func follow(_ idPrefix: String, from offset: UInt64? = nil, output: ([UInt8]) async -> Void) async throws
        -> JobRecord
    {
        var record = try await waitForPreparation(record(idPrefix))
        var offset = offset ?? record.resumeOffset ?? 0
        let result: ScriptResult
        do {
            result = try await link(worker(of: record)).run(
                FollowScript(jobDirectory: Self.jobDirectory(record), offset: offset, process: record.workerProcess),
                jobID: record.id,
                stdout: {
                    await output($0)
                    offset += UInt64($0.count)
                })
        } catch {
            try await handleInterruption(error, record: &record, started: true, offset: offset)
            throw error
        }
        return try await finishFollow(record, result: result, offset: &offset, output: output)
    }

    /// Follows a job as an async sequence of events: `.output` chunks, then `.ended`.
    /// Lossless, with bounded memory: a consumer that reads slowly slows the reading from
    /// the worker (see `JobEvents`). Ending the iteration early stops following (the job runs
    /// on).
    public func events(of idPrefix: String, from offset: UInt64? = nil) -> JobEvents {
        JobEvents { handoff in
            try await self.follow(idPrefix, from: offset) { await handoff.send(.output($0)) }
        }
    }

    /// Ends a follow: catches up on bytes the stream did not carry, follows again if the
    /// job turns out to be alive, then records how the job ended.
    func finishFollow(
        _ start: JobRecord, result: ScriptResult, offset: inout UInt64, output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        var record = start
        var result = result
        let worker = worker(of: record)
        do {
            let link = try link(worker)
            while true {
                if result.control.jobMissing {
                    record.status = .unknown(reason: "its files on the worker are gone")
                    break
                }
                guard let end = result.control.end else {
                    throw RemoteJobsError.remoteFailure(
                        worker: worker.name, action: "follow job \(record.shortID)",
                        detail: result.control.otherText.isEmpty
                            ? "the stream ended with \(result.status)" : result.control.otherText)
                }
                if offset < end.logSize {
                    result = try await link.run(
                        PollScript(
                            jobDirectory: Self.jobDirectory(record), offset: offset,
                            extent: .bytes(Int(clamping: end.logSize - offset))),
                        jobID: record.id,
                        stdout: {
                            await output($0)
                            offset += UInt64($0.count)
                        })
                    continue
                }
                if end.facts.exitCode == nil && end.facts.processAlive {
                    result = try await link.run(
                        FollowScript(
                            jobDirectory: Self.jobDirectory(record), offset: offset, process: record.workerProcess),
                        jobID: record.id,
                        stdout: {
                            await output($0)
                            offset += UInt64($0.count)
                        })
                    continue
                }
                record = Reconciler.reconcile(record, with: WorkerFacts(bootID: nil, jobs: [record.id: end.facts]))
                break
            }
        } catch {
            try await handleInterruption(error, record: &record, started: true, offset: offset)
            throw error
        }
        record.resumeOffset = nil
        try await saveRecord(record)
        return record
    }

    /// The job's output from `offset` to the end as it stands now, streamed to `output`
    /// (`p logs`), without waiting for more.
    /// - Returns: the record, reconciled with what the worker said.
    public func output(_ idPrefix: String, from offset: UInt64 = 0, output: ([UInt8]) async -> Void) async throws
        -> JobRecord
    {
        let record = try record(idPrefix)
        if case .syncing = record.status { return record }
        let result = try await link(worker(of: record)).run(
            PollScript(jobDirectory: Self.jobDirectory(record), offset: offset, extent: .all), jobID: record.id,
            stdout: output)
        return try await settle(record, with: result)
    }

    /// The stderr of a job started with `JobRequest.separateStderr`, at most `maxBytes`
    /// from its start (empty for other jobs).
    public func errorOutput(_ idPrefix: String, maxBytes: Int = 1 << 20) async throws -> [UInt8] {
        let record = try record(idPrefix)
        var bytes: [UInt8] = []
        _ = try await link(worker(of: record)).run(
            ErrorOutputScript(jobDirectory: Self.jobDirectory(record), maxBytes: maxBytes), jobID: record.id,
            stdout: { bytes += $0 })
        return bytes
    }

    /// At most `maxBytes` of the job's output from byte `since`, with the job's status:
    /// programs poll with the returned `newOffset` until the job ended and `more` is false.
    /// Polls go through one long-lived exec per worker, so a poll costs one round trip on
    /// an open channel.
    public func poll(_ idPrefix: String, since: UInt64, maxBytes: Int = 65536) async throws -> JobPoll {
        guard maxBytes >= 0 else { throw RemoteJobsError.invalidArgument("maxBytes must not be negative.") }
        let record = try record(idPrefix)
        if case .syncing = record.status {
            return JobPoll(record: record, chunk: [], offset: since, newOffset: since, more: false, logSize: 0)
        }
        var chunk: [UInt8] = []
        let worker = worker(of: record)
        let result: ScriptResult
        if let answer = try? await pollChannels.poll(
            Self.jobDirectory(record), offset: since, maxBytes: maxBytes, target: resolveTarget(worker), pool: pool)
        {
            result = ScriptResult(status: .exited(0), control: answer.0)
            chunk = answer.1
        } else {
            // No poll server (the connection dropped, say): a script of its own.
            result = try await link(worker).run(
                PollScript(jobDirectory: Self.jobDirectory(record), offset: since, extent: .bytes(maxBytes)),
                jobID: record.id, stdout: { chunk += $0 })
        }
        let settled = try await settle(record, with: result)
        let size = result.control.end?.logSize ?? 0
        let newOffset = since + UInt64(chunk.count)
        return JobPoll(
            record: settled, chunk: chunk, offset: since, newOffset: newOffset, more: size > newOffset, logSize: size)
    }

    /// The last `lines` lines of the job's output, with the job's status (`p logs --tail`).
    public func tail(_ idPrefix: String, lines: Int) async throws -> JobPoll {
        guard lines > 0 else { throw RemoteJobsError.invalidArgument("The number of lines must be at least 1.") }
        let record = try record(idPrefix)
        if case .syncing = record.status {
            return JobPoll(record: record, chunk: [], offset: 0, newOffset: 0, more: false, logSize: 0)
        }
        var chunk: [UInt8] = []
        let result = try await link(worker(of: record)).run(
            PollScript(jobDirectory: Self.jobDirectory(record), offset: 0, extent: .lastLines(lines)),
            jobID: record.id, stdout: { chunk += $0 })
        let settled = try await settle(record, with: result)
        let size = result.control.end?.logSize ?? UInt64(chunk.count)
        let start = size >= UInt64(chunk.count) ? size - UInt64(chunk.count) : 0
        return JobPoll(record: settled, chunk: chunk, offset: start, newOffset: size, more: false, logSize: size)
    }

    /// Waits until the job ended, checking on the worker (not streaming its output); a job
    /// being prepared is waited for first, and an unknown one asked about once more.
    /// - Returns: the record of the ended job.
    public func wait(_ idPrefix: String) async throws -> JobRecord {
        var record = try await waitForPreparation(record(idPrefix))
        var checkUnknown = !record.status.isRunning && record.status.isOnWorker
        while record.status.isRunning || checkUnknown {
            checkUnknown = false
            let result = try await link(worker(of: record)).run(
                WaitScript(jobDirectory: Self.jobDirectory(record), process: record.workerProcess), jobID: record.id)
            record = try await settle(record, with: result)
        }
        return record
    }

    /// Applies the facts a script's trailer carried to the record, saving it if it changed.
    func settle(_ record: JobRecord, with result: ScriptResult) async throws -> JobRecord {
        let facts: JobFacts
        if result.control.jobMissing {
            facts = JobFacts(exists: false)
        } else if let end = result.control.end {
            facts = end.facts
        } else {
            throw RemoteJobsError.remoteFailure(
                worker: record.worker, action: "read job \(record.shortID)",
                detail: result.control.otherText.isEmpty
                    ? "the script ended with \(result.status)" : result.control.otherText)
        }
        let updated = Reconciler.reconcile(record, with: WorkerFacts(bootID: nil, jobs: [record.id: facts]))
        if updated != record { try await saveRecord(updated) }
        return updated
    }
}
