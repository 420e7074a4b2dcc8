/// What a submit with a client key (`JobRequest.clientKey`) asked for, in short: kept with
/// the job's claim on the worker (`R/jobs/ID/request`) and in its record, so that a key
/// used again for another request is an error naming what differs, never the first job
/// returned in its place.
struct KeyedRequest: Equatable, Sendable {
    /// A digest of the command.
    var command: String
    /// The worker as asked for: a name, `@label`, or `-` for the default one.
    var worker: String
    /// A digest of the job's variables, in order.
    var environment: String
    /// A digest of the directory synced (`-`: none).
    var directory: String
    /// A digest of the jobs it runs after, and how (`--after` or `--after-any`).
    var after: String

    init(_ request: JobRequest) {
        command = Self.digest(request.command)
        let asked = request.worker ?? "-"
        worker =
            Worker.isValidName(asked) || asked.hasPrefix("@") && Worker.isValidLabel(String(asked.dropFirst()))
            ? asked : "?"
        environment = Self.digest(request.environment.map { $0.key + "=" + $0.value }.joined(separator: "\u{0}"))
        directory = request.syncDirectory.map(Self.digest) ?? "-"
        after = Self.digest((request.afterAnyOutcome ? "any " : "ok ") + request.after.joined(separator: ","))
    }

    private init(command: String, worker: String, environment: String, directory: String, after: String) {
        self.command = command
        self.worker = worker
        self.environment = environment
        self.directory = directory
        self.after = after
    }

    /// One line of words without blanks, as the worker keeps it.
    var line: String { "v1 \(command) \(worker) \(environment) \(directory) \(after)" }

    /// A line as `line` writes it; nil for anything else (a job can write into its files).
    static func parse(_ line: String) -> KeyedRequest? {
        let words = line.split(separator: " ").map(String.init)
        guard words.count == 6, words[0] == "v1", words.allSatisfy({ $0.count <= 80 }) else { return nil }
        return KeyedRequest(
            command: words[1], worker: words[2], environment: words[3], directory: words[4], after: words[5])
    }

    /// What `earlier` asked for differently, in words (`a different command`), or nil when
    /// the two are the same request.
    func difference(from earlier: KeyedRequest) -> String? {
        var differences: [String] = []
        if command != earlier.command { differences.append("a different command") }
        if worker != earlier.worker {
            func name(_ choice: String) -> String { choice == "-" ? "the default worker" : "'\(choice)'" }
            differences.append("another worker (\(name(earlier.worker)), not \(name(worker)))")
        }
        if environment != earlier.environment { differences.append("other environment variables") }
        if directory != earlier.directory { differences.append("another directory to sync") }
        if after != earlier.after { differences.append("other jobs to run after") }
        return differences.isEmpty ? nil : differences.joined(separator: ", ")
    }

    /// 16 hex digits of FNV-1a over `text` (a fingerprint, not a secret: equal requests
    /// must match on every machine).
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
