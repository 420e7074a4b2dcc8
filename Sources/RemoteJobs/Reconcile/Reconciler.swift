import Foundation

/// The rules that bring a local record in line with what the worker says: a pure function,
/// testable without a network (pueue's state repair on restore).
enum Reconciler {
    /// The record after comparing it with `facts`; nil facts (the worker could not be
    /// asked) leave it as it was. Running jobs follow the rules below; an `unknown` job is
    /// checked again, since what made it unknown may have passed (its files were briefly
    /// out of reach): it becomes running, or ended with its code, when the facts say so,
    /// and otherwise keeps its first reason. Other finished jobs never change. `now`
    /// stands in for the end of a job killed before it could record its own. Times the
    /// worker reports are moved onto the client's clock by the offset measured at launch.
    ///
    /// - `exitcode` present → done or failed with it, or stopped when a `stopped` marker
    ///   exists; failed, with the reason, when the worker's disk was full as it ended;
    /// - `stopped` marker and no process left → stopped;
    /// - the worker rebooted since the launch (boot id changed) → unknown;
    /// - the process is gone: on a full disk → failed without an exit code; with an
    ///   `exitcode` that holds no number → unknown, saying so; else unknown;
    /// - the job's files are gone → unknown;
    /// - otherwise still running, or paused when `p pause` stopped it (the facts say
    ///   `PAUSED`: its marker is there and its processes are stopped).
    ///
    /// A Slurm job (it has a Slurm job id) is alive while Slurm lists it in a live state:
    /// pending → queued with Slurm's reason; a time limit Slurm enforced → stopped by
    /// `timeout`; cancelled outside p → stopped by `scancel`; a node failure, boot
    /// failure, out of memory or preemption without an exit code → failed with Slurm's
    /// reason; gone from Slurm without an exit code → unknown. Its boot id is not checked:
    /// the login node is not where it runs.
    static func reconcile(_ record: JobRecord, with facts: WorkerFacts?, now: Date = Date()) -> JobRecord {
        guard let facts else { return record }
        var updated = record
        switch record.status {
        case .queued, .running, .paused:
            updated.status = status(of: record, job: facts.jobs[record.id], bootID: facts.bootID, now: now)
        case .unknown:
            let rechecked = status(of: record, job: facts.jobs[record.id], bootID: facts.bootID, now: now)
            if case .unknown = rechecked { return record }
            updated.status = rechecked
        case .syncing, .done, .failed, .stopped:
            // A job being prepared is the preparing process's to settle (`reconcilePreparation`).
            return record
        }
        if let started = facts.jobs[record.id]?.startedAt {
            // Queued jobs start when the worker's queue or Slurm says: the wrapper notes it.
            updated.startedAt = record.clientTime(ofWorkerTime: started)
        }
        if let attempts = facts.jobs[record.id]?.attempts, !attempts.isEmpty {
            // Retried by its wrapper: the worker's times on the client's clock, after the
            // attempts of the jobs this one replaced.
            let prior = record.priorAttempts
            updated.attempts =
                Array(record.attempts.prefix(prior))
                + attempts.map { attempt in
                    var shifted = attempt
                    shifted.number += prior
                    shifted.startedAt = record.clientTime(ofWorkerTime: attempt.startedAt)
                    shifted.endedAt = record.clientTime(ofWorkerTime: attempt.endedAt)
                    return shifted
                }
        }
        return updated
    }

    /// A job still being prepared whose preparing p process is gone (`preparerAlive`
    /// false) never started and never will: it becomes unknown. Anything else is unchanged.
    static func reconcilePreparation(_ record: JobRecord, preparerAlive: Bool) -> JobRecord {
        guard case .syncing(let preparer) = record.status, !preparerAlive else { return record }
        var updated = record
        updated.status = .unknown(
            reason: "the p process that was preparing it (pid \(preparer.pid)) ended before the job started")
        return updated
    }

