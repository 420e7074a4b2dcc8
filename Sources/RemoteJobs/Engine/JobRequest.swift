import Foundation

/// What to run, where, and how.
public struct JobRequest: Sendable, Equatable {
    /// The command line, run by the worker user's shell as `ssh host <command>` would.
    public var command: String
    /// The worker's name; nil means the default worker.
    public var worker: String?
    /// Environment variables for the job, in order; they reach the worker in a file of mode
    /// 0600, never on a command line.
    public var environment: [(key: String, value: String)]
    /// The client directory the job is for (shown by `p ls`).
    public var cwd: String
    /// Stop the job (as `p stop` does) when it runs longer than this.
    public var timeout: Duration?
    /// The grace period between TERM and KILL when the timeout stops the job.
    public var grace: Duration
    /// The local directory to copy into the job's work directory first (git's ignore rules
    /// apply); nil runs the job in an empty work directory.
    public var syncDirectory: String?
    /// How the directory travels: rsync when both ends have it, else SFTP, by default.
    public var syncTransport: SyncTransport
    /// Whether the job runs in the persistent work directory of this (directory, worker),
    /// synced in place, where files the sync does not own (build caches, ignored by git)
    /// survive from one job to the next. Only one job at a time may use it.
    public var reuseWorkdir: Bool
    /// With `reuseWorkdir`: wait while another job uses the persistent work directory,
    /// instead of failing with `RemoteJobsError.workdirBusy`.
    public var waitForWorkdir: Bool
    /// Hard-link unchanged files from the last sync's work directory instead of copying
    /// them (as rsync's `--link-dest`): much faster for large trees, but the two work
    /// directories then share those files, so a job that writes into a file in place (rather
    /// than replacing it) changes the earlier job's copy too.
    public var hardLinks: Bool
    /// Who starts the job when not the CLI (`mcp`), kept in its record.
    public var submitter: String?
    /// The job's id, when the caller wants to know it before the job starts (a UUID, as
    /// `UUID().uuidString`); nil picks a new one.
    public var id: String?

    /// A request.
    public init(
        command: String, worker: String? = nil, environment: [(key: String, value: String)] = [],
        cwd: String = FileManager.default.currentDirectoryPath, timeout: Duration? = nil,
        grace: Duration = .seconds(10),
        syncDirectory: String? = nil, syncTransport: SyncTransport = .automatic, reuseWorkdir: Bool = false,
        waitForWorkdir: Bool = false, hardLinks: Bool = false, submitter: String? = nil, id: String? = nil
    ) {
        self.id = id
        self.submitter = submitter
        self.hardLinks = hardLinks
        self.syncTransport = syncTransport
        self.reuseWorkdir = reuseWorkdir
        self.waitForWorkdir = waitForWorkdir
        self.syncDirectory = syncDirectory
        self.command = command
        self.worker = worker
        self.environment = environment
        self.cwd = cwd
        self.timeout = timeout
        self.grace = grace
    }

    /// Requests are equal when every field is (the environment in order).
    public static func == (lhs: JobRequest, rhs: JobRequest) -> Bool {
        lhs.command == rhs.command && lhs.worker == rhs.worker && lhs.cwd == rhs.cwd && lhs.timeout == rhs.timeout
            && lhs.grace == rhs.grace && lhs.syncDirectory == rhs.syncDirectory
            && lhs.syncTransport == rhs.syncTransport && lhs.reuseWorkdir == rhs.reuseWorkdir
            && lhs.waitForWorkdir == rhs.waitForWorkdir && lhs.hardLinks == rhs.hardLinks
            && lhs.submitter == rhs.submitter && lhs.id == rhs.id
            && lhs.environment.map { [$0.key, $0.value] } == rhs.environment.map { [$0.key, $0.value] }
    }

    /// Parses `KEY=VALUE`.
    /// - Throws: `RemoteJobsError.invalidEnvironment` when it is not one.
    public static func parseEnvironment(_ entry: String) throws(RemoteJobsError) -> (key: String, value: String) {
        guard let equals = entry.firstIndex(of: "=") else { throw .invalidEnvironment(entry) }
        let key = String(entry[..<equals])
        guard isValidKey(key) else { throw .invalidEnvironment(entry) }
        return (key, String(entry[entry.index(after: equals)...]))
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }
    }

    /// The `env` file: one `export KEY='value'` line per variable, sourced by the wrapper.
    var environmentFile: [UInt8] {
        Array(environment.map { "export \($0.key)=\(ShellQuote.quote($0.value))\n" }.joined().utf8)
    }

    var timeoutSeconds: Int? {
        timeout.map { max(1, Int(($0.components.seconds) + ($0.components.attoseconds > 0 ? 1 : 0))) }
    }
}
