import Foundation

/// What one round trip to a worker found out about its jobs.
struct WorkerFacts: Sendable, Equatable {
    /// The worker's boot id now, where it has one.
    var bootID: String?
    /// The facts of each job asked about, by id.
    var jobs: [String: JobFacts]

    /// Facts.
    init(bootID: String?, jobs: [String: JobFacts]) {
        self.bootID = bootID
        self.jobs = jobs
    }
}

/// What a scheduler (Slurm) says of a job: its state (`PENDING`, `RUNNING`, `CANCELLED`,
/// `TIMEOUT`, ...) and, where it gives one, the reason (`Priority`, `Resources`, ...).
struct SchedulerFacts: Sendable, Equatable {
    var state: String
    var reason: String?

    /// What the scripts print for it (`STATE:REASON`, spaces as `\u{1F}`, see
    /// `RemoteScripts.factsFunction`); nil for `-` (no Slurm job, or Slurm forgot it) or
    /// anything that is not a state. `sacct` writes `CANCELLED by 1000`: the first word is
    /// the state. A reason of `None` is no reason.
    static func parse(_ field: String) -> SchedulerFacts? {
        guard field != "-", field.utf8.count <= 512 else { return nil }
        let text = field.replacingOccurrences(of: "\u{1F}", with: " ")
        let (statePart, reasonPart) =
            text.firstIndex(of: ":").map { (text[..<$0], text[text.index(after: $0)...]) } ?? (text[...], ""[...])
        guard let state = statePart.split(separator: " ").first,
            state.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "_") })
        else { return nil }
        let reason = reasonPart.trimmingCharacters(in: .whitespaces)
        return SchedulerFacts(
            state: String(state), reason: reason.isEmpty || reason == "None" || reason == "(null)" ? nil : reason)
    }

    /// Whether Slurm ended the job for reaching its time limit (`--time`).
    var timedOut: Bool { state == "TIMEOUT" || reason == "TimeLimit" }

    /// The states in which a Slurm job has not ended: the one list, `slurm_live` of
    /// `Worker/lib/slurm.sh`, which the worker's scripts use too.
    static let liveStates = Set(WorkerShell.casePattern(function: "slurm_live", in: "lib/slurm.sh"))

    /// The states in which a Slurm job waits to start (p shows it queued): `slurm_waiting` of
    /// `Worker/lib/slurm.sh`.
    static let waitingStates = Set(WorkerShell.casePattern(function: "slurm_waiting", in: "lib/slurm.sh"))
}

/// The worker-side files of one job, as read at one moment.
struct JobFacts: Sendable, Equatable {
    /// Whether `R/jobs/ID` exists at all.
    var exists: Bool
    /// The content of `exitcode`, if present.
    var exitCode: Int32?
    /// The content of `stopped`, if present (how it was stopped).
    var stoppedBy: String?
    /// `ended_at`, if present.
    var endedAt: Date?
    /// Whether the job's process-group leader was alive (checked before `exitcode` was
    /// read, so a job that ends in between is seen with its code).
    var processAlive: Bool
    /// Whether `exitcode` exists but holds no exit status (something else wrote it, or the
    /// disk was full when the wrapper did).
    var exitCodeUnreadable: Bool
    /// Whether the worker's disk was full when the job ended: its exit code came from the
    /// wrapper's fallback marker, or could not be recorded at all.
    var diskFull: Bool
    /// For a Slurm job: what Slurm says of it; nil when Slurm no longer knows it.
    var scheduler: SchedulerFacts?
    /// For a Slurm job: when it started on its node (the worker's clock); nil while queued.
    var startedAt: Date?
    /// For a job with `--retry`: its ended attempts before the last (`J/attempts`).
    var attempts: [JobAttempt] = []

    /// Facts of a job.
    init(
        exists: Bool, exitCode: Int32? = nil, stoppedBy: String? = nil, endedAt: Date? = nil,
        processAlive: Bool = false,
        exitCodeUnreadable: Bool = false, diskFull: Bool = false, scheduler: SchedulerFacts? = nil,
        startedAt: Date? = nil, attempts: [JobAttempt] = []
    ) {
        self.attempts = attempts
        self.startedAt = startedAt
        self.scheduler = scheduler
        self.exitCodeUnreadable = exitCodeUnreadable
        self.diskFull = diskFull
        self.exists = exists
        self.exitCode = exitCode
        self.stoppedBy = stoppedBy
        self.endedAt = endedAt
        self.processAlive = processAlive
    }
}
