import Foundation

/// `p-start <pid> <started_at> <boot_id>` (`say_start` of `Worker/lib/protocol.sh`): the
/// launched job's process id (for a Slurm job, its Slurm id), start time and boot id.
struct StartLine: Equatable {
    var pid: Int
    /// The worker's clock at the start; nil when its `date` printed something else.
    var startedAt: Date?
    var bootID: String?

    /// The line's fields; a start time that is not a sane number leaves `startedAt` nil
    /// rather than losing the line (the job runs either way).
    static func parse(_ line: String) -> StartLine? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4, fields[0] == "p-start", let pid = WorkerValues.pid(fields[1]) else { return nil }
        let boot = fields[3]
        let bootID = boot == "-" || boot.count > 64 ? nil : String(boot)
        return StartLine(pid: pid, startedAt: WorkerValues.date(fields[2]), bootID: bootID)
    }
}
