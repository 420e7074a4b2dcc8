/// A piece of a job's output as it stands now, then the trailer.
struct PollScript: WorkerScript {
    /// How much of the log to send.
    enum Extent: Equatable {
        /// At most this many bytes from the offset.
        case bytes(Int)
        /// Everything from the offset.
        case all
        /// The last lines (the offset is ignored).
        case lastLines(Int)
    }

    /// `R/jobs/ID`.
    var jobDirectory: String
    /// The first byte of the log to send.
    var offset: UInt64
    var extent: Extent
    /// Which of the job's logs.
    var stream: LogStream = .stdout

    var arguments: KeyValuePairs<String, String> {
        switch extent {
        case .bytes(let count):
            ["job": jobDirectory, "offset": "\(offset)", "max": "\(count)", "lines": "0", "stream": stream.rawValue]
        case .all: ["job": jobDirectory, "offset": "\(offset)", "max": "all", "lines": "0", "stream": stream.rawValue]
        case .lastLines(let count):
            ["job": jobDirectory, "offset": "0", "max": "0", "lines": "\(count)", "stream": stream.rawValue]
        }
    }

    /// `Worker/poll.sh`.
    static let file = "poll.sh"
    static let source = WorkerShell.program(file)
}
