import Foundation
import SSHTransport

/// Everything that can go wrong in the job engine, each case with the context a person
/// needs: the worker, the job, the path, and what to do next.
public enum RemoteJobsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A local file could not be read or written.
    case localFile(path: String, action: String, errno: Int32)
    /// A job record file that is not a record of its job (torn by hand, or written by a
    /// p that does not know this format).
    case corruptRecord(path: String, reason: String)
    /// `config.yaml` is not valid.
    case configInvalid(path: String, reason: String)
    /// No worker is registered yet.
    case noWorkers
    /// No worker has this name.
    case unknownWorker(name: String, known: [String])
    /// A worker with this name is already registered.
    case workerExists(name: String)
    /// The worker still has running jobs, so it cannot be removed.
    case workerBusy(name: String, runningJobs: [String])
    /// A worker name that could not be used in a table or a file.
    case invalidWorkerName(String)
    /// No job id starts with this prefix.
    case unknownJob(prefix: String)
    /// Several job ids start with this prefix.
    case ambiguousJob(prefix: String, candidates: [String])
    /// An id prefix shorter than 4 characters or with characters no id has.
    case invalidJobID(String)
    /// The job may still run (queued, running, paused; `status` says which) and the
    /// operation needs it finished (or `--force`).
    case jobRunning(id: String, status: String)
    /// The job ended, but its wrapper still runs on the worker (its `--on-end` command), so
    /// its files are kept until it ends (or `--force`).
    case jobEnding(id: String)
    /// The job ended, but job `by`, waiting in the worker's queue, runs after it and needs
    /// its exit code, so its files are kept until that one started (or `--force`).
    case jobNeeded(id: String, by: String)
    /// The job is still being prepared (its directory synced) by another p process, and has
    /// not started.
    case jobPreparing(id: String, preparer: ClientProcess)
    /// The job was removed (`p rm --force`) while it was being prepared, so it was not
    /// started.
    case jobRemovedWhilePreparing(id: String)
    /// The job is not running, so it cannot be stopped or followed live.
    case jobNotRunning(id: String, status: String)
    /// The job cannot be paused or resumed, and why (still queued, a Slurm job).
    case cannotPause(id: String, reason: String)
    /// A `KEY=VALUE` environment entry that is not one: its key, or nil when it has no `=`.
    /// The value is never kept, since it may be a secret.
    case invalidEnvironment(key: String?)
    /// The job's files on the worker are gone (removed by hand, or another root).
    case jobFilesMissing(id: String, worker: String)
    /// A path given to `pull` leaves the job's work directory.
    case pathOutsideWorkdir(path: String)
    /// A pull found a symbolic link in its destination where it would write a directory.
    case linkInDestination(path: String)
    /// A pull could not write its local destination.
    case localDestination(detail: String)
    /// A script p runs on the worker failed.
    case remoteFailure(worker: String, action: String, detail: String)
    /// The connection to the worker failed; `jobID` names the job it was about, if any.
    case connection(worker: String, jobID: String?, SSHError)
    /// The connection failed while a job was being started: it may or may not run.
    case launchInterrupted(worker: String, jobID: String, SSHError)
    /// An argument that cannot be used.
    case invalidArgument(String)
    /// A client key already named job `id`, submitted with another request (`difference`
    /// says how it differs): a key names one job, never another.
    case clientKeyReused(key: String, id: String, difference: String)
    /// The job client key `key` named ran and was removed since (`p rm`, `p prune`, the MCP
    /// server's retention): the key is used, never run again (for 30 days).
    case clientKeyRetired(key: String, id: String)
    /// None of the workers carrying `label` could be reached to place a job; `failures`
    /// says why, by worker (a connection failure: exit 255 in the CLI).
    indirect case noWorkerAnswered(label: String, failures: [String: RemoteJobsError])
    /// A file name (or a link's target) in the directory to sync that is not valid UTF-8:
    /// p carries names as text and will not alter one, so it refuses to copy it.
    case unsupportedName(path: String)
    /// Another job runs in the persistent work directory `--reuse-workdir` asked for.
    case workdirBusy(worker: String, heldBy: String, preparing: Bool)
    /// The directory could not be copied to the worker; `detail` says which file or why.
    case syncFailed(worker: String, detail: String)
    /// A submitter's cap on running jobs is reached (`p mcp --max-jobs`).
    case tooManyJobs(running: Int, limit: Int)
    /// Something did not finish within its time limit.
    case timedOut(action: String, after: Duration)

    /// Any failure of work done on `worker`, as a value of this type: itself, a connection
    /// failure for an `SSHError`, or a failure of the worker's scripts for anything else.
    init(_ error: any Error, worker: String, jobID: String? = nil) {
        switch error {
        case let error as RemoteJobsError: self = error
        case let error as SSHError: self = .connection(worker: worker, jobID: jobID, error)
        case is CancellationError:
            self = .remoteFailure(worker: worker, action: "finish", detail: "it was cancelled")
        default: self = .remoteFailure(worker: worker, action: "finish", detail: "\(error)")
        }
    }

    /// A sync failure for a file that changed while it was copied: the copy may hold a mix
    /// of its old and new contents.
    static func changedWhileCopied(_ path: String, worker: Worker) -> RemoteJobsError {
        .syncFailed(
            worker: worker.name,
            detail:
                "\(path) changed while it was being copied; run again (or list it in .gitignore if something keeps writing it)"
        )
    }

    /// Whether the failure is the network's or the worker's SSH server's (exit 255 in the
    /// CLI) rather than a usage or state error (exit 1).
    public var isConnectionFailure: Bool {
        switch self {
        case .connection, .launchInterrupted, .noWorkerAnswered: return true
        default: return false
        }
    }

    /// Whether the failure is the keeper's end in the middle of a command (the worker may
    /// be fine): what only reads may run again, directly.
    public var isKeeperLoss: Bool {
        if case .connection(_, _, .keeperLost) = self { return true }
        return false
    }

    /// The failure without the worker's name, for a message that names the worker already
    /// (`worker 'gpu' is unreachable: …`).
    public var detailForWorker: String {
        switch self {
        case .connection(_, _, let error): return "\(error)"
        case .remoteFailure(_, let action, let detail): return "could not \(action): \(detail)"
        default: return description
        }
    }

    /// What went wrong and what to do next, as p prints it.
    public var description: String {
        switch self {
        case .localFile(let path, let action, let code):
            return "cannot \(action) \(path): \(String(cString: strerror(code)))"
        case .corruptRecord(let path, let reason):
            return "the job record \(path) cannot be read: \(reason). Remove the file if the job no longer matters."
        case .configInvalid(let path, let reason):
            return "\(path) is not a valid p configuration: \(reason). Fix or remove the file."
        case .noWorkers:
            return "no worker is registered. Register one with `p worker register user@host`."
        case .unknownWorker(let name, let known):
            let list = known.isEmpty ? "none is registered" : "known: \(known.joined(separator: ", "))"
            return "no worker is named '\(name)' (\(list)). See `p worker ls`."
        case .workerExists(let name):
            return "a worker named '\(name)' is already registered; choose another name with -n or remove it first."
        case .workerBusy(let name, let jobs):
            return
                "worker '\(name)' still has \(jobs.count) running job(s) (\(jobs.map { String($0.prefix(8)) }.joined(separator: ", "))); stop them first with `p stop <id>`."
        case .invalidWorkerName(let name):
            if Worker.reservedNames.contains(name) {
                return "'\(name)' is a p command, so it cannot name a worker; choose another name with -n."
            }
            return "'\(name)' cannot be a worker name: use letters, digits, '.', '_' and '-'."
        case .unknownJob(let prefix):
            return "no job has an id starting with '\(prefix)'. See `p ls -a`."
        case .ambiguousJob(let prefix, let candidates):
            return "'\(prefix)' matches several jobs: \(candidates.joined(separator: ", ")). Give more characters."
        case .invalidJobID(let text):
            return "'\(text)' is not a job id: give at least 4 characters of the id `p ls` shows."
        case .workdirBusy(let worker, let holder, true):
            return
                "job \(holder.prefix(8)) is being prepared in this directory's persistent work directory on '\(worker)' by another p; wait for it with --wait (a p killed while preparing it gives it up within 30 s)."
        case .workdirBusy(let worker, let holder, false):
            return
                "job \(holder.prefix(8)) is running in this directory's persistent work directory on '\(worker)'; wait for it with --wait, or stop it with `p stop \(holder.prefix(8))`."
        case .tooManyJobs(let running, let limit):
            return
                "\(running) jobs started here are still running, the limit (p mcp --max-jobs \(limit)); wait for some to end or cancel them"
        case .timedOut(let action, let limit):
            return "\(action) did not finish within \(limit.components.seconds) s; it was ended."
        case .syncFailed(let worker, let detail):
            return "could not copy the directory to '\(worker)': \(detail). The job was not started."
        case .jobRunning(let id, let status):
            let state = status == "running" ? "still running" : "still \(status)"
            return "job \(id.prefix(8)) is \(state); stop it with `p stop \(id.prefix(8))` or add --force."
        case .jobNeeded(let id, let waiter):
            return
                "job \(id.prefix(8)) has ended, but job \(waiter.prefix(8)), waiting in the worker's queue, runs after it and needs its exit code; its files are kept until that one starts (or add --force, and that one fails)."
        case .jobEnding(let id):
            return
                "job \(id.prefix(8)) has ended, but its --on-end command still runs on the worker, in its work directory; its files are kept until that ends (or add --force, which ends it)."
        case .jobPreparing(let id, let preparer):
            return
                "job \(id.prefix(8)) is still being prepared by p (pid \(preparer.pid) on \(preparer.host)) and has not started; interrupt that p to cancel it, or remove it with `p rm --force \(id.prefix(8))`."
        case .jobRemovedWhilePreparing(let id):
            return "job \(id.prefix(8)) was removed while it was being prepared, so it was not started."
        case .jobNotRunning(let id, let status):
            return "job \(id.prefix(8)) is not running (\(status))."
        case .cannotPause(let id, let reason):
            return "job \(id.prefix(8)) cannot be paused or resumed: \(reason)."
        case .invalidEnvironment(let key?):
            return
                "'\(key)' cannot name an environment variable: use letters, digits and '_', not starting with a digit (the value is not shown)."
        case .invalidEnvironment(nil):
            return
                "an environment entry has no '=': give KEY=VALUE (the entry is not shown, since it may hold a secret)."
        case .jobFilesMissing(let id, let worker):
            return "the files of job \(id.prefix(8)) are gone from worker '\(worker)'."
        case .pathOutsideWorkdir(let path):
            return "'\(path)' is outside the job's work directory; give a path inside it."
        case .linkInDestination(let path):
            return
                "\(path) is a symbolic link where the pull would write a directory; p never writes through a link in the destination. Remove the link, or pull somewhere else."
        case .localDestination(let detail):
            return "could not write the pulled files: \(detail)"
        case .remoteFailure(let worker, let action, let detail):
            return "could not \(action) on worker '\(worker)': \(detail)"
        case .connection(let worker, let jobID, let error):
            let job =
                jobID.map {
                    " The job \($0.prefix(8)) keeps running on the worker; `p logs -f \($0.prefix(8))` resumes its output."
                } ?? ""
            return "worker '\(worker)': \(error)\(job)"
        case .launchInterrupted(let worker, let jobID, let error):
            return
                "worker '\(worker)': \(error) The connection was cut while job \(jobID.prefix(8)) was being started, so it may or may not run; `p ls -a` shows it once the worker answers."
        case .invalidArgument(let message):
            return message
        case .clientKeyRetired(let key, let id):
            return
                "the client key '\(key)' named job \(id.prefix(8)), which ran and was removed since (p rm, p prune, the MCP server's retention); a key names one job, never run again: give this request a key of its own."
        case .clientKeyReused(let key, let id, let difference):
            return
                "the client key '\(key)' already names job \(id.prefix(8)), submitted with \(difference); a key names one job: give this request a key of its own."
        case .noWorkerAnswered(let label, let failures):
            return "none of the workers labelled '\(label)' answered: "
                + failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.detailForWorker)" }.joined(
                    separator: "; ")
        case .unsupportedName(let path):
            return
                "\(path) is not valid UTF-8, which p cannot copy without changing it; rename it, or list it in .gitignore. The job was not started."
        }
    }
}
