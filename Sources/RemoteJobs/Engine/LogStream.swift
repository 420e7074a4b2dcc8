/// Which of a job's logs: its output (stdout and stderr together, in the order written,
/// unless the job keeps stderr apart), or the stderr of a job started with
/// `JobRequest.separateStderr`. Each has its own byte offsets.
public enum LogStream: String, Sendable, Codable, CaseIterable {
    /// `output.log`: everything the command wrote, or its stdout when stderr is apart.
    case stdout
    /// `stderr.log`: the stderr of a job that keeps it apart.
    case stderr
}
