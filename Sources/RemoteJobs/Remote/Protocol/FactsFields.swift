/// A job's facts as `facts` of `Worker/lib/facts.sh` prints them, the last fields of a
/// `p-end` line and of each `job` line of a reconcile: `alive exitcode stopped ended_at
/// disk slurm started_at attempts`.
enum FactsFields {
    /// How many fields `facts` prints.
    static let count = 8

    /// `-` is an absent file, `?` one whose content is not what p wrote there, `full` in
    /// the fifth field a disk that was full as the job ended; for a Slurm job, what Slurm
    /// says (`STATE:REASON`) and when it started on its node. Anything malformed reads as
    /// unreadable, never as a crash.
    static func parse(_ fields: [String]) -> JobFacts {
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
            startedAt: fields.count > 6 ? WorkerValues.date(fields[6]) : nil,
            attempts: fields.count > 7 ? JobAttempt.parse(fields[7]) : [])
    }
}
