import Foundation

/// Where a job stands, with the data each state has (pueue's `TaskStatus`): a finished job
/// always has its exit code or the reason it has none.
public enum JobStatus: Sendable, Equatable {
    /// Started and not known to have ended.
    case running
    /// Ended with exit code 0.
    case done(endedAt: Date?)
    /// Ended with another exit code (128+N after signal N).
    case failed(exitCode: Int32, endedAt: Date?)
    /// Stopped by `p stop` or `--timeout`; `signal` names how (`TERM`, `KILL`, `timeout`);
    /// `exitCode` is the command's status if it exited before it had to be killed.
    case stopped(signal: String, exitCode: Int32?, endedAt: Date?)
    /// Vanished without an exit code (killed outright, the worker rebooted, files removed).
    case unknown(reason: String)

    /// The state's name: `running`, `done`, `failed`, `stopped`, `unknown`.
    public var name: String {
        switch self {
        case .running: return "running"
        case .done: return "done"
        case .failed: return "failed"
        case .stopped: return "stopped"
        case .unknown: return "unknown"
        }
    }

    /// Whether the job still runs.
    public var isRunning: Bool { self == .running }

    /// The exit code, where one was recorded.
    public var exitCode: Int32? {
        switch self {
        case .done: return 0
        case .failed(let code, _): return code
        case .stopped(_, let code, _): return code
        case .running, .unknown: return nil
        }
    }

    /// When the job ended, where known.
    public var endedAt: Date? {
        switch self {
        case .done(let date), .failed(_, let date), .stopped(_, _, let date): return date
        case .running, .unknown: return nil
        }
    }

    /// How `p ls` shows it: `failed [2]` for a failure.
    public var display: String {
        if case .failed(let code, _) = self { return "failed [\(code)]" }
        return name
    }

    /// The status for a command that ended with `exitCode`.
    public static func ended(exitCode: Int32, at date: Date?) -> JobStatus {
        exitCode == 0 ? .done(endedAt: date) : .failed(exitCode: exitCode, endedAt: date)
    }
}
