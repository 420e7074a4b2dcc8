/// One control line of a worker-side script: what `Worker/lib/protocol.sh` prints, and
/// nothing else is read as one. Each kind has one type that parses it; every field is
/// parsed defensively (`WorkerValues`), since a job can write anything into the files
/// these lines are made of.
enum ControlLine: Equatable {
    /// `p-begin <token>`: the script began (`say_begin`).
    case begin(token: String)
    /// `p-start <pid> <started_at> <boot_id>`: the job runs (`say_start`).
    case start(StartLine)
    /// `p-end <size>[/<from>/<to>] <facts>`: a stream or poll ended (`end_line`).
    case end(EndLine)
    /// `p-end missing`: the job's directory is gone (`missing_line`).
    case missing
    /// `p-slurm <id>`: Slurm took the job (`say_slurm`).
    case slurm(jobID: String)
    /// `p-queued`: the job waits in the worker's queue (`say_queued`).
    case queued
    /// `p-state <STATE:REASON>`: the job waits, for this reason (`say_state`).
    case state(SchedulerFacts)
    /// `p-alive`: a waiting script is still there (`say_alive`).
    case alive

    /// The line `line` (without its newline) as a control line; nil for any other line,
    /// and for a control line whose fields cannot be read.
    static func parse(_ line: String) -> ControlLine? {
        guard line.hasPrefix("p-") else { return nil }
        switch line {
        case "p-alive": return .alive
        case "p-queued": return .queued
        case "p-end missing": return .missing
        default: break
        }
        if line.hasPrefix("p-begin ") { return .begin(token: String(line.dropFirst(8))) }
        if line.hasPrefix("p-start ") { return StartLine.parse(line).map(ControlLine.start) }
        if line.hasPrefix("p-end ") { return EndLine.parse(line).map(ControlLine.end) }
        if line.hasPrefix("p-slurm ") { return WorkerValues.slurmJobID(line.dropFirst(8)).map(ControlLine.slurm) }
        if line.hasPrefix("p-state ") { return SchedulerFacts.parse(String(line.dropFirst(8))).map(ControlLine.state) }
        return nil
    }
}
