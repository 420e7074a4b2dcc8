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
    /// What to ask of Slurm, on a Slurm worker (refused on an SSH worker).
    public var slurm: SlurmRequest
    /// Jobs (ids or unique prefixes) on the same worker that must end before this one
    /// starts; it waits in the worker's queue meanwhile.
    public var after: [String]
    /// A key of the caller's that makes the submission idempotent: the same key always
    /// names the same job (its id is derived from the key), so a retried submit, after a
    /// restart or a broken connection, returns that job instead of starting another.
    public var clientKey: String?
    /// Whether the command's stderr is kept apart from its output, in the job's
    /// `stderr.log` (`--separate-stderr`), instead of interleaved in the log, each with its
    /// own offsets (`LogStream`).
    public var separateStderr: Bool = false
    /// The cap on each of the job's logs in bytes (`--max-log`), at least 64 KB: past it,
    /// the worker keeps the first half and the most recent half and drops what lies
    /// between (`LogGap`). nil: the worker's default (`Worker.maxLog`), else no cap.
    public var maxLog: UInt64?
    /// A command the worker runs when the job ends (`--on-end`): in the work directory,
    /// with the job's variables and `P_JOB_ID`, `P_JOB_STATUS` (`done`, `failed`,
    /// `stopped`) and `P_JOB_EXIT_CODE`; its output goes to the job's `on_end.log`, never
    /// to the job's log. It runs when p's wrapper records the end, so not after a KILL.
    public var onEnd: String?
    /// With `after`: start whatever their outcome (`--after-any`); otherwise only when all
    /// succeeded, and a failure ends this job as failed without running it.
    public var afterAnyOutcome: Bool
    /// What to bring back when the job ends (`--pull`): shell globs relative to the work
    /// directory (`results/*.csv`, `model.pt`, `out`), matched on the worker; see
    /// `JobEngine.pullResults`.
    public var pull: [String] = []
    /// Where the results go (`--pull-to`): an absolute local directory under which each
    /// job's results land in a directory named by its id (an array's element's in
    /// `ARRAY/INDEX`); nil: `p-results` in `cwd`.
    public var pullTo: String?
    /// When the job runs again (`--retry`, `--retry-on`): exit codes are retried on the
    /// worker by the job's wrapper; see `RetryPolicy`.
    public var retry: RetryPolicy?
    /// The lost job this request starts again (`JobEngine.relaunch`): its array membership,
    /// results, retry policy and attempts carry over.
    var relaunchOf: JobRecord?

    /// A request.
    public init(
        command: String, worker: String? = nil, environment: [(key: String, value: String)] = [],
        cwd: String = FileManager.default.currentDirectoryPath, timeout: Duration? = nil,
        grace: Duration = .seconds(10),
        syncDirectory: String? = nil, syncTransport: SyncTransport = .automatic, reuseWorkdir: Bool = false,
        waitForWorkdir: Bool = false, hardLinks: Bool = false, submitter: String? = nil, id: String? = nil,
        slurm: SlurmRequest = SlurmRequest(), after: [String] = [], afterAnyOutcome: Bool = false,
        clientKey: String? = nil
    ) {
        self.clientKey = clientKey
        self.after = after
        self.afterAnyOutcome = afterAnyOutcome
        self.id = id
        self.slurm = slurm
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
            && lhs.submitter == rhs.submitter && lhs.id == rhs.id && lhs.slurm == rhs.slurm
            && lhs.after == rhs.after && lhs.afterAnyOutcome == rhs.afterAnyOutcome
            && lhs.clientKey == rhs.clientKey && lhs.pull == rhs.pull && lhs.pullTo == rhs.pullTo
            && lhs.retry == rhs.retry
            && lhs.environment.map { [$0.key, $0.value] } == rhs.environment.map { [$0.key, $0.value] }
    }

    /// The jobs of a dependency list as `--after` and MCP's `after` take it: ids or unique
    /// prefixes separated by commas, blanks around each trimmed.
    /// - Throws: `RemoteJobsError.invalidArgument` for a list with an empty item (`""`,
    ///   `",,"`, `"a,,b"`): a script whose first submit failed and left its id empty must
    ///   not start the next job with no dependency at all.
    public static func parseDependencies(_ list: String) throws(RemoteJobsError) -> [String] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        try checkDependencies(items, as: list)
        return items
    }

    /// Refuses empty ids among `after` (`list` is how the caller wrote them).
    static func checkDependencies(_ ids: [String], as list: String? = nil) throws(RemoteJobsError) {
        guard ids.contains(where: \.isEmpty) else { return }
        let written = list ?? ids.joined(separator: ",")
        throw .invalidArgument(
            "The list of jobs to run after ('\(written)') has an empty job id: give ids separated by commas. (Was an id left empty by a submit that failed?)"
        )
    }

    /// Parses `KEY=VALUE`.
    /// - Throws: `RemoteJobsError.invalidEnvironment` when it is not one.
    public static func parseEnvironment(_ entry: String) throws(RemoteJobsError) -> (key: String, value: String) {
        guard let equals = entry.firstIndex(of: "=") else { throw .invalidEnvironment(key: nil) }
        let key = String(entry[..<equals])
        guard isValidKey(key) else { throw .invalidEnvironment(key: key) }
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

    /// The job id a client key stands for: a UUID (version 8, "custom") made of two
    /// 64-bit FNV-1a digests of the key, the same on every machine.
    public static func jobID(forClientKey key: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var hash = seed
            for byte in ("p-client-key\u{0}" + key).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return hash
        }
        var bytes =
            withUnsafeBytes(of: fnv(0xcbf2_9ce4_8422_2325).bigEndian, Array.init)
            + withUnsafeBytes(of: fnv(0x6c62_272e_07bb_0142).bigEndian, Array.init)
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    /// GPUs to claim on an SSH worker (`slurm.gpus` read as a count; 0 for none): Slurm
    /// workers pass `--gpus` to sbatch instead.
    public var gpuCount: Int {
        get throws(RemoteJobsError) {
            guard let text = slurm.gpus else { return 0 }
            guard let count = Int(text), count > 0, count <= 1024 else {
                throw .invalidArgument("--gpus is a number of GPUs (1, 2, ...) on an SSH worker, not '\(text)'.")
            }
            return count
        }
    }

    var timeoutSeconds: Int? {
        timeout.map { max(1, $0.wholeSecondsRoundedUp) }
    }

    /// The longest command p takes, in bytes: far beyond what a person types or a shell
    /// runs as one argument (128 KiB on Linux, see README), small enough that a record
    /// stays quick to list. A longer script belongs in a file the command runs.
    public static let maxCommandBytes = 1 << 20

    /// Refuses a command longer than `maxCommandBytes`, or with a NUL byte, which no shell
    /// command can hold (sshd would cut it there).
    static func checkCommand(_ command: String) throws(RemoteJobsError) {
        let bytes = command.utf8.count
        guard bytes <= maxCommandBytes else {
            throw .invalidArgument(
                "The command is \(ByteSize.format(UInt64(bytes))), more than p takes (\(ByteSize.format(UInt64(maxCommandBytes)))): put it in a script file in the synced directory and run that."
            )
        }
        guard !command.utf8.contains(0) else {
            throw .invalidArgument("The command holds a NUL byte, which no shell command can hold.")
        }
    }

    /// Refuses a request whose fields no worker could take: a command or `--on-end` command
    /// p does not run (`checkCommand`), a variable name that is none, result patterns that
    /// could leave the work directory.
    func checkFields() throws(RemoteJobsError) {
        try Self.checkCommand(command)
        if let onEnd { try Self.checkCommand(onEnd) }
        for entry in environment where !Self.isValidKey(entry.key) { throw .invalidEnvironment(key: entry.key) }
        try Self.checkPullPatterns(pull)
    }

    /// Refuses result patterns that could leave the work directory: absolute ones, ones with
    /// a `..` part, empty ones, ones with a newline.
    public static func checkPullPatterns(_ patterns: [String]) throws(RemoteJobsError) {
        for pattern in patterns {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
            guard !pattern.isEmpty, !pattern.hasPrefix("/"), !pattern.hasPrefix("~"), !parts.contains(".."),
                !pattern.contains("\n"), !pattern.utf8.contains(0)
            else {
                throw .invalidArgument(
                    "--pull '\(pattern)': give a path or a glob inside the work directory (results/*.csv, model.pt), not an absolute path or one with '..'."
                )
            }
        }
    }

    /// Refuses a cap too small to keep a head and a tail of whole blocks.
    static func checkMaxLog(_ bytes: UInt64) throws(RemoteJobsError) {
        guard bytes >= CappedLog.smallestCap else {
            throw .invalidArgument(
                "A log cap of \(ByteSize.format(bytes)) is too small: give at least \(ByteSize.format(CappedLog.smallestCap))."
            )
        }
    }
}
