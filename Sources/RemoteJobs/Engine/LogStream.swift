import Foundation

/// Which of a job's logs: its output (stdout and stderr together, in the order written,
/// unless the job keeps stderr apart), or the stderr of a job started with
/// `JobRequest.separateStderr`. Each has its own byte offsets.
public enum LogStream: String, Sendable, Codable, CaseIterable {
    /// `output.log`: everything the command wrote, or its stdout when stderr is apart.
    case stdout
    /// `stderr.log`: the stderr of a job that keeps it apart.
    case stderr
}

/// Where a stream of a job's log stands, shared between the task that follows it and the
/// one that records it when the stream is cut.
final class StreamOffset: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var current: UInt64
    private var job: String?

    init(_ offset: UInt64) { current = offset }

    var value: UInt64 {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// The job whose stream it is, once known (a launch learns it when the job starts).
    var jobID: String? {
        get { lock.withLock { job } }
        set { lock.withLock { job = newValue } }
    }
}
