import Foundation
import SSHTransport
import Synchronization

/// What `JobEngine.wait(for:timeout:onEnd:)` found.
public struct JobWaitOutcome: Sendable {
    /// The jobs that ended, in the order asked for (all of them unless the wait timed out).
    public var ended: [JobRecord]
    /// The ids still running when the timeout ended the wait.
    public var stillRunning: [String]
    /// The exit code that stands for the whole wait: 124 when the timeout ended it (as GNU
    /// `timeout`), else the first failure's in the order asked for
    /// (`JobStatus.reportedExitCode`), else 0.
    public var exitCode: Int32
}

extension JobEngine {
    /// Waits until every job in `ids` has ended (each checked on its worker, in parallel),
    /// or `timeout` has passed; `onEnd` is called as each one ends. Every id is resolved
    /// before anything waits, so a typo fails at once. An id may name an array (all its
    /// elements) or one element (`ARRAY:INDEX`, see `jobs(named:)`); past
    /// `separateWaitsUpTo` jobs, each worker is asked about all of its jobs at once
    /// (`waitForAll`) instead of one exec per job.
    /// - Throws: `RemoteJobsError` for an unknown id; a connection error.
    public func wait(
        for ids: [String], timeout: Duration? = nil, onEnd: @escaping @Sendable (JobRecord) -> Void = { _ in }
    ) async throws -> JobWaitOutcome {
        var loaded: [JobRecord] = []
        for id in ids {
            for var record in try await jobs(named: id) {
                // A lost job started again: the job in its place.
                var hops = 0
                while let next = record.supersededBy, hops < 100, let replacement = try? await loadRecord(next) {
                    record = replacement
                    hops += 1
                }
                if !loaded.contains(where: { $0.id == record.id }) { loaded.append(record) }
            }
        }
        let records = loaded
        let seen = EndedJobs()
        // Lost jobs are started again from the wait that asks each worker about its jobs.
        if records.count > Self.separateWaitsUpTo || records.contains(where: { $0.retry?.onLost ?? false }) {
            let finals = try await withTimeLimit(timeout) {
                try await self.waitForAll(records) { record in
                    seen.add(record)
                    onEnd(record)
                }
            }
            if let finals {
                let failure = finals.lazy.compactMap(\.status.reportedExitCode).first { $0 != 0 }
                return JobWaitOutcome(ended: finals, stillRunning: [], exitCode: failure ?? 0)
            }
            return Self.outcome(of: records, ended: seen.byID)
        }
        _ = try await withTimeLimit(timeout) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for record in records {
                    group.addTask {
                        let done = try await self.wait(record.id)
                        seen.add(done)
                        onEnd(done)
                    }
                }
                try await group.waitForAll()
            }
        }
        return Self.outcome(of: records, ended: seen.byID)
    }

    /// Up to this many jobs, a wait watches each with an exec of its own (which sees its
    /// end at once); more are asked about a worker at a time.
    static let separateWaitsUpTo = 8

    private static func outcome(of records: [JobRecord], ended: [String: JobRecord]) -> JobWaitOutcome {
        let inOrder = records.compactMap { ended[$0.id] }
        let still = records.filter { ended[$0.id] == nil }.map(\.id)
        let failure = inOrder.lazy.compactMap(\.status.reportedExitCode).first { $0 != 0 }
        return JobWaitOutcome(ended: inOrder, stillRunning: still, exitCode: still.isEmpty ? failure ?? 0 : 124)
    }

    /// At most `maxBytes` of the job's output from `since`, as `poll(_:since:maxBytes:)`,
    /// but held for up to `wait` while there is nothing new and the job still runs, checking
    /// every 50 ms: a program gets the output soon after it appears, without asking
    /// again and again.
    public func poll(
        _ idPrefix: String, since: UInt64, maxBytes: Int = 65536, stream: LogStream = .stdout, wait: Duration
    ) async throws -> JobPoll {
        let deadline = ContinuousClock.now + wait
        while true {
            let result = try await poll(idPrefix, since: since, maxBytes: maxBytes, stream: stream)
            if !result.chunk.isEmpty || result.gap != nil || !result.record.status.isActive
                || ContinuousClock.now >= deadline
            {
                return result
            }
            try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
        }
    }
}

