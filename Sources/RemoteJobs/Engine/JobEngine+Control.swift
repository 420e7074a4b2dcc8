import Foundation
import SSHTransport

/// A signal to send to a job (`JobEngine.cancel`, `pause`, `resume`): any standard signal.
public struct JobSignal: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    /// The signal's name without `SIG` (`TERM`, `USR1`), or, for a number that has no name
    /// here (a real-time signal), the number.
    public let rawValue: String

    /// A signal by name (`TERM`, `SIGTERM`, `term`) or number (`15`), as `kill -s` and
    /// `kill -n` take them; nil for anything else. Numbers 1 to 31 become their names
    /// (Linux numbering), so the worker's own `kill` sends them by name; higher numbers
    /// (real-time signals, up to 64) are sent as numbers.
    public init?(rawValue: String) {
        let upper = rawValue.uppercased()
        let name = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        if let number = Int32(name) {
            if let known = Self.numbers.first(where: { $0.value == number })?.key {
                self.rawValue = known
            } else if (32...64).contains(number) {
                self.rawValue = String(number)
            } else {
                return nil
            }
        } else if let canonical = Self.aliases[name] ?? (Self.numbers[name] != nil ? name : nil) {
            self.rawValue = canonical
        } else {
            return nil
        }
    }

    /// TERM: ask the job to end (then KILL after the grace period).
    public static let term = JobSignal(known: "TERM")
    /// KILL: end it at once.
    public static let kill = JobSignal(known: "KILL")
    /// INT, as Ctrl+C.
    public static let int = JobSignal(known: "INT")
    /// HUP, as a closed terminal.
    public static let hup = JobSignal(known: "HUP")
    /// STOP: pause (`JobEngine.pause`).
    public static let stop = JobSignal(known: "STOP")
    /// CONT: resume (`JobEngine.resume`).
    public static let cont = JobSignal(known: "CONT")

    private init(known name: String) { rawValue = name }

    /// The signal's number on Linux (where p's exit codes are computed: 128 + N).
    public var number: Int32 { Self.numbers[rawValue] ?? Int32(rawValue) ?? 0 }

    /// The name (or number) as sent: `TERM`, `USR1`, `40`.
    public var description: String { rawValue }

    /// The standard signals and their Linux numbers.
    static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
        "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
        "IO": 29, "PWR": 30, "SYS": 31,
    ]
    /// Other names `kill -l` accepts for them.
    static let aliases: [String: String] = ["IOT": "ABRT", "CLD": "CHLD", "POLL": "IO"]
}

extension JobEngine {
    /// Stops a running job: writes the `stopped` marker, sends `signal` to the job's whole
    /// process group, and KILL after `grace` if anything of it is left; returns once no
    /// process of the group remains. A Slurm job gets the signal through `scancel`, and is
    /// cancelled after `grace`; one still queued is simply cancelled.
    /// - Returns: the record afterwards (`stopped`, or how it ended if it ended first).
    /// - Throws: `RemoteJobsError.jobNotRunning` for a job that had already ended.
    public func cancel(_ idPrefix: String, signal: JobSignal = .term, grace: Duration = .seconds(10)) async throws
        -> JobRecord
    {
        let record = try await runningRecord(idPrefix)
        let seconds = grace.wholeSecondsRoundedUp
        let link = try await link(of: record)
        let result: ScriptResult
        if let slurmJobID = record.slurmJobID {
            result = try await link.run(
                SlurmStopScript(
                    jobDirectory: Self.jobDirectory(record), signal: signal, graceSeconds: seconds,
                    slurmJobID: slurmJobID), jobID: record.id)
        } else {
            result = try await link.run(
                StopScript(
                    jobDirectory: Self.jobDirectory(record), signal: signal, graceSeconds: seconds, pid: record.pid),
                jobID: record.id)
        }
        return try await settle(record, with: result)
    }

    /// Pauses a running job: STOP to its whole process group, so it keeps its memory and
    /// files but uses no CPU (to free a GPU's cycles for a while); `resume` continues it.
    /// Its status is `paused` until then. Time paused does not count toward `--timeout`.
    /// - Returns: the record afterwards (`paused`, or how it ended if it ended first).
    /// - Throws: `RemoteJobsError.jobNotRunning` for a job that had ended,
    ///   `.cannotPause` for one still queued or on a Slurm worker (Slurm suspends jobs
    ///   itself: `scontrol suspend`, for its operators).
    public func pause(_ idPrefix: String) async throws -> JobRecord {
        try await signalPause(idPrefix, pause: true)
    }

