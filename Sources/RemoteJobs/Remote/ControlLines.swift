import Foundation

/// The control lines p's worker-side scripts print on stderr, around the job's own bytes on
/// stdout: `p-start <pid> <started_at> <boot_id>` when a job was launched, and `p-end <size>
/// <alive> <exitcode> <stopped> <ended_at>` (or `p-end missing`) when a stream or poll ended.
/// Anything else on stderr is kept as the detail of an error.
struct ControlLines {
    /// `p-start`: the launched job's process id, start time and boot id.
    struct Start: Equatable {
        var pid: Int
        var startedAt: Date
        var bootID: String?
    }

    /// `p-end`: the log's size and the job's facts when the script ended.
    struct End: Equatable {
        var logSize: UInt64
        var facts: JobFacts
    }

    private var pending: [UInt8] = []
    private(set) var start: Start?
    private(set) var end: End?
    private(set) var jobMissing = false
    private(set) var otherText = ""

    /// Feeds stderr bytes; returns the `p-start` line if this chunk completed it.
    mutating func feed(_ bytes: [UInt8]) -> Start? {
        pending += bytes
        var started: Start?
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if let parsed = Self.parseStart(line) {
                start = parsed
                started = parsed
            } else if line == "p-end missing" {
                jobMissing = true
            } else if let parsed = Self.parseEnd(line) {
                end = parsed
            } else if otherText.utf8.count < 4096 {
                otherText += line + "\n"
            }
        }
        return started
    }

    static func parseStart(_ line: String) -> Start? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4, fields[0] == "p-start", let pid = Int(fields[1]), let started = Double(fields[2])
        else { return nil }
        return Start(
            pid: pid, startedAt: Date(timeIntervalSince1970: started),
            bootID: fields[3] == "-" ? nil : String(fields[3]))
    }

    static func parseEnd(_ line: String) -> End? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 6, fields[0] == "p-end", let size = UInt64(fields[1]),
            let facts = parseFacts(fields[2...].map(String.init))
        else { return nil }
        return End(logSize: size, facts: facts)
    }

    /// `alive exitcode stopped ended_at` as printed by the scripts' `facts` function.
    static func parseFacts(_ fields: [String]) -> JobFacts? {
        guard fields.count == 4 else { return nil }
        return JobFacts(
            exists: true,
            exitCode: fields[1] == "-" ? nil : Int32(fields[1]),
            stoppedBy: fields[2] == "-" ? nil : fields[2],
            endedAt: Double(fields[3]).map { Date(timeIntervalSince1970: $0) },
            processAlive: fields[0] == "1")
    }

    /// The `reconcile` script's answer: the boot id and each job's facts.
    static func parseReconcile(_ text: String) -> WorkerFacts? {
        var bootID: String?
        var sawBoot = false
        var jobs: [String: JobFacts] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 2, fields[0] == "boot" {
                sawBoot = true
                bootID = fields[1] == "-" ? nil : fields[1]
            } else if fields.count == 3, fields[0] == "job", fields[2] == "missing" {
                jobs[fields[1]] = JobFacts(exists: false)
            } else if fields.count == 6, fields[0] == "job", let facts = parseFacts(Array(fields[2...])) {
                jobs[fields[1]] = facts
            }
        }
        return sawBoot ? WorkerFacts(bootID: bootID, jobs: jobs) : nil
    }
}
