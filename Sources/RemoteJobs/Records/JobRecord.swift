import Foundation

/// What the client remembers of one job: one JSON file under `$XDG_DATA_HOME/p/jobs`.
public struct JobRecord: Sendable, Equatable {
    /// The job's UUID, lowercase.
    public var id: String
    /// The worker's name.
    public var worker: String
    /// The worker's connection string when the job started.
    public var connection: String
    /// The worker-side root (`Worker.remoteRoot`) when the job started.
    public var root: String
    /// The command, as the words after `--` joined with spaces.
    public var command: String
    /// The client directory it was started from.
    public var cwd: String
    /// When p started launching it.
    public var submittedAt: Date
    /// When it started, on the client's clock (the moment the worker said it started).
    public var startedAt: Date?
    /// How far the worker's clock was ahead of the client's at the start, in seconds
    /// (negative when behind), so that times the worker reports later (when the job ended)
    /// are shown on the client's clock; nil when the worker's clock could not be read.
    public var workerClockOffset: Double?
    /// The process id of the job's process-group leader on the worker.
    public var pid: Int?
    /// The worker's boot id at launch, where the worker has one.
    public var bootID: String?
    /// The Slurm job id, for a job handed to Slurm (`p worker register --slurm`).
    public var slurmJobID: String?
    /// The caller's key that made its submission idempotent (`JobRequest.clientKey`).
    public var clientKey: String?

    /// How the worker's queue names this job among another's dependencies (`--after`): its
    /// id while it may still run (or is unknown: the worker's files decide); `id:CODE` once
    /// it ended with that exit code, or `id:-` without one, so the queue decides without
    /// its files (a prune may remove them).
    var dependencyToken: String {
        guard status.removal == .ended else { return id }
        return id + ":" + (status.exitCode.map(String.init) ?? "-")
    }

    /// How the worker-side scripts find the job's process: `slurm:<id>` for a Slurm job,
    /// else the pid recorded at launch.
    var workerProcess: String? { slurmJobID.map { "slurm:" + $0 } ?? pid.map(String.init) }
    /// The job's state.
    public var status: JobStatus
    /// Where an interrupted stream of its output stood (bytes already shown), so that
    /// `p logs -f` continues from there; nil once a stream ran to the end.
    public var resumeOffset: UInt64?
    /// The same for the stderr of a job that keeps it apart (`separateStderr`).
    public var resumeErrorOffset: UInt64?
    /// The `--timeout` in seconds, if any.
    public var timeoutSeconds: Int?
    /// The name of the persistent work directory under `R/workdirs/` the job ran in
    /// (`--reuse-workdir`); nil when it had its own, named by its id.
    public var sharedWorkdir: String?
    /// Who started it when not the CLI: `mcp` for `p mcp`, whose retention sweep removes
    /// only the jobs it started.
    public var submitter: String?
    /// Whether the job keeps its stderr apart, in `stderr.log` (`JobRequest.separateStderr`).
    public var separateStderr = false
    /// The cap on each of its logs in bytes, if any (`JobRequest.maxLog`).
    public var maxLog: UInt64?
    /// For a job submitted with a client key: what the submit asked for (`KeyedRequest`),
    /// so the key used again for another request is refused.
    var keyedRequest: String?
    /// The jobs it runs after (`--after`), whose records and files stay while it may
    /// still need their outcome (`JobEngine.prune`).
    public var after: [String] = []
    /// For an element of a job array: the array it belongs to.
    public var array: ArrayMembership?
    /// The result patterns (`JobRequest.pull`), if any.
    public var pull: [String] = []
    /// The local directory the job's results go into (its own, `.../ID` or
    /// `.../ARRAY/INDEX`), when it has result patterns.
    public var resultsDirectory: String?
    /// Whether its results were brought back once it ended (`JobEngine.pullResults`).
    public var resultsPulled = false
    /// When it runs again (`JobRequest.retry`), if it does.
    public var retry: RetryPolicy?
    /// Its ended attempts before the last, for a job that was retried (the last attempt is
    /// the job's own status, times and exit code).
    public var attempts: [JobAttempt] = []
    /// The label it was placed by (`@gpu`), so a relaunch of a lost job is placed again.
    public var placement: String?
    /// Whether its directory (`cwd`) was synced into its work directory.
    public var synced = false
    /// For a job found lost and started again (`RetryPolicy.onLost`): the job that runs in
    /// its place (which `p wait` follows, and an array counts instead).
    public var supersededBy: String?
    /// How many of `attempts` were made before this job (attempts of jobs it replaced); the
    /// rest are its own wrapper's retries.
    public var priorAttempts = 0