    static func status(of record: JobRecord, job: JobFacts?, bootID: String?, now: Date) -> JobStatus {
        guard let job, job.exists else {
            return .unknown(reason: "its files on the worker are gone")
        }
        let endedAt = job.endedAt.map { record.clientTime(ofWorkerTime: $0) }
        if record.slurmJobID != nil {
            return slurmStatus(of: job, endedAt: endedAt, now: now)
        }
        if let queue = job.scheduler, queue.state == "QUEUED", job.exitCode == nil, job.stoppedBy == nil {
            // In the worker's queue: it has not started.
            return .queued(reason: queue.reason)
        }
        if let stoppedBy = job.stoppedBy, job.exitCode != nil || !job.processAlive {
            // Killed outright, the wrapper could not note the time: it ended by now.
            return .stopped(signal: stoppedBy, exitCode: job.exitCode, endedAt: endedAt ?? now)
        }
        if let code = job.exitCode {
            if job.diskFull {
                return .failed(
                    exitCode: code, endedAt: endedAt ?? now,
                    reason: "the worker's disk was full as it ended, so its output may be incomplete")
            }
            return .ended(exitCode: code, at: endedAt)
        }
        if let launched = record.bootID, let now = bootID, launched != now {
            return .unknown(reason: "the worker rebooted")
        }
        if job.processAlive {
            // `p pause` left its marker, and the job's processes are stopped.
            return job.scheduler?.state == "PAUSED" ? .paused : .running
        }
        if job.diskFull {
            return .failed(
                exitCode: nil, endedAt: endedAt ?? now,
                reason: "the worker's disk is full, so its exit code could not be recorded")
        }
        if job.exitCodeUnreadable {
            return .unknown(reason: "its exit code file on the worker holds something other than an exit code")
        }
        return .unknown(reason: "the process vanished without an exit code")
    }

    /// The rules for a job Slurm runs (see `reconcile`). Slurm's word on how it ended
    /// (timed out, cancelled) goes before the exit code the wrapper recorded as the job's
    /// processes were signalled; a job whose code is there while Slurm still lists it as
    /// live is finishing, and counts as running until Slurm says it ended.
    static func slurmStatus(of job: JobFacts, endedAt: Date?, now: Date) -> JobStatus {
        let slurm = job.scheduler
        let described = slurm.map { $0.state + ($0.reason.map { " (\($0))" } ?? "") }
        if let stoppedBy = job.stoppedBy, job.exitCode != nil || !job.processAlive {
            return .stopped(signal: stoppedBy, exitCode: job.exitCode, endedAt: endedAt ?? now)
        }
        if let slurm, slurm.timedOut, !job.processAlive {
            return .stopped(signal: "timeout", exitCode: job.exitCode, endedAt: endedAt ?? now)
        }
        if slurm?.state == "CANCELLED" {
            return .stopped(signal: "scancel", exitCode: job.exitCode, endedAt: endedAt ?? now)
        }
        if let code = job.exitCode, !job.processAlive {
            if job.diskFull {
                return .failed(
                    exitCode: code, endedAt: endedAt ?? now,
                    reason: "the worker's disk was full as it ended, so its output may be incomplete")
            }
            return .ended(exitCode: code, at: endedAt)
        }
        guard let slurm else {
            return .unknown(reason: "Slurm no longer knows the job, and it left no exit code")
        }
        switch slurm.state {
        case _ where SchedulerFacts.waitingStates.contains(slurm.state):
            return .queued(reason: slurm.reason)
        case "SUSPENDED", "STOPPED":
            return .paused
        case _ where SchedulerFacts.liveStates.contains(slurm.state):
            return .running
        case "NODE_FAIL", "BOOT_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "FAILED", "DEADLINE":
            return .failed(
                exitCode: nil, endedAt: endedAt ?? now, reason: "Slurm ended it: \(described ?? slurm.state)")
        default:
            return .unknown(reason: "Slurm says \(described ?? slurm.state), and the job left no exit code")
        }
    }
}