    /// Resumes a paused job: CONT to its whole process group.
    /// - Returns: the record afterwards (`running`, or how it ended).
    /// - Throws: as `pause`.
    public func resume(_ idPrefix: String) async throws -> JobRecord {
        try await signalPause(idPrefix, pause: false)
    }

    private func signalPause(_ idPrefix: String, pause: Bool) async throws -> JobRecord {
        var record = try await runningRecord(idPrefix)
        if record.slurmJobID != nil {
            throw RemoteJobsError.cannotPause(
                id: record.id, reason: "Slurm runs it; Slurm's operators suspend jobs with scontrol suspend")
        }
        let result = try await link(of: record).run(
            PauseScript(jobDirectory: Self.jobDirectory(record), pause: pause, pid: record.pid), jobID: record.id)
        record = try await settle(record, with: result)
        if case .queued = record.status {
            throw RemoteJobsError.cannotPause(
                id: record.id, reason: "it waits in the worker's queue and has not started (p stop takes it out)")
        }
        return record
    }

    /// The record of a job that a signal can reach: one on its way on the worker.
    /// - Throws: `RemoteJobsError.jobPreparing` for one being prepared, `.jobNotRunning` for
    ///   one that ended.
    private func runningRecord(_ idPrefix: String) async throws -> JobRecord {
        let record = try await loadRecord(idPrefix)
        if case .syncing(let preparer) = record.status {
            throw RemoteJobsError.jobPreparing(id: record.id, preparer: preparer)
        }
        guard record.status.isRunning else {
            throw RemoteJobsError.jobNotRunning(id: record.id, status: record.status.display)
        }
        return record
    }

    /// Removes a job's record and its files on the worker, as `JobStatus.removal` allows.
    /// - Parameters:
    ///   - idPrefix: the job's id, or a unique prefix of it.
    ///   - force: stop a job that may still run first (else it is refused); remove a job
    ///     still being prepared (its preparation then fails instead of starting it); end its
    ///     `--on-end` command if that still runs.
    ///   - grace: with `force`, the time between TERM and KILL when the job is stopped.
    /// - Returns: the record that was removed.
    /// - Throws: `RemoteJobsError.jobRunning` for a job that may still run (queued, running,
    ///   paused) without `force`, `.jobPreparing` for one being prepared, `.jobEnding` for
    ///   one whose wrapper still runs on the worker (its `--on-end` command); a connection
    ///   error when the worker cannot be reached (the record is kept).
    @discardableResult
    public func remove(_ idPrefix: String, force: Bool = false, grace: Duration = .seconds(10)) async throws
        -> JobRecord
    {
        var record = try await loadRecord(idPrefix)
        if case .syncing(let preparer) = record.status, !force {
            throw RemoteJobsError.jobPreparing(id: record.id, preparer: preparer)
        }
        if record.status.isOnWorker {
            // The record may be stale: ask the worker before refusing.
            let (reconciled, _) = await reconcileRunning([record])
            record = reconciled[0]
        }
        if !force {
            let all = self.records
            let loaded = await BlockingWork.run { all.loadAll().records }
            if let waiter = Self.waiters(in: loaded)[record.id] {
                throw RemoteJobsError.jobNeeded(id: record.id, by: waiter)
            }
        }
        if record.status.removal == .live {
            guard force else { throw RemoteJobsError.jobRunning(id: record.id, status: record.status.display) }
            do {
                record = try await cancel(record.id, grace: grace)
            } catch RemoteJobsError.jobNotRunning {
                // It ended meanwhile.
                record = try await self.loadRecord(record.id)
            }
        }
        if let kept = try await removeFiles(of: [record], force: force).first {
            switch kept.because {
            case .running: throw RemoteJobsError.jobEnding(id: record.id)
            case .needed(let waiter): throw RemoteJobsError.jobNeeded(id: record.id, by: waiter)
            }
        }
        return record
    }

