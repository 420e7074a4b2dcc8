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
    public func follow(_ idPrefix: String, from offset: UInt64? = nil, output: ([UInt8]) -> Void) async throws
        -> JobRecord
    {
        var record = try record(idPrefix)
        var offset = offset ?? record.resumeOffset ?? 0
        let result: ScriptResult
        do {
            result = try await runScript(
                RemoteScripts.follow, arguments: [Self.jobDirectory(record), "\(offset)"],
                on: worker(of: record), jobID: record.id,
                stdout: {
                    output($0)
                    offset += UInt64($0.count)
                })
        } catch {
            try handleInterruption(error, record: &record, started: true, offset: offset)
            throw error
        }
        return try await finishFollow(record, result: result, offset: &offset, output: output)
    }

    /// Follows a job as an async sequence of events: `.output` chunks, then `.ended`.
    /// Ending the iteration early stops following (the job runs on).
    public func events(of idPrefix: String, from offset: UInt64? = nil) -> AsyncThrowingStream<JobEvent, any Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(16)) { continuation in
            let task = Task {
                do {
                    let record = try await self.follow(idPrefix, from: offset) { continuation.yield(.output($0)) }
                    continuation.yield(.ended(record))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Ends a follow: catches up on bytes the stream did not carry, follows again if the
    /// job turns out to be alive, then records how the job ended.
    func finishFollow(
        _ start: JobRecord, result: ScriptResult, offset: inout UInt64, output: ([UInt8]) -> Void
    ) async throws -> JobRecord {
        var record = start
        var result = result
        let worker = worker(of: record)
        do {
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
                    result = try await runScript(
                        RemoteScripts.poll,
                        arguments: [Self.jobDirectory(record), "\(offset)", "\(end.logSize - offset)", "0"],
                        on: worker, jobID: record.id,
                        stdout: {
                            output($0)
                            offset += UInt64($0.count)
                        })
                    continue
                }
                if end.facts.exitCode == nil && end.facts.processAlive {
                    result = try await runScript(
                        RemoteScripts.follow, arguments: [Self.jobDirectory(record), "\(offset)"],
                        on: worker, jobID: record.id,
                        stdout: {
                            output($0)
                            offset += UInt64($0.count)
                        })
                    continue
                }
                record = Reconciler.reconcile(record, with: WorkerFacts(bootID: nil, jobs: [record.id: end.facts]))
                break
            }
        } catch {
            try handleInterruption(error, record: &record, started: true, offset: offset)
            throw error
        }
        record.resumeOffset = nil
        try records.save(record)
        return record
    }

    /// The job's output from `offset` to the end as it stands now, streamed to `output`
    /// (`p logs`), without waiting for more.
    /// - Returns: the record, reconciled with what the worker said.
    public func output(_ idPrefix: String, from offset: UInt64 = 0, output: ([UInt8]) -> Void) async throws -> JobRecord
    {
        let record = try record(idPrefix)
        let result = try await runScript(
            RemoteScripts.poll, arguments: [Self.jobDirectory(record), "\(offset)", "all", "0"],
            on: worker(of: record), jobID: record.id, stdout: output)
        return try settle(record, with: result)
    }

    /// At most `maxBytes` of the job's output from byte `since`, with the job's status:
    /// programs poll with the returned `newOffset` until the job ended and `more` is false.
    /// Polls go through one long-lived exec per worker, so a poll costs one round trip on
    /// an open channel.
    public func poll(_ idPrefix: String, since: UInt64, maxBytes: Int = 65536) async throws -> JobPoll {
        guard maxBytes >= 0 else { throw RemoteJobsError.invalidArgument("maxBytes must not be negative.") }
        let record = try record(idPrefix)
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
            result = try await runScript(
                RemoteScripts.poll, arguments: [Self.jobDirectory(record), "\(since)", "\(maxBytes)", "0"],
                on: worker, jobID: record.id, stdout: { chunk += $0 })
        }
        let settled = try settle(record, with: result)
        let size = result.control.end?.logSize ?? 0
        let newOffset = since + UInt64(chunk.count)
        return JobPoll(
            record: settled, chunk: chunk, offset: since, newOffset: newOffset, more: size > newOffset, logSize: size)
    }

    /// The last `lines` lines of the job's output, with the job's status (`p logs --tail`).
    public func tail(_ idPrefix: String, lines: Int) async throws -> JobPoll {
        guard lines > 0 else { throw RemoteJobsError.invalidArgument("The number of lines must be at least 1.") }
        let record = try record(idPrefix)
        var chunk: [UInt8] = []
        let result = try await runScript(
            RemoteScripts.poll, arguments: [Self.jobDirectory(record), "0", "0", "\(lines)"],
            on: worker(of: record), jobID: record.id, stdout: { chunk += $0 })
        let settled = try settle(record, with: result)
        let size = result.control.end?.logSize ?? UInt64(chunk.count)
        let start = size >= UInt64(chunk.count) ? size - UInt64(chunk.count) : 0
        return JobPoll(record: settled, chunk: chunk, offset: start, newOffset: size, more: false, logSize: size)
    }

    /// Waits until the job ended, checking on the worker (not streaming its output).
    /// - Returns: the record of the ended job.
    public func wait(_ idPrefix: String) async throws -> JobRecord {
        var record = try record(idPrefix)
        while record.status.isRunning {
            let result = try await runScript(
                RemoteScripts.wait, arguments: [Self.jobDirectory(record)], on: worker(of: record), jobID: record.id)
            record = try settle(record, with: result)
        }
        return record
    }

    /// Applies the facts a script's trailer carried to the record, saving it if it changed.
    func settle(_ record: JobRecord, with result: ScriptResult) throws -> JobRecord {
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
        if updated != record { try records.save(updated) }
        return updated
    }
}
