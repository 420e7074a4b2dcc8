/// How a worker runs jobs.
public enum WorkerKind: String, Codable, Sendable, Equatable {
    /// On the machine p logs in to, each job in a session of its own.
    case ssh
    /// Handed to Slurm through `sbatch` on the login node p logs in to; the job runs on a
    /// compute node that sees p's root on a shared file system.
    case slurm
    /// On this machine, through the same worker scripts run by a local shell: no SSH at all.
    case local
}

/// A machine registered under a name, reached through a connection string.
public struct Worker: Codable, Sendable, Equatable {
    /// The name used on the command line (`p beefy -- make`).
    public var name: String
    /// `user@host`, `user@host:port`, `host`, or an alias from `~/.ssh/config`.
    public var connection: String
    /// Where p keeps its files on the worker; nil means `~/.p`.
    public var root: String?
    /// How it runs jobs.
    public var kind: WorkerKind
    /// For a Slurm worker: `sbatch` options every job gets before its own (`--partition`,
    /// `--account`, ...), one option or value per element.
    public var sbatchOptions: [String]
    /// Labels that group workers for placement (`p @gpu -- ...`).
    public var labels: [String]
    /// How many of p's jobs may run on it at once; more wait in a queue on the worker. nil:
    /// no limit.
    public var slots: Int?
    /// The cap on each log of the jobs that do not give `--max-log` (`JobRequest.maxLog`),
    /// in bytes; nil: logs are not capped. `config.yaml` holds it as `max_log: 100M`.
    public var maxLog: UInt64?
    /// Whether a fresh work directory just synced gets a spare copy made on the worker
    /// while its job runs, which the next sync from the same directory takes by a rename
    /// (`SpareCopy`): one more copy of the tree on the worker's disk for a start that costs
    /// what changed. On unless `config.yaml` says `spare_copies: false`.
    public var spareCopies = true

    enum CodingKeys: String, CodingKey {
        case name, connection, root, kind, labels, slots
        case sbatchOptions = "sbatch_options"
        case maxLog = "max_log"
        case spareCopies = "spare_copies"
    }

    /// A worker entry.
    public init(
        name: String, connection: String, root: String? = nil, kind: WorkerKind = .ssh, sbatchOptions: [String] = [],
        labels: [String] = [], slots: Int? = nil
    ) {
        self.labels = labels
        self.slots = slots
        self.name = name
        self.connection = connection
        self.root = root
        self.kind = kind
        self.sbatchOptions = sbatchOptions
    }

    /// Reads an entry of `config.yaml`; `kind` defaults to `ssh`, and `sbatch_options` may
    /// be a list or one string of words; `labels` and `slots` are optional (older configs
    /// have neither).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        connection = try c.decode(String.self, forKey: .connection)
        root = try c.decodeIfPresent(String.self, forKey: .root)
        if let problem = Self.rootProblem(root) {
            throw DecodingError.dataCorruptedError(forKey: .root, in: c, debugDescription: problem)
        }
        kind = try c.decodeIfPresent(WorkerKind.self, forKey: .kind) ?? .ssh
        labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? []
        slots = try c.decodeIfPresent(Int.self, forKey: .slots)
        spareCopies = try c.decodeIfPresent(Bool.self, forKey: .spareCopies) ?? true
        if let bytes = try? c.decodeIfPresent(UInt64.self, forKey: .maxLog) {
            maxLog = bytes
        } else if let text = try c.decodeIfPresent(String.self, forKey: .maxLog) {
            do {
                maxLog = try ByteSize.parse(text)
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .maxLog, in: c, debugDescription: "max_log: \(error)")
            }
        }
        if let list = try? c.decodeIfPresent([String].self, forKey: .sbatchOptions) {
            sbatchOptions = list
        } else {
            sbatchOptions =
                try c.decodeIfPresent(String.self, forKey: .sbatchOptions)?.split(whereSeparator: \.isWhitespace)
                .map(String.init) ?? []
        }
    }

    /// Writes the entry; an SSH worker's `kind` and empty options are left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(connection, forKey: .connection)
        try c.encodeIfPresent(root, forKey: .root)
        if kind != .ssh { try c.encode(kind, forKey: .kind) }
        if !sbatchOptions.isEmpty { try c.encode(sbatchOptions, forKey: .sbatchOptions) }
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        try c.encodeIfPresent(slots, forKey: .slots)
        try c.encodeIfPresent(maxLog.map(ByteSize.format), forKey: .maxLog)
        if !spareCopies { try c.encode(false, forKey: .spareCopies) }
    }

    /// The connection a `local` worker has in `config.yaml` and in its jobs' records: it
    /// is reached without one.
    public static let localConnection = "local"

    /// This machine as a worker named `name`, with p's files under `root` (nil: `~/.p`).
    public static func local(name: String, root: String? = nil) -> Worker {
        Worker(name: name, connection: localConnection, root: root, kind: .local)
    }

    /// Whether `label` is usable: letters, digits, `.`, `_`, `-`, at most 64 characters.
    public static func isValidLabel(_ label: String) -> Bool {
        !label.isEmpty && label.count <= 64
            && label.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "._-".unicodeScalars.contains($0)
            }
    }

    /// Why `root` cannot be a worker's root, or nil when it can: the worker's scripts keep
    /// paths in files of one line each (a queued job's arguments), so a control character
    /// (a newline, a tab) would not reach them intact.
    public static func rootProblem(_ root: String?) -> String? {
        guard let root else { return nil }
        if root.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return
                "the root '\(root.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined())' holds a control character (a newline, a tab), which cannot reach the worker's scripts intact; choose a path without one"
        }
        return nil
    }

    /// The root in the form the worker-side scripts take: relative paths are relative to
    /// the login directory, where sshd starts commands, so `~/x` becomes `x`.
    public var remoteRoot: String {
        guard var root, !root.isEmpty else { return ".p" }
        if root == "~" { return "." }
        if root.hasPrefix("~/") { root.removeFirst(2) }
        return root
    }

    /// Names `p` itself uses as commands, so `p <name> -- ...` could not name a worker.
    public static let reservedNames: Set<String> = [
        "run", "ls", "logs", "stop", "pause", "resume", "pull", "rm", "prune", "worker", "help", "mcp", "wait",
    ]

    /// Whether `name` is usable: letters, digits, `.`, `_`, `-`, not starting with `-`, and
    /// not one of p's commands.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", name.count <= 64, !reservedNames.contains(name)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-".unicodeScalars.contains($0)
        }
    }
}
