/// Streams a job's output from a byte offset until the job ended, then the trailer.
struct FollowScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// The first byte of the log to send.
    var offset: UInt64
    /// The job's process as recorded at launch (`JobRecord.workerProcess`), if it was.
    var process: String?
    /// Which of the job's logs.
    var stream: LogStream = .stdout

    var arguments: KeyValuePairs<String, String> {
        ["job": jobDirectory, "offset": "\(offset)", "process": process ?? "", "stream": stream.rawValue]
    }

    /// `Worker/follow.sh`.
    static let file = "follow.sh"
    static let source = WorkerShell.program(file)
}
