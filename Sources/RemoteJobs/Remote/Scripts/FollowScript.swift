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

    var arguments: [String] { [jobDirectory, "\(offset)", process ?? "", stream.rawValue] }

    /// Streams a job's output from an offset: arguments `J offset pid stream` (the pid recorded at
    /// launch; `stderr` follows `stderr.log`, anything else the log). Prints `p-end missing` when the job's directory is gone. A job in the
    /// worker's queue is waited for first (`WorkerQueue.awaitStart`).
    static let source = [
        #"J=$1; o=$2; P=$3; p=$P; R=${J%/jobs/*}; case $4 in stderr) pL=stderr.log ;; esac"#, WorkerQueue.kickIfQueued,
        RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction, WorkerQueue.awaitStart,
        RemoteScripts.followPart,
    ].joined(separator: "; ")
}