    /// A job whose record and files a removal kept, and why (`RemoveScript`).
    public struct KeptJob: Sendable {
        /// The job.
        public var record: JobRecord
        /// Why it was kept, in words (`its --on-end command still runs on the worker`).
        public var reason: String {
            switch because {
            case .running: return "its --on-end command still runs on the worker"
            case .needed(let waiter): return "job \(waiter.prefix(8)), queued, runs after it"
            }
        }
        let because: RemoveScript.Kept
    }

    /// Removes the worker-side files of `jobs` (one exec per worker) and then their records,
    /// except jobs whose wrapper still runs there, or that a queued job runs after (see
    /// `RemoveScript`), unless `force`.
    /// - Returns: the jobs kept, with why.
    @discardableResult
    func removeFiles(of jobs: [JobRecord], force: Bool = false) async throws -> [KeptJob] {
        let byWorker = Dictionary(grouping: jobs, by: { "\($0.worker)\u{0}\($0.connection)\u{0}\($0.root)" })
        var kept: [KeptJob] = []
        for group in byWorker.values {
            let worker = worker(of: group[0])
            let busy = try await link(worker).ask(RemoveScript(root: group[0].root, records: group, force: force))
            for record in group {
                if let reason = busy[record.id] {
                    kept.append(KeptJob(record: record, because: reason))
                } else {
                    try records.retire(record)
                }
            }
        }
        return kept
    }

    /// The jobs that jobs still to start run after (`--after`), each with one of those:
    /// their outcome decides whether the waiting job runs, so they stay. (The worker keeps
    /// those a queued job names too, `RemoveScript`; this covers a job still being submitted.)
    static func waiters(in records: [JobRecord]) -> [String: String] {
        var waiters: [String: String] = [:]
        for record in records {
            switch record.status {
            case .syncing, .queued:
                for dependency in record.after { waiters[dependency] = waiters[dependency] ?? record.id }
            default:
                continue
            }
        }
        return waiters
    }

    /// What `prune` removed and what it could not.
    public struct PruneResult: Sendable {
        /// The jobs removed (or, in a dry run, that would be).
        public var removed: [JobRecord]
        /// Jobs that ended but were kept: their wrapper still runs on the worker (an `--on-end`
        /// command), or a job waiting in the worker's queue runs after them and needs their
        /// exit code. A later prune takes them.
        public var kept: [KeptJob] = []
        /// Workers whose jobs' files could not be removed, by name, with the failure; their
        /// jobs were kept.
        public var failures: [String: RemoteJobsError]
    }

    /// Removes every job that ended (done, failed, stopped) with its files on the worker,
    /// as `JobStatus.removal` allows: never one that may still run or is being prepared;
    /// `includeUnknown` also removes `unknown` ones. Running jobs are checked first.
    /// - Parameters:
    ///   - includeUnknown: also remove jobs whose worker no longer knows them.
    ///   - dryRun: only say what would go.
    public func prune(includeUnknown: Bool = false, dryRun: Bool = false) async -> PruneResult {
        let listing = await list(all: true)
        let waiters = Self.waiters(in: listing.records)
        let candidates = listing.records.filter { $0.status.removal.isPruned(includeUnknown: includeUnknown) }
        let doomed = candidates.filter { waiters[$0.id] == nil }
        var kept = candidates.compactMap { record in
            waiters[record.id].map { KeptJob(record: record, because: .needed(by: $0)) }
        }
        if dryRun { return PruneResult(removed: doomed, kept: kept, failures: [:]) }
        let store = records
        await BlockingWork.run { store.removeOldTombstones() }
        var removed: [JobRecord] = []
        var failures: [String: RemoteJobsError] = [:]
        for (name, group) in Dictionary(grouping: doomed, by: \.worker) {
            do {
                let busy = try await removeFiles(of: group)
                let busyIDs = Set(busy.map(\.record.id))
                removed += group.filter { !busyIDs.contains($0.id) }
                kept += busy
            } catch {
                failures[name] = RemoteJobsError(error, worker: name)
            }
        }
        return PruneResult(
            removed: removed.sorted { $0.submittedAt < $1.submittedAt },
            kept: kept.sorted { $0.record.submittedAt < $1.record.submittedAt }, failures: failures)
    }
}
