import Foundation
import SSHTransport

extension JobEngine {
    /// Streams a job's output until it ends (`p logs -f`).
    ///
    /// Without `offset`, it starts where an earlier interrupted stream stood (the record
    /// remembers), else at the beginning. Cancelling the calling task stops following; the
    /// job runs on and the record remembers the offset. With `stream` `.stderr`, it streams
    /// the stderr of a job that keeps it apart, from `offset` or the beginning.
    /// - Returns: the record once the job ended (or is known to be gone).
    /// - Throws: `RemoteJobsError.connection` naming the job when the network drops;
    ///   `RemoteJobsError.invalidArgument` for `.stderr` of a job that does not keep it apart.
    public func follow(
        _ idPrefix: String, from offset: UInt64? = nil, stream: LogStream = .stdout,
        output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        try await follow(record(idPrefix), from: offset, stream: stream, saving: true, output: output)
    }

    /// `follow`, where `saving` says whether this stream records what it learns (where it
    /// stood when cut, how the job ended): the stream beside another one of the same job
    /// leaves that to the other. `onGap` hears of the part a capped log dropped; without
    /// it, the gap's notice goes into `output` as a line of its own.
    func follow(
        _ start: JobRecord, from offset: UInt64?, stream: LogStream, saving: Bool,
        onGap: ((LogGap) async -> Void)? = nil, output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        var record = try await waitForPreparation(start)
        try Self.check(stream, of: record)
        var offset = offset ?? (stream == .stdout ? record.resumeOffset : nil) ?? 0
        var lastByte: UInt8?
        let result: ScriptResult
        do {
            let link = try await link(of: record)
            result = try await WorkerLink.againIfKeeperLost {
                try await link.run(
                    FollowScript(
                        jobDirectory: Self.jobDirectory(record), offset: offset, process: record.workerProcess,
                        stream: stream),
                    jobID: record.id,
                    stdout: {
                        await output($0)
                        offset += UInt64($0.count)
                        lastByte = $0.last ?? lastByte
                    })
            }
        } catch {
            if saving { try await handleInterruption(error, record: &record, started: true, offset: offset) }
            throw error
        }
        return try await finishFollow(
            record, result: result, stream: stream, saving: saving, offset: &offset, lastByte: lastByte,
            onGap: onGap, output: output)
    }

    /// Follows a job as an async sequence of events: `.output` chunks (and, for a job that
    /// keeps stderr apart, `.errorOutput` chunks, from the beginning of its stderr), then
    /// `.ended`. Lossless, with bounded memory: a consumer that reads slowly slows the
    /// reading from the worker (see `JobEvents`). Ending the iteration early stops
    /// following (the job runs on).
    public func events(of idPrefix: String, from offset: UInt64? = nil) -> JobEvents {
        JobEvents { handoff in try await self.followEvents(idPrefix, from: offset, to: handoff) }
    }

    /// What `events` sends: the job's output, and its stderr when it keeps it apart.
    private func followEvents(_ idPrefix: String, from offset: UInt64?, to handoff: EventHandoff) async throws
        -> JobRecord
    {
        let record = try await loadRecord(idPrefix)
        var errorOutput: (@Sendable ([UInt8]) async -> Void)?
        if record.separateStderr { errorOutput = { bytes in await handoff.send(.errorOutput(bytes)) } }
        return try await followBoth(
            record, from: offset, output: { bytes in await handoff.send(.output(bytes)) }, errorOutput: errorOutput,
            onGap: { gap, stderr in await handoff.send(.gap(gap, stderr: stderr)) })
    }

