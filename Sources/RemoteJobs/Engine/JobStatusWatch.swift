import Foundation

/// Watches jobs and reports each change of status (queued, running, paused, ended) as soon
/// as it is seen, and optionally each job's new output: every `interval` it asks about the
/// watched jobs that may still change, the workers in parallel, each worker's jobs in one
/// exchange with the engine's poll server (one long-lived exec per SSH worker, the requests
/// written together), never a new connection per job. `p watch` prints its events and
/// `p mcp` reports changes to the resources its clients subscribed to through it.
///
/// What was last seen is kept here, not on the wire: a look that fails (the connection
/// dropped) reports nothing and the next look, on a new connection, reports what changed
/// since the last one seen, so no end is lost or reported twice, and output is read on from
/// the last byte reported.
public actor JobStatusWatch {
    /// Something a watch saw.
    public enum Event: Sendable, Equatable {
        /// The job's status changed to the record's (a change of kind, such as running to
        /// done, not of a detail of the same kind).
        case changed(JobRecord)
        /// New bytes of the job's output (its stdout when it keeps stderr apart), in order,
        /// starting at byte `offset` of its log.
        case output(JobRecord, bytes: [UInt8], offset: UInt64)
        /// A capped log dropped these bytes before they could be read.
        case gap(JobRecord, LogGap)
    }

    private struct Watched {
        var status: JobStatus
        /// The next byte of output to report, when output is followed.
        var offset: UInt64?
        /// Whether output was left on the worker at the last look.
        var more = false
        /// Whether the job's end was reported (or known to the caller when it began).
        var endReported = false
    }

    private let engine: JobEngine
    private let interval: Duration
    private let chunkBytes: Int
    /// Full job id → what was last seen of it.
    private var watched: [String: Watched] = [:]
    /// Full job id → its record as last seen, for the next poll.
    private var records: [String: JobRecord] = [:]

    /// A watch over `engine`'s jobs, looking every `interval`, reading at most `chunkBytes`
    /// of a job's output per look.
    public init(engine: JobEngine, interval: Duration = .milliseconds(250), chunkBytes: Int = 65536) {
        self.engine = engine
        self.interval = interval
        self.chunkBytes = max(1, chunkBytes)
    }

    /// Starts watching the job `idPrefix` names; with `followingOutput`, its output is
    /// reported too, from byte `since` on, and its end after its last output (even if it
    /// had ended already).
    /// - Returns: its record as it stands now.
    /// - Throws: `RemoteJobsError` for a job p does not know.
    @discardableResult
    public func watch(_ idPrefix: String, followingOutput: Bool = false, since: UInt64 = 0) async throws -> JobRecord {
        let record = try await engine.poll(idPrefix, since: 0, maxBytes: 0).record
        add(record, followingOutput: followingOutput, since: since)
        return record
    }

    /// Starts watching `records` (as `watch(_:followingOutput:since:)` from byte 0), asking
    /// each worker about all its jobs among them in one exchange.
    /// - Returns: their records as they stand now, in the order given (as last saved, for a
    ///   job whose worker could not be asked).
    public func watch(_ records: [JobRecord], followingOutput: Bool = false) async -> [JobRecord] {
        let answers = await engine.pollMany(records.map { JobPollRequest(record: $0, since: 0, maxBytes: 0) })
        return records.map { given in
            let record = answers[given.id]?.record ?? given
            add(record, followingOutput: followingOutput, since: 0)
            return record
        }
    }

    private func add(_ record: JobRecord, followingOutput: Bool, since: UInt64) {
        guard watched[record.id] == nil else { return }
        // The status now is the caller's to report; output is read at the next look.
        watched[record.id] = Watched(
            status: record.status, offset: followingOutput ? since : nil,
            more: followingOutput, endReported: !record.status.isActive && !followingOutput)
        records[record.id] = record
    }

    /// Job `id`'s record as the watch last saw it (a full id), or nil when it is not watched.
    public func lastSeen(_ id: String) -> JobRecord? {
        records[id]
    }

    /// Stops watching job `id` (a full id).
    public func unwatch(_ id: String) {
        watched[id] = nil
        records[id] = nil
    }

    /// Each change of a watched job's status, as its record, until the iteration ends or
    /// its task is cancelled. One stream at a time (of this or `events()`).
    public nonisolated func changes() -> AsyncStream<JobRecord> {
        AsyncStream { continuation in
            let loop = Task {
                while !Task.isCancelled {
                    for case .changed(let record) in await self.look() { continuation.yield(record) }
                    try? await Task.sleep(for: self.interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in loop.cancel() }
        }
    }

    /// Everything seen, in order per job (a job's last output comes before its end), until
    /// the iteration ends or its task is cancelled. One stream at a time.
    public nonisolated func events() -> AsyncStream<Event> {
        AsyncStream { continuation in
            let loop = Task {
                while !Task.isCancelled {
                    let events = await self.look()
                    for event in events { continuation.yield(event) }
                    // Output left on the worker is read on at once, not a period later.
                    if await !self.hasPendingOutput { try? await Task.sleep(for: self.interval) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in loop.cancel() }
        }
    }

    private var hasPendingOutput: Bool { watched.values.contains { $0.offset != nil && $0.more } }

    /// One look at the watched jobs that may still change or have output left; what it saw.
    private func look() async -> [Event] {
        let asked = watched.compactMap { id, seen -> JobPollRequest? in
            guard seen.status.mayChange || (seen.offset != nil && seen.more) else { return nil }
            // The record as last seen: only its id, worker, root and status matter to a poll.
            guard let record = records[id] else { return nil }
            return JobPollRequest(
                record: record, since: seen.offset ?? 0, maxBytes: seen.offset == nil ? 0 : chunkBytes)
        }
        let answers = await engine.pollMany(asked)
        var events: [Event] = []
        for id in answers.keys.sorted() {
            guard let answer = answers[id], var seen = watched[id] else { continue }
            records[id] = answer.record
            if seen.offset != nil {
                if let gap = answer.gap { events.append(.gap(answer.record, gap)) }
                if !answer.chunk.isEmpty {
                    events.append(.output(answer.record, bytes: answer.chunk, offset: answer.offset))
                }
                seen.offset = answer.newOffset
                seen.more = answer.more || answer.gap != nil
            }
            // An end is reported once, after all the output before it.
            let ended = !answer.record.status.isActive
            let changed = seen.status.name != answer.record.status.name || (ended && !seen.endReported)
            if changed && !(ended && seen.offset != nil && seen.more) {
                seen.status = answer.record.status
                seen.endReported = ended
                events.append(.changed(answer.record))
            }
            watched[id] = seen
        }
        return events
    }
}
