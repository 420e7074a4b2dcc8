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
    /// When it started on the worker (the worker's clock).
    public var startedAt: Date?
    /// The process id of the job's process-group leader on the worker.
    public var pid: Int?
    /// The worker's boot id at launch, where the worker has one.
    public var bootID: String?
    /// The job's state.
    public var status: JobStatus
    /// Where an interrupted stream of its output stood (bytes already shown), so that
    /// `p logs -f` continues from there; nil once a stream ran to the end.
    public var resumeOffset: UInt64?
    /// The `--timeout` in seconds, if any.
    public var timeoutSeconds: Int?
    /// The name of the persistent work directory under `R/workdirs/` the job ran in
    /// (`--reuse-workdir`); nil when it had its own, named by its id.
    public var sharedWorkdir: String?
    /// Who started it when not the CLI: `mcp` for `p mcp`, whose retention sweep removes
    /// only the jobs it started.
    public var submitter: String?

    /// A record.
    public init(
        id: String, worker: String, connection: String, root: String, command: String, cwd: String,
        submittedAt: Date = Date(), startedAt: Date? = nil, pid: Int? = nil, bootID: String? = nil,
        status: JobStatus = .running, resumeOffset: UInt64? = nil, timeoutSeconds: Int? = nil,
        sharedWorkdir: String? = nil, submitter: String? = nil
    ) {
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

    /// How long it ran, or has been running, at `now`.
    public func duration(now: Date = Date()) -> TimeInterval? {
        let start = startedAt ?? submittedAt
        if status.isRunning { return max(0, now.timeIntervalSince(start)) }
        return status.endedAt.map { max(0, $0.timeIntervalSince(start)) }
    }
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
        case timeoutSeconds = "timeout_s"
        case sharedWorkdir = "shared_workdir"
        case submitter
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
        resumeOffset = try c.decodeIfPresent(UInt64.self, forKey: .resumeOffset)
        timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
        sharedWorkdir = try c.decodeIfPresent(String.self, forKey: .sharedWorkdir)
        submitter = try c.decodeIfPresent(String.self, forKey: .submitter)
        let endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        let exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
        switch try c.decode(String.self, forKey: .status) {
        case "running":
            status = .running
        case "done":
            status = .done(endedAt: endedAt)
        case "failed":
            guard let exitCode else {
                throw DecodingError.dataCorruptedError(
                    forKey: .exitCode, in: c, debugDescription: "a failed job needs its exit code")
            }
            status = .failed(exitCode: exitCode, endedAt: endedAt)
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
        try c.encode(status.name, forKey: .status)
        try c.encodeIfPresent(status.exitCode, forKey: .exitCode)
        try c.encodeIfPresent(status.endedAt, forKey: .endedAt)
        if case .stopped(let signal, _, _) = status { try c.encode(signal, forKey: .signal) }
        if case .unknown(let reason) = status { try c.encode(reason, forKey: .reason) }
        try c.encodeIfPresent(resumeOffset, forKey: .resumeOffset)
        try c.encodeIfPresent(timeoutSeconds, forKey: .timeoutSeconds)
        try c.encodeIfPresent(sharedWorkdir, forKey: .sharedWorkdir)
        try c.encodeIfPresent(submitter, forKey: .submitter)
    }
}
