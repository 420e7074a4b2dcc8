/// What a job's result patterns (`--pull`) match in its work directory
/// (`Worker/match-results.sh`): paths relative to it, in the order matched.
struct MatchResultsScript: AnsweringScript {
    /// The job's work directory.
    var workdir: String
    /// The patterns, checked relative (`JobRequest.checkPullPatterns`).
    var patterns: [String]

    var arguments: KeyValuePairs<String, String> {
        ["workdir": workdir, "patterns": patterns.joined(separator: "\n")]
    }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> [String] {
        guard result.status == .exited(0) else {
            throw .remoteFailure(worker: worker, action: "find the job's results", detail: result.failureDetail)
        }
        var seen: Set<String> = []
        return String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init).filter {
            seen.insert($0).inserted
        }
    }

    /// `Worker/match-results.sh`.
    static let repeatable = true
    static let file = "match-results.sh"
    static let source = WorkerShell.program(file)
}
