import Foundation
import SSHTransport

/// Everything that can go wrong in the job engine, each case with the context a person
/// needs: the worker, the job, the path, and what to do next.
public enum RemoteJobsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A local file could not be read or written.
    case localFile(path: String, action: String, errno: Int32)
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
    /// The job is running and the operation needs it finished (or `--force`).
    case jobRunning(id: String)
    /// The job is not running, so it cannot be stopped or followed live.
    case jobNotRunning(id: String, status: String)
    /// A `KEY=VALUE` environment entry that is not one.
    case invalidEnvironment(String)
    /// The job's files on the worker are gone (removed by hand, or another root).
    case jobFilesMissing(id: String, worker: String)
    /// A path given to `pull` leaves the job's work directory.
    case pathOutsideWorkdir(path: String)
    /// A script p runs on the worker failed.
    case remoteFailure(worker: String, action: String, detail: String)
    /// The connection to the worker failed; `jobID` names the job it was about, if any.
    case connection(worker: String, jobID: String?, SSHError)
    /// An argument that cannot be used.
    case invalidArgument(String)
    /// Another job runs in the persistent work directory `--reuse-workdir` asked for.
    case workdirBusy(worker: String, heldBy: String)
    /// The directory could not be copied to the worker; `detail` says which file or why.
    case syncFailed(worker: String, detail: String)
    /// Something did not finish within its time limit.
    case timedOut(action: String, after: Duration)

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
        if case .connection = self { return true }
        return false
    }

    /// What went wrong and what to do next, as p prints it.
    public var description: String {
        switch self {
        case .localFile(let path, let action, let code):
            return "cannot \(action) \(path): \(String(cString: strerror(code)))"
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
        case .workdirBusy(let worker, let holder):
            return
                "job \(holder.prefix(8)) is running in this directory's persistent work directory on '\(worker)'; wait for it with --wait, or stop it with `p stop \(holder.prefix(8))`."
        case .timedOut(let action, let limit):
            return "\(action) did not finish within \(limit.components.seconds) s; it was ended."
        case .syncFailed(let worker, let detail):
            return "could not copy the directory to '\(worker)': \(detail). The job was not started."
        case .jobRunning(let id):
            return "job \(id.prefix(8)) is still running; stop it with `p stop \(id.prefix(8))` or add --force."
        case .jobNotRunning(let id, let status):
            return "job \(id.prefix(8)) is not running (\(status))."
        case .invalidEnvironment(let entry):
            return "'\(entry)' is not KEY=VALUE with KEY made of letters, digits and '_' (not starting with a digit)."
        case .jobFilesMissing(let id, let worker):
            return "the files of job \(id.prefix(8)) are gone from worker '\(worker)'."
        case .pathOutsideWorkdir(let path):
            return "'\(path)' is outside the job's work directory; give a path inside it."
        case .remoteFailure(let worker, let action, let detail):
            return "could not \(action) on worker '\(worker)': \(detail)"
        case .connection(let worker, let jobID, let error):
            let job =
                jobID.map {
                    " The job \($0.prefix(8)) keeps running on the worker; `p logs -f \($0.prefix(8))` resumes its output."
                } ?? ""
            return "worker '\(worker)': \(error)\(job)"
        case .invalidArgument(let message):
            return message
        }
    }
}
