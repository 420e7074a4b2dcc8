import Foundation

/// The control lines p's worker-side scripts print on stderr, around the job's own bytes on
/// stdout: `p-begin <token>` first (see `RemoteScripts.invocation`), then `p-start <pid>
/// <started_at> <boot_id>` when a job was launched, and `p-end <size> <facts>` (or `p-end
/// missing`) when a stream or poll ended. A job handed to Slurm adds `p-slurm <id>` once
/// `sbatch` took it, and `p-state <STATE:REASON>` while it waits in the queue; a job put
/// in the worker's own queue (`WorkerQueue`) prints `p-queued`, then `p-state` lines. A
/// script that waits prints `p-alive` every few seconds (ignored), so that it ends soon
/// after its client is gone (`RemoteScripts.factsFunction`). Lines before `p-begin` with this invocation's
/// token come from the login shell (a `.bashrc`, say), not from p's script: they are never
/// taken as control lines, however they look, and are kept only to explain a script that
/// never began. Anything else after it is kept as the detail of an error.
///
/// Every field is parsed defensively (`WorkerValues`): a job can write anything into the
/// files these lines are made of, and a bad value never crashes p.
struct ControlLines {
    /// `p-start`: the launched job's process id, start time and boot id.
    struct Start: Equatable {
        var pid: Int
        /// The worker's clock at the start; nil when its `date` printed something else.
        var startedAt: Date?
        var bootID: String?
    }

    /// `p-end`: the log's size and the job's facts when the script ended, and the bytes a
    /// capped log dropped so far (the size field is then `<size>/<from>/<to>`).
    struct End: Equatable {
        var logSize: UInt64
        var facts: JobFacts
        var gap: LogGap? = nil
    }

    /// A line that changes what is known of a launch, as it arrives.
    enum Event: Equatable {
        /// The job runs (`p-start`).
        case started(Start)
        /// Slurm took the job under this id (`p-slurm`).
        case submitted(slurmJobID: String)
        /// The job waits in Slurm's queue or the worker's (`p-state`), for this reason where
        /// there is one.
        case queued(reason: String?)
        /// The job is in the worker's queue (`p-queued`): it exists, and starts when a slot
        /// frees and the jobs it runs after ended.
        case enqueued
    }

    private let beginLine: String
    private var pending: [UInt8] = []
    private(set) var begun = false
    private(set) var start: Start?
    private(set) var end: End?
    private(set) var jobMissing = false
    private var preamble = ""
    private var text = ""

    /// A parser for one invocation whose `p-begin` line carries `token`; nil takes the
    /// lines as control lines from the first one (a server answering on an open channel).
    init(token: String?) {
        beginLine = token.map { "p-begin " + $0 } ?? ""
        begun = token == nil
    }

    /// What the script printed that is not a control line (or, if it never began, what
    /// the login shell printed instead), for error messages.
    var otherText: String { begun ? text : preamble }

    /// Feeds stderr bytes; returns the events of the lines this chunk completed.
    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        pending += bytes
        var events: [Event] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if !begun {
                if line == beginLine {
                    begun = true
                } else if preamble.utf8.count < 4096 {
                    preamble += line + "\n"
                }
            } else if line.hasPrefix("p-start "), let parsed = Self.parseStart(line) {
                start = parsed
                events.append(.started(parsed))
            } else if line.hasPrefix("p-slurm "), let id = WorkerValues.slurmJobID(line.dropFirst(8)) {
                events.append(.submitted(slurmJobID: id))
            } else if line.hasPrefix("p-state "), let state = SchedulerFacts.parse(String(line.dropFirst(8))) {
                events.append(.queued(reason: state.reason))
            } else if line == "p-alive" {
                // A waiting script checking that its client is still there: nothing to do.
            } else if line == "p-queued" {
                events.append(.enqueued)
            } else if line == "p-end missing" {
                jobMissing = true
            } else if line.hasPrefix("p-end "), let parsed = Self.parseEnd(line) {
                end = parsed
            } else if text.utf8.count < 4096 {
                text += line + "\n"
            }
        }
        return events
    }

    /// `p-start <pid> <started_at> <boot_id>`; a start time that is not a sane number
    /// leaves `startedAt` nil rather than losing the line (the job runs either way).
    static func parseStart(_ line: String) -> Start? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4, fields[0] == "p-start", let pid = WorkerValues.pid(fields[1]) else { return nil }
        let boot = fields[3]
        let bootID = boot == "-" || boot.count > 64 ? nil : String(boot)
        return Start(pid: pid, startedAt: WorkerValues.date(fields[2]), bootID: bootID)
    }

    static func parseEnd(_ line: String) -> End? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 9, fields[0] == "p-end" else { return nil }
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
        return End(logSize: logSize, facts: parseFacts(fields[2...].map(String.init)), gap: gap)
    }

    /// `alive exitcode stopped ended_at disk slurm started_at` as printed by the scripts'
    /// `facts` function: `-` for an absent file, `?` for one whose content is not what p
    /// wrote there, `full` in the fifth field when the disk was full as the job ended; for a
    /// Slurm job, what Slurm says (`STATE:REASON`) and when it started on its node. Anything
    /// malformed reads as unreadable, never as a crash.
    static func parseFacts(_ fields: [String]) -> JobFacts {
        let exit = fields.count > 1 ? fields[1] : "?"
        let exitCode = WorkerValues.exitCode(exit)
        let stopped = fields.count > 2 ? fields[2] : "-"
        let ended = fields.count > 3 ? fields[3] : "-"
        return JobFacts(
            exists: true, exitCode: exitCode,
            stoppedBy: stopped == "-" ? nil : WorkerValues.signalName(stopped) ?? "unknown",
            endedAt: WorkerValues.date(ended), processAlive: fields.first == "1",
            exitCodeUnreadable: exit != "-" && exitCode == nil, diskFull: fields.count > 4 && fields[4] == "full",
            scheduler: fields.count > 5 ? SchedulerFacts.parse(fields[5]) : nil,
            startedAt: fields.count > 6 ? WorkerValues.date(fields[6]) : nil)
    }
}
