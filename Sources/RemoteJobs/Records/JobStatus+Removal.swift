/// How a job's status bears on removing its record and its files: the one rule that every
/// path that removes jobs follows (`JobEngine.remove`, `prune`, `unregister`, and the MCP
/// server's retention sweep through `remove`).
///
/// The record is what this machine last learned; the worker has the last word. Whatever
/// the rule allows, the worker keeps a job whose wrapper still runs (its `--on-end`
/// command, after the exit code was written; or a job whose record is stale), unless
/// forced (`RemoveScript`).
public enum JobRemoval: Sendable, Equatable {
    /// It ended (done, failed, stopped): its record and files may go.
    case ended
    /// It vanished without an exit code (`unknown`): removed when named, pruned only when
    /// asked (`p prune --unknown`), since its files may come back within reach.
    case lost
    /// It may still run (queued, running, paused): removed only when forced, which stops it
    /// first. Never pruned.
    case live
    /// A p process is preparing it (syncing its directory): removed only when forced, which
    /// makes that preparation fail instead of starting the job. Never pruned.
    case preparing

    /// Whether `p prune`, which removes jobs it was not given by name, takes it.
    public func isPruned(includeUnknown: Bool) -> Bool {
        switch self {
        case .ended: return true
        case .lost: return includeUnknown
        case .live, .preparing: return false
        }
    }

    /// Whether the job keeps its worker registered (`p worker rm` is refused meanwhile).
    public var holdsWorker: Bool { self == .live || self == .preparing }
}

extension JobStatus {
    /// What removing a job in this status takes (`JobRemoval`).
    public var removal: JobRemoval {
        switch self {
        case .done, .failed, .stopped: return .ended
        case .unknown: return .lost
        case .queued, .running, .paused: return .live
        case .syncing: return .preparing
        }
    }
}
