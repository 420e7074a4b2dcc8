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

    var arguments: [String] {
        switch extent {
        case .bytes(let count): return [jobDirectory, "\(offset)", "\(count)", "0", stream.rawValue]
        case .all: return [jobDirectory, "\(offset)", "all", "0", stream.rawValue]
        case .lastLines(let count): return [jobDirectory, "0", "0", "\(count)", stream.rawValue]
        }
    }

    /// At most `max` bytes (`all`: no limit) of the log from `offset` (or, with `lines` > 0,
    /// its last lines), then the trailer on stderr (a capped log's part dropped ends the
    /// piece early, and its last lines are those after that part; last lines come from the
    /// last 64 MB at most): arguments `J offset max lines stream`
    /// (`stderr`: `stderr.log`, else the log). The size
    /// is measured before the read, so the facts describe at least the bytes returned.
    static let source = [
        #"J=$1; case $5 in stderr) pL=stderr.log ;; esac"#, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"f=$(facts); n=$(size)"#,
        #"if [ "$4" -gt 0 ]; then if [ -f "$J/max_log" ]; then i=0; while :; do gr; s=$gb; n=$(size); fr $s "$J/$pL" | head -c $((n-s)) | tail -n "$4" > "$J/.rd.$$"; gr; if [ $gb = $s ] || [ $i -ge 5 ]; then break; fi; i=$((i+1)); done; cat "$J/.rd.$$"; rm -f "$J/.rd.$$"; else s=0; if [ $n -gt 67108864 ]; then s=$((n-67108864)); fi; fr $s "$J/$pL" | head -c $((n-s)) | tail -n "$4"; fi; elif [ "$n" -le "$2" ]; then :; elif [ "$3" = all ]; then o=$2; rd $n; else o=$2; y=$(($2+$3)); if [ $y -gt $n ]; then y=$n; fi; rd $y; fi"#,
        #"printf "p-end %s%s %s\n" $n "$(gp)" "$f" >&2"#,
    ].joined(separator: "; ")
}
