/// Whether a job was started on the worker: its launcher wrote `cmd` (for idempotent
/// submits, which must never start the same job twice).
struct LaunchedScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    var jobID: String

    var arguments: [String] { [root, jobID] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> Bool {
        let text = String(decoding: stdout, as: UTF8.self)
        guard text.contains("launched") else {
            throw .remoteFailure(
                worker: worker, action: "look for job \(jobID.prefix(8))", detail: result.failureDetail)
        }
        return text.contains("launched yes")
    }

    /// Prints `launched yes` or `launched no`. Arguments: `R ID`.
    static let source = #"if [ -e "$1/jobs/$2/cmd" ]; then echo launched yes; else echo launched no; fi"#
}
