import Foundation
import SSHTransport

/// A signal `JobEngine.cancel` can send.
public enum JobSignal: String, Sendable, CaseIterable {
    /// TERM, then KILL after the grace period.
    case term = "TERM"
    /// KILL at once.
    case kill = "KILL"
    /// INT, then KILL after the grace period.
    case int = "INT"
    /// HUP, then KILL after the grace period.
    case hup = "HUP"
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
        let record = try record(idPrefix)
        if case .syncing(let preparer) = record.status {
            throw RemoteJobsError.jobPreparing(id: record.id, preparer: preparer)
        }
        guard record.status.isRunning else {
            throw RemoteJobsError.jobNotRunning(id: record.id, status: record.status.display)
        }
        let seconds = grace.wholeSecondsRoundedUp
        let link = try link(worker(of: record))
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

    /// Removes a job's record and its files on the worker.
    /// - Parameter force: stop a running job first (else it is refused); remove a job still
    ///   being prepared (its preparation then fails instead of starting it).
    /// - Returns: the record that was removed.
    /// - Throws: `RemoteJobsError.jobRunning` for a running job without `force`,
    ///   `.jobPreparing` for one being prepared; a connection error when the worker cannot
    ///   be reached (the record is kept).
    @discardableResult
    public func remove(_ idPrefix: String, force: Bool = false, grace: Duration = .seconds(10)) async throws
        -> JobRecord
    {
        var record = try record(idPrefix)
        if case .syncing(let preparer) = record.status, !force {
            throw RemoteJobsError.jobPreparing(id: record.id, preparer: preparer)
        }
        if record.status.isOnWorker {
            // The record may be stale: ask the worker before refusing.
            let (reconciled, _) = await reconcileRunning([record])
            record = reconciled[0]
        }
        if record.status.isRunning {
            guard force else { throw RemoteJobsError.jobRunning(id: record.id) }
            record = try await cancel(record.id, grace: grace)
        }
        try await removeFiles(of: [record])
        return record
    }

    /// Removes the worker-side files of `jobs` (one exec per worker) and then their records.
    func removeFiles(of jobs: [JobRecord]) async throws {
        let byWorker = Dictionary(grouping: jobs, by: { "\($0.worker)\u{0}\($0.connection)\u{0}\($0.root)" })
        for group in byWorker.values {
            let worker = worker(of: group[0])
            _ = try await link(worker).run(RemoveScript(root: group[0].root, jobIDs: group.map(\.id)))
            for record in group { try records.remove(record.id) }
        }
    }

    /// What `prune` removed and what it could not.
    public struct PruneResult: Sendable {
        /// The jobs removed (or, in a dry run, that would be).
        public var removed: [JobRecord]
        /// Workers whose jobs' files could not be removed, by name, with the failure; their
        /// jobs were kept.
        public var failures: [String: RemoteJobsError]
    }

    /// Removes every finished job (done, failed, stopped) with its files on the worker;
    /// `includeUnknown` also removes `unknown` ones. Running jobs are checked first.
    /// - Parameter dryRun: only say what would go.
    public func prune(includeUnknown: Bool = false, dryRun: Bool = false) async -> PruneResult {
        let listing = await list(all: true)
        let doomed = listing.records.filter { record in
            switch record.status {
            case .queued, .running, .syncing: return false
            case .unknown: return includeUnknown
            default: return true
            }
        }
        if dryRun { return PruneResult(removed: doomed, failures: [:]) }
        var removed: [JobRecord] = []
        var failures: [String: RemoteJobsError] = [:]
        for (name, group) in Dictionary(grouping: doomed, by: \.worker) {
            do {
                try await removeFiles(of: group)
                removed += group
            } catch {
                failures[name] = RemoteJobsError(error, worker: name)
            }
        }
        return PruneResult(removed: removed.sorted { $0.submittedAt < $1.submittedAt }, failures: failures)
    }
}