    /// Follows a job's output and, with `errorOutput`, its stderr from the beginning beside
    /// it; returns once both ended.
    func followBoth(
        _ record: JobRecord, from offset: UInt64?, errorFrom: UInt64 = 0, output: ([UInt8]) async -> Void,
        errorOutput: (@Sendable ([UInt8]) async -> Void)?,
        onGap: (@Sendable (LogGap, _ stderr: Bool) async -> Void)?
    ) async throws -> JobRecord {
        // Without `onGap`, each stream gets a gap's notice as a line of its own.
        let outputGap: ((LogGap) async -> Void)? = onGap.map { onGap in { await onGap($0, false) } }
        guard let errorOutput else {
            return try await follow(
                record, from: offset, stream: .stdout, saving: true, onGap: outputGap, output: output)
        }
        let errorOffset = StreamOffset(errorFrom)
        errorOffset.jobID = record.id
        return try await alongside(
            errorOffset,
            errorStream: {
                _ = try await self.followErrorOutput(record, at: errorOffset, onGap: onGap, output: errorOutput)
            }
        ) {
            try await follow(record, from: offset, stream: .stdout, saving: true, onGap: outputGap, output: output)
        }
    }

    /// Runs `main` (a job's output stream) with `errorStream` (its stderr's) beside it, and
    /// returns once both ended. When `main` fails (the network, a detach), the stderr
    /// stream is stopped and where it stood is recorded once it has, so the two never write
    /// the record at once and the next follow repeats nothing.
    func alongside(
        _ errorOffset: StreamOffset, errorStream: @escaping @Sendable () async throws -> Void,
        main: () async throws -> JobRecord
    ) async throws -> JobRecord {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(operation: errorStream)
            do {
                let ended = try await main()
                try await group.waitForAll()
                return ended
            } catch {
                group.cancelAll()
                while (try? await group.next()) != nil {}
                if let id = errorOffset.jobID { await rememberErrorOffset(of: id, errorOffset.value) }
                throw error
            }
        }
    }

    /// Follows the stderr a job keeps apart from `offset`'s value on, keeping it up to date
    /// (bytes and gaps), for a stream beside the job's output that leaves the record alone.
    func followErrorOutput(
        _ record: JobRecord, at offset: StreamOffset, onGap: (@Sendable (LogGap, _ stderr: Bool) async -> Void)?,
        output: @escaping @Sendable ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        var lastByte: UInt8?
        return try await follow(
            record, from: offset.value, stream: .stderr, saving: false,
            onGap: { gap in
                offset.value = gap.to
                if let onGap {
                    await onGap(gap, true)
                } else {
                    await output(gap.noticeBytes(cap: record.maxLog, after: lastByte))
                    lastByte = 0x0A
                }
            },
            output: { bytes in
                await output(bytes)
                offset.value += UInt64(bytes.count)
                lastByte = bytes.last ?? lastByte
            })
    }

    /// Records where a cut stream of a job's stderr stood, once the streams beside it have
    /// stopped (so the two never write the record at once).
    func rememberErrorOffset(of id: String, _ offset: UInt64) async {
        guard var record = try? records.load(id) else { return }
        record.resumeErrorOffset = offset
        try? await saveRecord(record)
    }

    /// Follows a job until it ends, like `follow(_:from:stream:output:)`, and for a job that
    /// keeps its stderr apart, its stderr too, beside it, to `errorOutput` (`p logs -f`).
    /// Each stream starts where an interrupted one stood (the record remembers both), or at
    /// the beginning; `offset` sets the output's.
    public func follow(
        _ idPrefix: String, from offset: UInt64? = nil, output: ([UInt8]) async -> Void,
        errorOutput: @escaping @Sendable ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        let record = try await loadRecord(idPrefix)
        guard record.separateStderr else {
            return try await follow(record, from: offset, stream: .stdout, saving: true, output: output)
        }
        return try await followBoth(
            record, from: offset, errorFrom: record.resumeErrorOffset ?? 0, output: output, errorOutput: errorOutput,
            onGap: nil)
    }

    /// Refuses the stderr of a job that does not keep it apart (it is in the job's log).
    static func check(_ stream: LogStream, of record: JobRecord) throws(RemoteJobsError) {
        guard stream == .stderr, !record.separateStderr else { return }
        throw RemoteJobsError.invalidArgument(
            "job \(record.shortID) was not started with --separate-stderr: its stderr is in its output, with its stdout."
        )
    }

    /// Ends a follow: skips the part a capped log dropped when the stream stopped at it
    /// (telling `onGap`, or else writing the gap's notice into `output` as a line of its
    /// own; `lastByte` is the last byte written so far), catches up on bytes the stream did
    /// not carry, follows again if the job turns out to be alive, then records how the job
    /// ended (unless `saving` is false).
    func finishFollow(
        _ start: JobRecord, result: ScriptResult, stream: LogStream = .stdout, saving: Bool = true,
        offset: inout UInt64, lastByte: UInt8? = nil, onGap: ((LogGap) async -> Void)? = nil,
        output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        var record = start
        var result = result
        var lastByte = lastByte
        let worker = worker(of: record)
        func write(_ bytes: [UInt8]) async {
            await output(bytes)
            offset += UInt64(bytes.count)
            lastByte = bytes.last ?? lastByte
        }
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
                if let gap = end.gap?.remaining(from: offset) {
                    if let onGap {
                        await onGap(gap)
                    } else {
                        await output(gap.noticeBytes(cap: record.maxLog, after: lastByte))
                        lastByte = 0x0A
                    }
                    offset = gap.to
                }
                if offset < end.logSize {
                    let before = offset
                    result = try await WorkerLink.againIfKeeperLost {
                        try await link.run(
                            PollScript(
                                jobDirectory: Self.jobDirectory(record), offset: offset,
                                extent: .bytes(Int(clamping: end.logSize - offset)), stream: stream),
                            jobID: record.id, stdout: write)
                    }
                    if offset == before, result.control.end?.gap?.remaining(from: offset) == nil {
                        // Nothing read and no gap to skip: a capped log's reader could not
                        // write its buffer file beside the log.
                        throw RemoteJobsError.remoteFailure(
                            worker: worker.name, action: "read the log of job \(record.shortID)",
                            detail: "no byte past \(offset) could be read (is the worker's disk full?)")
                    }
                    continue
                }
                if end.facts.exitCode == nil && end.facts.processAlive {
                    result = try await WorkerLink.againIfKeeperLost {
                        try await link.run(
                            FollowScript(
                                jobDirectory: Self.jobDirectory(record), offset: offset, process: record.workerProcess,
                                stream: stream),
                            jobID: record.id, stdout: write)
                    }
                    continue
                }
                record = Reconciler.reconcile(record, with: WorkerFacts(bootID: nil, jobs: [record.id: end.facts]))
                break
            }
        } catch {
            if saving { try await handleInterruption(error, record: &record, started: true, offset: offset) }
            throw error
        }
        guard saving else { return record }
        record.resumeOffset = nil
        record.resumeErrorOffset = nil
        try await saveRecord(record)
        return record
    }

    /// The job's output (or, with `stream` `.stderr`, the stderr it keeps apart) from
    /// `offset` to the end as it stands now, streamed to `output` (`p logs`), without
    /// waiting for more; where a capped log dropped bytes, their notice (`LogGap`) as a
    /// line of its own.
    /// - Returns: the record, reconciled with what the worker said.
    public func output(
        _ idPrefix: String, from offset: UInt64 = 0, stream: LogStream = .stdout, output: ([UInt8]) async -> Void
    ) async throws -> JobRecord {
        let record = try await loadRecord(idPrefix)
        try Self.check(stream, of: record)
        if case .syncing = record.status { return record }
        var offset = offset
        var lastByte: UInt8?
        while true {
            let result = try await link(of: record).run(
                PollScript(jobDirectory: Self.jobDirectory(record), offset: offset, extent: .all, stream: stream),
                jobID: record.id,
                stdout: {
                    await output($0)
                    offset += UInt64($0.count)
                    lastByte = $0.last ?? lastByte
                })
            // A capped log's dropped part stops the read: its notice, then the rest.
            if let gap = result.control.end?.gap?.remaining(from: offset) {
                await output(gap.noticeBytes(cap: record.maxLog, after: lastByte))
                lastByte = 0x0A
                offset = gap.to
                continue
            }
            return try await settle(record, with: result)
        }
    }

    /// The stderr of a job started with `JobRequest.separateStderr`, at most `maxBytes`
    /// from its start (empty for other jobs).
    public func errorOutput(_ idPrefix: String, maxBytes: Int = 1 << 20) async throws -> [UInt8] {
        let record = try await loadRecord(idPrefix)
        var bytes: [UInt8] = []
        _ = try await link(of: record).run(
            PollScript(jobDirectory: Self.jobDirectory(record), offset: 0, extent: .bytes(maxBytes), stream: .stderr),
            jobID: record.id, stdout: { bytes += $0 })
        return bytes
    }

    /// At most `maxBytes` of the job's output from byte `since`, with the job's status:
    /// programs poll with the returned `newOffset` until the job ended and `more` is false.
    /// Polls go through one long-lived exec per worker, so a poll costs one round trip on
    /// an open channel. With `stream` `.stderr`, the offsets are those of the stderr the job
    /// keeps apart.
    public func poll(
        _ idPrefix: String, since: UInt64, maxBytes: Int = 65536, stream: LogStream = .stdout
    ) async throws -> JobPoll {
        guard maxBytes >= 0 else { throw RemoteJobsError.invalidArgument("maxBytes must not be negative.") }
        let record = try await loadRecord(idPrefix)
        try Self.check(stream, of: record)
        if case .syncing = record.status {
            return JobPoll(record: record, chunk: [], offset: since, newOffset: since, more: false, logSize: 0)
        }
        var chunk: [UInt8] = []
        let link = try await link(of: record)
        let result: ScriptResult
        if let ssh = link.ssh,
            let answer = try? await pollChannels.poll(
                Self.jobDirectory(record), offset: since, maxBytes: maxBytes, stream: stream, target: ssh.target,
                pool: ssh.pool)
        {
            result = ScriptResult(status: .exited(0), control: answer.0)
            chunk = answer.1
        } else {
            // No poll server (a local worker, or the connection dropped): a script of its own.
            result = try await link.run(
                PollScript(
                    jobDirectory: Self.jobDirectory(record), offset: since, extent: .bytes(maxBytes), stream: stream),
                jobID: record.id, stdout: { chunk += $0 })
        }
        return try await jobPoll(record, since: since, chunk: chunk, result: result)
    }

    /// The poll answer for `record` from what a poll from `since` read: the record settled
    /// with the trailer's facts, and where to read next.
    func jobPoll(_ record: JobRecord, since: UInt64, chunk: [UInt8], result: ScriptResult) async throws -> JobPoll {
        let settled = try await settle(record, with: result)
        let size = result.control.end?.logSize ?? 0
        let gap = chunk.isEmpty ? result.control.end?.gap?.remaining(from: since) : nil
        let newOffset = gap?.to ?? since + UInt64(chunk.count)
        return JobPoll(
            record: settled, chunk: chunk, offset: since, newOffset: newOffset, more: size > newOffset, logSize: size,
            gap: gap)
    }

    /// The last `lines` lines of the job's output (or of the stderr it keeps apart), with
    /// the job's status (`p logs --tail`).
    public func tail(_ idPrefix: String, lines: Int, stream: LogStream = .stdout) async throws -> JobPoll {
        guard lines > 0 else { throw RemoteJobsError.invalidArgument("The number of lines must be at least 1.") }
        let record = try await loadRecord(idPrefix)
        try Self.check(stream, of: record)
        if case .syncing = record.status {
            return JobPoll(record: record, chunk: [], offset: 0, newOffset: 0, more: false, logSize: 0)
        }
        var chunk: [UInt8] = []
        let result = try await link(of: record).run(
            PollScript(jobDirectory: Self.jobDirectory(record), offset: 0, extent: .lastLines(lines), stream: stream),
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
            let result = try await link(of: record).run(
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
