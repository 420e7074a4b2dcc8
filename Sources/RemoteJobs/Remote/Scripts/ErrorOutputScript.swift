/// The stderr a job kept apart from its log (`JobRequest.separateStderr`).
struct ErrorOutputScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// At most this many bytes, from the start.
    var maxBytes: Int

    var arguments: [String] { [jobDirectory, "\(maxBytes)"] }

    /// Prints the first `max` bytes of `stderr.log` (nothing when there is none).
    /// Arguments: `J max`.
    static let source = #"head -c "$2" "$1/stderr.log" 2>/dev/null; :"#
}
