/// One bounded piece of a job's output, with where the job stands: the answer to
/// `JobEngine.poll` and `JobEngine.tail`.
public struct JobPoll: Sendable, Equatable {
    /// The job's record after this poll (its status reconciled with the worker).
    public var record: JobRecord
    /// The bytes, exactly as the job wrote them.
    public var chunk: [UInt8]
    /// The log offset of the chunk's first byte.
    public var offset: UInt64
    /// The offset to ask from next time (`offset + chunk.count`).
    public var newOffset: UInt64
    /// Whether more bytes past `newOffset` were already waiting on the worker.
    public var more: Bool
    /// The log's size on the worker when it was read.
    public var logSize: UInt64
    /// Set when `offset` fell in the part a capped log dropped: the chunk is empty and
    /// `newOffset` is the first byte kept after the gap.
    public var gap: LogGap? = nil
}

/// Something that happened while following a job.
public enum JobEvent: Sendable, Equatable {
    /// Bytes of output: everything the command wrote, or its stdout when the job keeps
    /// stderr apart (`JobRequest.separateStderr`).
    case output([UInt8])
    /// Bytes the command wrote to stderr, for a job that keeps stderr apart.
    case errorOutput([UInt8])
    /// A capped log dropped these bytes of the stream (of stderr, when `stderr` is true);
    /// the next bytes are those after the gap.
    case gap(LogGap, stderr: Bool)
    /// The job ended (or its worker no longer knows it); the record says how.
    case ended(JobRecord)
}