extension Worker {
    /// The name a worker registered without one gets: its host (the alias for an ssh_config
    /// alias), with `:` made `-`.
    /// - Throws: `RemoteJobsError.invalidWorkerName` when that is no valid name.
    public static func defaultName(for connection: String) throws -> String {
        let target = try SSHTarget.resolve(connection)
        let name = target.alias.replacingOccurrences(of: ":", with: "-")
        guard isValidName(name) else { throw RemoteJobsError.invalidWorkerName(name) }
        return name
    }
}

/// A cap on the jobs one submitter (`p mcp`) has running at once. A job counts from the
/// moment its submit is admitted (its id is known before its record exists) until its record
/// says it ended; records say "running" until someone asks the worker, so before refusing,
/// the cap has the engine ask.
public actor LiveJobCap {
    private let limit: Int
    private let submitter: String
    private var inFlight: Set<String> = []

    /// A cap of `limit` jobs of `submitter`.
    public init(limit: Int, submitter: String) {
        self.limit = max(1, limit)
        self.submitter = submitter
    }

    /// Admits the job `id`, or refuses it.
    /// - Throws: `RemoteJobsError.tooManyJobs` when `limit` jobs already run.
    public func admit(_ id: String, engine: JobEngine) async throws(RemoteJobsError) {
        if await live(engine) >= limit { _ = await engine.list() }
        let count = await live(engine)
        guard count < limit else { throw .tooManyJobs(running: count, limit: limit) }
        inFlight.insert(id)
    }

    /// The job `id` has started (its record now counts), or never will.
    public func release(_ id: String) { inFlight.remove(id) }

    /// Reading every record blocks on the disk: on a thread outside the cooperative pool.
    private func live(_ engine: JobEngine) async -> Int {
        let records = engine.records
        let submitter = self.submitter
        let mine = await BlockingWork.run {
            records.loadAll().records.filter { $0.submitter == submitter && $0.status.isActive }.map(\.id)
        }
        return mine.filter { !inFlight.contains($0) }.count + inFlight.count
    }
}

/// Removes the finished jobs one submitter (`p mcp`) started once they are older than the
/// retention time: records and worker files, as `p rm` does.
public struct RetentionSweep: Sendable {
    let engine: JobEngine
    let retention: Duration
    let submitter: String

    /// A sweep of `submitter`'s jobs finished more than `retention` ago.
    public init(engine: JobEngine, retention: Duration, submitter: String) {
        self.engine = engine
        self.retention = retention
        self.submitter = submitter
    }

    /// Sweeps at once, then every minute (or sooner for short retentions), until cancelled.
    public func run() async {
        let period = min(.seconds(60), max(.seconds(1), retention / 4))
        while !Task.isCancelled {
            await sweep(now: Date())
            try? await Task.sleep(for: period)
        }
    }

    /// One sweep: jobs recorded as running are asked about first (they may have ended).
    public func sweep(now: Date) async {
        let listing = await engine.list(all: true)
        let limit = retention.inSeconds
        for record in listing.records where record.submitter == submitter {
            guard let ended = record.status.endedAt ?? (record.status.isActive ? nil : record.submittedAt),
                now.timeIntervalSince(ended) > limit
            else { continue }
            _ = try? await engine.remove(record.id)
        }
    }
}

/// The jobs a wait saw end, by id: added to by the tasks that wait, read once they stopped.
private final class EndedJobs: Sendable {
    private let ended = Mutex<[String: JobRecord]>([:])

    func add(_ record: JobRecord) { ended.withLock { $0[record.id] = record } }
    var byID: [String: JobRecord] { ended.withLock { $0 } }
}
