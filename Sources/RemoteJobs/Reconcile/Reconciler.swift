import Foundation

/// The rules that bring a local record in line with what the worker says: a pure function,
/// testable without a network (pueue's state repair on restore).
public enum Reconciler {
    /// The record after comparing it with `facts`; nil facts (the worker could not be
    /// asked) leave it as it was. Only running jobs change. `now` stands in for the end of a
    /// job killed before it could record its own.
    ///
    /// - `exitcode` present → done or failed with it, or stopped when a `stopped` marker exists;
    /// - `stopped` marker and no process left → stopped;
    /// - the worker rebooted since the launch (boot id changed) → unknown;
    /// - the process is gone and left no exit code → unknown;
    /// - the job's files are gone → unknown;
    /// - otherwise still running.
    public static func reconcile(_ record: JobRecord, with facts: WorkerFacts?, now: Date = Date()) -> JobRecord {
        guard record.status.isRunning, let facts else { return record }
        var updated = record
        updated.status = status(of: record, job: facts.jobs[record.id], bootID: facts.bootID, now: now)
        return updated
    }

    static func status(of record: JobRecord, job: JobFacts?, bootID: String?, now: Date) -> JobStatus {
        guard let job, job.exists else {
            return .unknown(reason: "its files on the worker are gone")
        }
        if let stoppedBy = job.stoppedBy, job.exitCode != nil || !job.processAlive {
            // Killed outright, the wrapper could not note the time: it ended by now.
            return .stopped(signal: stoppedBy, exitCode: job.exitCode, endedAt: job.endedAt ?? now)
        }
        if let code = job.exitCode {
            return .ended(exitCode: code, at: job.endedAt)
        }
        if let launched = record.bootID, let now = bootID, launched != now {
            return .unknown(reason: "the worker rebooted")
        }
        if !job.processAlive {
            return .unknown(reason: "the process vanished without an exit code")
        }
        return .running
    }
}
