import Foundation

/// Where a job stands, with the data each state has (pueue's `TaskStatus`): a finished job
/// always has its exit code or the reason it has none.
public enum JobStatus: Sendable, Equatable {
    /// Being prepared by the p process `by` (its directory synced, its work directory
    /// taken): not started yet. It is never pruned, and removed only when forced.
    case syncing(by: ClientProcess)
    /// Handed to the worker's scheduler (Slurm), waiting for its turn; `reason` is the
    /// scheduler's (`Priority`, `Resources`, ...).
    case queued(reason: String?)
    /// Started and not known to have ended.
    case running
    /// Started, and paused by `p pause` (every process of the job stopped with STOP) until
    /// `p resume`; a Slurm job Slurm suspended. Time paused does not count toward
    /// `--timeout` (the watchdog is in the job's process group, and pauses with it).
    case paused
    /// Ended with exit code 0.
    case done(endedAt: Date?)
    /// Ended with another exit code (128+N after signal N), or with any code, or none, when
    /// `reason` says why p counts it failed anyway (the worker's disk was full, so its exit
    /// code or its output could not be recorded).
    case failed(exitCode: Int32?, endedAt: Date?, reason: String? = nil)
    /// Stopped by `p stop` or `--timeout`; `signal` names how (`TERM`, `KILL`, `timeout`);
    /// `exitCode` is the command's status if it exited before it had to be killed.
    case stopped(signal: String, exitCode: Int32?, endedAt: Date?)
    /// Vanished without an exit code (killed outright, the worker rebooted, files removed).
    case unknown(reason: String)

    /// The state's name: `running`, `done`, `failed`, `stopped`, `unknown`.
    public var name: String {
        switch self {
        case .syncing: return "syncing"
        case .queued: return "queued"
        case .running: return "running"
        case .paused: return "paused"
        case .done: return "done"
        case .failed: return "failed"
        case .stopped: return "stopped"
        case .unknown: return "unknown"
        }
    }

    /// Whether the job is on its way on the worker and has not ended: running, or queued
    /// behind other work.
    public var isRunning: Bool {
        switch self {
        case .queued, .running, .paused: return true
        case .syncing, .done, .failed, .stopped, .unknown: return false
        }
    }

    /// Whether only the worker can say more: the job runs, or is unknown (and may turn out
    /// to run, or to have ended with a code, once its files are in reach again).
    public var isOnWorker: Bool {
        switch self {
        case .queued, .running, .paused, .unknown: return true
        case .syncing, .done, .failed, .stopped: return false
        }
    }

    /// Whether the status may still change: the job is being prepared or runs, or is
    /// unknown (its files may come back in reach). Ended jobs stay as they are.
    public var mayChange: Bool { isActive || isOnWorker }

    /// Whether the job is being prepared or runs: not ended, not lost.
    public var isActive: Bool {
        switch self {
        case .syncing, .queued, .running, .paused: return true
        case .done, .failed, .stopped, .unknown: return false
        }
    }

    /// The exit code, where one was recorded.
    public var exitCode: Int32? {
        switch self {
        case .done: return 0
        case .failed(let code, _, _): return code
        case .stopped(_, let code, _): return code
        case .syncing, .queued, .running, .paused, .unknown: return nil
        }
    }

    /// When the job ended, where known.
    public var endedAt: Date? {
        switch self {
        case .done(let date), .failed(_, let date, _), .stopped(_, _, let date): return date
        case .syncing, .queued, .running, .paused, .unknown: return nil
        }
    }

    /// How `p ls` shows it: `failed [2]` for a failure (`failed [?]` without a code).
    public var display: String {
        if case .failed(let code, _, _) = self { return "failed [\(code.map(String.init) ?? "?")]" }
        if case .queued(let reason?) = self { return "queued (\(reason))" }
        return name
    }

    /// Why a job that ended is counted as it is, where there is more to say than its exit
    /// code: the reason of `failed` and `unknown`.
    public var reason: String? {
        switch self {
        case .failed(_, _, let reason): return reason
        case .unknown(let reason): return reason
        case .queued(let reason): return reason
        case .syncing, .running, .paused, .done, .stopped: return nil
        }
    }

    /// The status for a command that ended with `exitCode`.
    public static func ended(exitCode: Int32, at date: Date?) -> JobStatus {
        exitCode == 0 ? .done(endedAt: date) : .failed(exitCode: exitCode, endedAt: date)
    }
}