    /// A record.
    public init(
        id: String, worker: String, connection: String, root: String, command: String, cwd: String,
        submittedAt: Date = Date(), startedAt: Date? = nil, pid: Int? = nil, bootID: String? = nil,
        status: JobStatus = .running, resumeOffset: UInt64? = nil, timeoutSeconds: Int? = nil,
        sharedWorkdir: String? = nil, submitter: String? = nil, workerClockOffset: Double? = nil,
        slurmJobID: String? = nil, clientKey: String? = nil
    ) {
        self.clientKey = clientKey
        self.slurmJobID = slurmJobID
        self.workerClockOffset = workerClockOffset
        self.submitter = submitter
        self.sharedWorkdir = sharedWorkdir
        self.id = id
        self.worker = worker
        self.connection = connection
        self.root = root
        self.command = command
        self.cwd = cwd
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.pid = pid
        self.bootID = bootID
        self.status = status
        self.resumeOffset = resumeOffset
        self.timeoutSeconds = timeoutSeconds
    }

    /// The job's work directory on the worker, relative to the login directory unless the
    /// root is absolute.
    public var workdirPath: String { root + "/workdirs/" + (sharedWorkdir ?? id) }

    /// The first 8 characters of the id, as `p ls` shows it.
    public var shortID: String { String(id.prefix(8)) }

    /// A time the worker reported, on the client's clock.
    func clientTime(ofWorkerTime time: Date) -> Date {
        guard let workerClockOffset else { return time }
        return time.addingTimeInterval(-workerClockOffset)
    }

    /// How long it ran, or has been running, at `now`.
    public func duration(now: Date = Date()) -> TimeInterval? {
        let start = startedAt ?? submittedAt
        if status.isActive { return max(0, now.timeIntervalSince(start)) }
        return status.endedAt.map { max(0, $0.timeIntervalSince(start)) }
    }
}

