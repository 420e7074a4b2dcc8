/// Waits on the worker until a job ended, then the trailer.
struct WaitScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// The job's process as recorded at launch (`JobRecord.workerProcess`), if it was.
    var process: String?

    var arguments: KeyValuePairs<String, String> { ["job": jobDirectory, "process": process ?? ""] }

    /// `Worker/wait.sh`.
    static let file = "wait.sh"
    static let source = WorkerShell.program(file)
}
