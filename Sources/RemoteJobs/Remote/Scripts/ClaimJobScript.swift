/// What `ClaimJobScript` found.
enum JobClaim: Equatable {
    /// The job's directory is this submit's now.
    case claimed
    /// Another submit with the same key claimed it first, asking for `request` (nil when
    /// its file cannot be read), and has `started` the job (its `pid` file naming `pid`,
    /// where it does) or is still preparing it.
    case taken(request: KeyedRequest?, started: Bool, pid: Int? = nil)
    /// A job of this key ran here and was removed since (its request kept in `R/keys`).
    case removed(request: KeyedRequest?)
}

/// Claims a job's directory on the worker for a submit with a client key, before anything
/// else of the job is written there: `mkdir`, which only one process can win, however many
/// servers (on one machine or several) submit the same key at once.
struct ClaimJobScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    var jobID: String
    var request: KeyedRequest

    var arguments: KeyValuePairs<String, String> { ["root": root, "id": jobID, "request": request.line] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> JobClaim {
        let text = String(decoding: stdout, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch lines.first {
        case "claimed": return .claimed
        case "removed": return .removed(request: lines.count > 1 ? KeyedRequest.parse(lines[1]) : nil)
        case "started", "preparing":
            let request = lines.count > 1 ? KeyedRequest.parse(lines[1]) : nil
            let pid = lines.count > 2 ? WorkerValues.pid(lines[2]) : nil
            return .taken(request: request, started: lines[0] == "started", pid: pid)
        default:
            throw .remoteFailure(
                worker: worker, action: "claim job \(jobID.prefix(8))", detail: result.failureDetail)
        }
    }

    /// `Worker/claim-job.sh`.
    static let file = "claim-job.sh"
    static let source = WorkerShell.program(file)
}
