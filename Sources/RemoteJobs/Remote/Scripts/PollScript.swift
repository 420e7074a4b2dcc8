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

    var arguments: [String] {
        switch extent {
        case .bytes(let count): return [jobDirectory, "\(offset)", "\(count)", "0"]
        case .all: return [jobDirectory, "\(offset)", "all", "0"]
        case .lastLines(let count): return [jobDirectory, "0", "0", "\(count)"]
        }
    }

    /// At most `max` bytes (`all`: no limit) of the log from `offset` (or, with `lines` > 0,
    /// its last lines), then the trailer on stderr: arguments `J offset max lines`. The size
    /// is measured before the read, so the facts describe at least the bytes returned.
    static let source = [
        #"J=$1"#, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"f=$(facts); n=$(size)"#,
        #"if [ "$4" -gt 0 ]; then head -c $n "$J/output.log" | tail -n "$4"; elif [ "$n" -le "$2" ]; then :; elif [ "$3" = all ]; then tail -c +$(($2+1)) "$J/output.log"; else tail -c +$(($2+1)) "$J/output.log" | head -c "$3"; fi"#,
        #"printf "p-end %s %s\n" $n "$f" >&2"#,
    ].joined(separator: "; ")
}
