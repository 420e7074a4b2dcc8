/// `p-end <size>[/<from>/<to>] <facts>` (`end_line` of `Worker/lib/protocol.sh`): the
/// log's size and the job's facts (`FactsFields`) when a stream or poll ended, and the
/// bytes a capped log dropped so far.
struct EndLine: Equatable {
    var logSize: UInt64
    var facts: JobFacts
    var gap: LogGap? = nil

    static func parse(_ line: String) -> EndLine? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2 + FactsFields.count, fields[0] == "p-end" else { return nil }
        let sizes = fields[1].split(separator: "/", omittingEmptySubsequences: false).map { WorkerValues.size($0) }
        guard let size = sizes.first ?? nil else { return nil }
        var gap: LogGap?
        var logSize = size
        if sizes.count == 3, let from = sizes[1], let to = sizes[2], from < to {
            gap = LogGap(from: from, to: to)
            // The size is measured before the read and the gap after it: the capper may
            // have dropped more of a log that grew meanwhile (it never drops beyond the
            // log's end, which the worker checks), so the log is at least that long.
            logSize = max(size, to)
        }
        return EndLine(logSize: logSize, facts: FactsFields.parse(fields[2...].map(String.init)), gap: gap)
    }
}
