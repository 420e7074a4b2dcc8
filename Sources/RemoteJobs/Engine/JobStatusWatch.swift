import Foundation

/// Watches jobs and reports each change of status (queued, running, paused, ended) as soon
/// as it is seen, as a stream of records: every `interval` it asks about the watched jobs
/// that may still change (not ended), the workers in parallel, each worker's jobs one after
/// another through the engine's poll server (one long-lived exec per SSH worker, one round
/// trip per job on it), never a new connection per job. `p mcp` reports changes to the
/// resources its clients subscribed to through it.
public actor JobStatusWatch {
    private let engine: JobEngine
    private let interval: Duration
    /// Full job id → the status last seen, and its worker.
    private var watched: [String: (status: JobStatus, worker: String)] = [:]

    /// A watch over `engine`'s jobs, looking every `interval`.
    public init(engine: JobEngine, interval: Duration = .milliseconds(250)) {
        self.engine = engine
        self.interval = interval
    }

    /// Starts watching the job `idPrefix` names.
    /// - Returns: its record as it stands now.
    /// - Throws: `RemoteJobsError` for a job p does not know.
    @discardableResult
    public func watch(_ idPrefix: String) async throws -> JobRecord {
        let record = try await engine.poll(idPrefix, since: 0, maxBytes: 0).record
        if watched[record.id] == nil { watched[record.id] = (record.status, record.worker) }
        return record
    }

    /// Stops watching job `id` (a full id).
    public func unwatch(_ id: String) {
        watched[id] = nil
    }

    /// Each change of a watched job's status, as its record, until the iteration ends or
    /// its task is cancelled. One stream at a time.
    public nonisolated func changes() -> AsyncStream<JobRecord> {
        AsyncStream { continuation in
            let loop = Task {
                while !Task.isCancelled {
                    for record in await self.look() { continuation.yield(record) }
                    try? await Task.sleep(for: self.interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in loop.cancel() }
        }
    }

    /// One look at the watched jobs that may still change; the records whose status changed.
    private func look() async -> [JobRecord] {
        let engine = self.engine
        let byWorker = Dictionary(
            grouping: watched.filter { $0.value.status.mayChange }, by: { $0.value.worker })
        let seen = await withTaskGroup(of: [JobRecord].self) { group in
            for jobs in byWorker.values {
                group.addTask {
                    var records: [JobRecord] = []
                    for (id, _) in jobs {
                        if let poll = try? await engine.poll(id, since: 0, maxBytes: 0) { records.append(poll.record) }
                    }
                    return records
                }
            }
            var all: [JobRecord] = []
            for await records in group { all += records }
            return all
        }
        var changed: [JobRecord] = []
        for record in seen {
            // A change of kind (running to done, say), not of a detail of the same kind.
            guard let last = watched[record.id], last.status.name != record.status.name else { continue }
            watched[record.id] = (record.status, record.worker)
            changed.append(record)
        }
        return changed
    }
}