extension JobRecord {
    /// The encoder of records as p stores them and `p ls --json` prints them: snake_case
    /// keys in order, dates as ISO 8601 with fractional seconds.
    public static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom(RecordDates.encode)
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension JobRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case id, worker, connection, root, command, cwd, pid, status, reason, signal
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case bootID = "boot_id"
        case exitCode = "exit_code"
        case resumeOffset = "resume_offset"
        case resumeErrorOffset = "resume_stderr_offset"
        case timeoutSeconds = "timeout_s"
        case sharedWorkdir = "shared_workdir"
        case submitter
        case workerClockOffset = "worker_clock_offset_s"
        case preparer
        case slurmJobID = "slurm_job_id"
        case clientKey = "client_key"
        case separateStderr = "separate_stderr"
        case maxLog = "max_log"
        case keyedRequest = "client_request"
        case after
        case arrayID = "array_id"
        case arrayIndex = "array_index"
        case arrayCommand = "array_command"
        case arrayValue = "array_value"
        case pull
        case resultsDirectory = "results_directory"
        case resultsPulled = "results_pulled"
        case retry, attempts, placement, synced
        case supersededBy = "superseded_by"
        case priorAttempts = "prior_attempts"
    }

    /// Reads a record; the status and its data are checked (a failed job needs its code).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        worker = try c.decode(String.self, forKey: .worker)
        connection = try c.decode(String.self, forKey: .connection)
        root = try c.decodeIfPresent(String.self, forKey: .root) ?? ".p"
        command = try c.decode(String.self, forKey: .command)
        cwd = try c.decode(String.self, forKey: .cwd)
        submittedAt = try c.decode(Date.self, forKey: .submittedAt)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        pid = try c.decodeIfPresent(Int.self, forKey: .pid)
        bootID = try c.decodeIfPresent(String.self, forKey: .bootID)
        slurmJobID = try c.decodeIfPresent(String.self, forKey: .slurmJobID)
        clientKey = try c.decodeIfPresent(String.self, forKey: .clientKey)
        resumeOffset = try c.decodeIfPresent(UInt64.self, forKey: .resumeOffset)
        resumeErrorOffset = try c.decodeIfPresent(UInt64.self, forKey: .resumeErrorOffset)
        timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
        sharedWorkdir = try c.decodeIfPresent(String.self, forKey: .sharedWorkdir)
        submitter = try c.decodeIfPresent(String.self, forKey: .submitter)
        separateStderr = try c.decodeIfPresent(Bool.self, forKey: .separateStderr) ?? false
        maxLog = try c.decodeIfPresent(UInt64.self, forKey: .maxLog)
        keyedRequest = try c.decodeIfPresent(String.self, forKey: .keyedRequest)
        after = try c.decodeIfPresent([String].self, forKey: .after) ?? []
        pull = try c.decodeIfPresent([String].self, forKey: .pull) ?? []
        resultsDirectory = try c.decodeIfPresent(String.self, forKey: .resultsDirectory)
        resultsPulled = try c.decodeIfPresent(Bool.self, forKey: .resultsPulled) ?? false
        retry = try c.decodeIfPresent(RetryPolicy.self, forKey: .retry)
        attempts = try c.decodeIfPresent([JobAttempt].self, forKey: .attempts) ?? []
        placement = try c.decodeIfPresent(String.self, forKey: .placement)
        synced = try c.decodeIfPresent(Bool.self, forKey: .synced) ?? false
        supersededBy = try c.decodeIfPresent(String.self, forKey: .supersededBy)
        priorAttempts = try c.decodeIfPresent(Int.self, forKey: .priorAttempts) ?? 0
        if let arrayID = try c.decodeIfPresent(String.self, forKey: .arrayID) {
            array = ArrayMembership(
                id: arrayID, index: try c.decode(Int.self, forKey: .arrayIndex),
                command: try c.decodeIfPresent(String.self, forKey: .arrayCommand) ?? "",
                value: try c.decodeIfPresent(String.self, forKey: .arrayValue))
        }
        workerClockOffset = try c.decodeIfPresent(Double.self, forKey: .workerClockOffset).flatMap {
            $0.isFinite && abs($0) < 1e10 ? $0 : nil
        }
        let endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        let exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
        switch try c.decode(String.self, forKey: .status) {
        case "syncing":
            status = .syncing(by: try c.decode(ClientProcess.self, forKey: .preparer))
        case "queued":
            status = .queued(reason: try c.decodeIfPresent(String.self, forKey: .reason))
        case "running":
            status = .running
        case "paused":
            status = .paused
        case "done":
            status = .done(endedAt: endedAt)
        case "failed":
            let reason = try c.decodeIfPresent(String.self, forKey: .reason)
            guard exitCode != nil || reason != nil else {
                throw DecodingError.dataCorruptedError(
                    forKey: .exitCode, in: c, debugDescription: "a failed job needs its exit code or a reason")
            }
            status = .failed(exitCode: exitCode, endedAt: endedAt, reason: reason)
        case "stopped":
            let signal = try c.decodeIfPresent(String.self, forKey: .signal) ?? "TERM"
            status = .stopped(signal: signal, exitCode: exitCode, endedAt: endedAt)
        case "unknown":
            status = .unknown(reason: try c.decodeIfPresent(String.self, forKey: .reason) ?? "")
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: c, debugDescription: "'\(other)' is not a job status")
        }
    }

    /// Writes the record in the snake_case JSON of `$XDG_DATA_HOME/p/jobs/<id>.json`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(worker, forKey: .worker)
        try c.encode(connection, forKey: .connection)
        try c.encode(root, forKey: .root)
        try c.encode(command, forKey: .command)
        try c.encode(cwd, forKey: .cwd)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(pid, forKey: .pid)
        try c.encodeIfPresent(bootID, forKey: .bootID)
        try c.encodeIfPresent(slurmJobID, forKey: .slurmJobID)
        try c.encodeIfPresent(clientKey, forKey: .clientKey)
        try c.encode(status.name, forKey: .status)
        try c.encodeIfPresent(status.exitCode, forKey: .exitCode)
        try c.encodeIfPresent(status.endedAt, forKey: .endedAt)
        if case .stopped(let signal, _, _) = status { try c.encode(signal, forKey: .signal) }
        try c.encodeIfPresent(status.reason, forKey: .reason)
        if case .syncing(let preparer) = status { try c.encode(preparer, forKey: .preparer) }
        try c.encodeIfPresent(resumeOffset, forKey: .resumeOffset)
        try c.encodeIfPresent(resumeErrorOffset, forKey: .resumeErrorOffset)
        try c.encodeIfPresent(timeoutSeconds, forKey: .timeoutSeconds)
        try c.encodeIfPresent(sharedWorkdir, forKey: .sharedWorkdir)
        try c.encodeIfPresent(submitter, forKey: .submitter)
        if separateStderr { try c.encode(true, forKey: .separateStderr) }
        try c.encodeIfPresent(maxLog, forKey: .maxLog)
        try c.encodeIfPresent(keyedRequest, forKey: .keyedRequest)
        if !after.isEmpty { try c.encode(after, forKey: .after) }
        if !pull.isEmpty { try c.encode(pull, forKey: .pull) }
        try c.encodeIfPresent(resultsDirectory, forKey: .resultsDirectory)
        if resultsPulled { try c.encode(true, forKey: .resultsPulled) }
        try c.encodeIfPresent(retry, forKey: .retry)
        if !attempts.isEmpty { try c.encode(attempts, forKey: .attempts) }
        try c.encodeIfPresent(placement, forKey: .placement)
        if synced { try c.encode(true, forKey: .synced) }
        try c.encodeIfPresent(supersededBy, forKey: .supersededBy)
        if priorAttempts > 0 { try c.encode(priorAttempts, forKey: .priorAttempts) }
        if let array {
            try c.encode(array.id, forKey: .arrayID)
            try c.encode(array.index, forKey: .arrayIndex)
            try c.encode(array.command, forKey: .arrayCommand)
            try c.encode(array.value, forKey: .arrayValue)
        }
        try c.encodeIfPresent(workerClockOffset, forKey: .workerClockOffset)
    }
}

/// Where an element of a job array stands in it.
public struct ArrayMembership: Sendable, Equatable {
    /// The array's id (a UUID, lowercase): what `p wait`, `p stop` and `p rm` take for all
    /// its elements, and `ID:INDEX` for one.
    public var id: String
    /// The element's index (`P_ARRAY_INDEX`).
    public var index: Int
    /// The array's command, `{}` not yet replaced.
    public var command: String
    /// The element's value (what `{}` became).
    public var value: String

    /// A membership.
    public init(id: String, index: Int, command: String, value: String? = nil) {
        self.id = id
        self.index = index
        self.command = command
        self.value = value ?? String(index)
    }

    /// The first 8 characters of the array's id.
    public var shortID: String { String(id.prefix(8)) }
}
