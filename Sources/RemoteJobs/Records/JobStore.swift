import Foundation

/// The job records on the client: one `<uuid>.json` per job, each written atomically, so a
/// crash or a concurrent `p` never leaves a torn record. A record that cannot be read is
/// reported and skipped, never fatal.
struct JobStore: Sendable {
    /// The records' directory.
    let directory: String

    /// A store under `paths.jobsDirectory`.
    init(paths: PPaths) {
        directory = paths.jobsDirectory
    }

    /// Every record (sorted by submission time) and the files that could not be read.
    func loadAll() -> (records: [JobRecord], problems: [UnreadableJobRecord]) {
        var records: [JobRecord] = []
        var problems: [UnreadableJobRecord] = []
        for id in ids() {
            switch read(id) {
            case .record(let record): records.append(record)
            case .absent: break
            case .unreadable(let problem): problems.append(problem)
            }
        }
        records.sort { ($0.submittedAt, $0.id) < ($1.submittedAt, $1.id) }
        return (records, problems)
    }

    /// What reading one record found.
    enum Read {
        case record(JobRecord)
        /// No file (removed since it was listed).
        case absent
        case unreadable(UnreadableJobRecord)
    }

    /// The record of `id`, or that there is none, or why its file cannot be used.
    func read(_ id: String) -> Read {
        do {
            return try load(id).map { .record($0) } ?? .absent
        } catch .corruptRecord(_, let reason) {
            return .unreadable(UnreadableJobRecord(path: path(of: id), reason: reason))
        } catch {
            return .unreadable(UnreadableJobRecord(path: path(of: id), reason: "\(error)"))
        }
    }

    /// The ids with a record file, from the file names alone (no file is read).
    func ids() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { name in
            guard name.hasSuffix(".json"), !name.hasPrefix(".") else { return nil }
            return String(name.dropLast(5))
        }
    }

    /// The record of `id`, nil if there is none.
    /// - Throws: `.localFile` when it cannot be read, `.corruptRecord` when it is not a
    ///   record of `id`.
    func load(_ id: String) throws(RemoteJobsError) -> JobRecord? {
        var info = stat()
        if stat(path(of: id), &info) == 0, Int64(info.st_size) > Self.largestRecord {
            // Decoding 100 MB of JSON takes seconds and gigabytes: not for a file no p wrote.
            throw .corruptRecord(
                path: path(of: id),
                reason:
                    "it is \(ByteSize.format(UInt64(info.st_size))), larger than any record p writes (\(ByteSize.format(UInt64(Self.largestRecord))) at most)"
            )
        }
        guard let bytes = try LocalFile.contents(of: path(of: id)) else { return nil }
        let record: JobRecord
        do {
            record = try Self.decoder.decode(JobRecord.self, from: Data(bytes))
        } catch {
            throw .corruptRecord(path: path(of: id), reason: DecodingFailure.describe(error))
        }
        guard record.id == id else {
            throw .corruptRecord(path: path(of: id), reason: "it names another id (\(record.id))")
        }
        return record
    }

    /// Writes a record atomically (mode 0600), whether or not one exists: for a record being
    /// created (or imported); every later change goes through `update`.
    func save(_ record: JobRecord) throws(RemoteJobsError) {
        try AtomicFile.write(try Self.bytes(of: record), to: path(of: record.id))
    }

    /// Replaces a record atomically, only if it still exists: a change worked out from what
    /// was read earlier (a reconcile, which asks the worker for seconds) never brings back a
    /// record another process removed meanwhile (`p prune`, `p rm`).
    /// - Returns: whether it was there to replace.
    ///
    /// Nor does it bring a finished job back to life: a record that says the job ended
    /// (done, failed, stopped) is not replaced by one that says it runs, or is unknown,
    /// worked out from an older read (another process learned of the end meanwhile).
    @discardableResult
    func update(_ record: JobRecord) throws(RemoteJobsError) -> Bool {
        if record.status.removal != .ended, let current = try? load(record.id), current.status.removal == .ended {
            return false
        }
        return try AtomicFile.replace(try Self.bytes(of: record), at: path(of: record.id))
    }

    /// A record's file: its JSON and a newline.
    private static func bytes(of record: JobRecord) throws(RemoteJobsError) -> [UInt8] {
        do {
            return [UInt8](try encoder.encode(record)) + [0x0A]
        } catch {
            throw .invalidArgument("cannot encode the record of \(record.id): \(error)")
        }
    }

    /// Writes a record only if this id has none yet, atomically: of many processes creating
    /// one id's record at once, exactly one does (idempotent submits racing).
    /// - Returns: whether this call created it.
    func create(_ record: JobRecord) throws(RemoteJobsError) -> Bool {
        try AtomicFile.create(try Self.bytes(of: record), at: path(of: record.id))
    }

    /// Removes a record; an absent one is fine.
    func remove(_ id: String) throws(RemoteJobsError) {
        if unlink(path(of: id)) != 0 && errno != ENOENT {
            throw .localFile(path: path(of: id), action: "remove", errno: errno)
        }
        unlink(environmentPath(of: id))
    }

    /// Keeps the variables of a job that may be launched again (`--retry-on lost`), in
    /// `<id>.env` (JSON pairs), mode 0600 as the record's directory is 0700: a relaunch on
    /// another worker needs them, and they never go on a command line. Removed with the
    /// record.
    func saveEnvironment(_ variables: [(key: String, value: String)], of id: String) throws(RemoteJobsError) {
        let bytes = (try? JSONEncoder().encode(variables.map { [$0.key, $0.value] })) ?? Data("[]".utf8)
        try AtomicFile.write(Array(bytes), to: environmentPath(of: id))
    }

    /// The variables `saveEnvironment` kept for `id`; none when there are none, or they do
    /// not read.
    func environment(of id: String) -> [(key: String, value: String)] {
        guard let bytes = (try? LocalFile.contents(of: environmentPath(of: id))) ?? nil,
            let pairs = try? JSONDecoder().decode([[String]].self, from: Data(bytes))
        else { return [] }
        return pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }

    private func environmentPath(of id: String) -> String { directory + "/" + id + ".env" }

    /// Removes the record of a job that ran, leaving, for a job submitted with a client
    /// key, a tombstone (`<id>.removed`, the request it was submitted with): a key names
    /// one job, so a submit of the same key later is refused instead of running it again.
    func retire(_ record: JobRecord) throws(RemoteJobsError) {
        if record.clientKey != nil {
            let line = (record.keyedRequest ?? "") + "\n"
            try AtomicFile.write(Array(line.utf8), to: tombstonePath(of: record.id))
        }
        try remove(record.id)
    }

    /// The request a removed job of a client key was submitted with (`retire`), if its
    /// tombstone is there ("" when it did not keep one).
    func tombstone(_ id: String) -> String? {
        guard let bytes = try? LocalFile.contents(of: tombstonePath(of: id)) else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes tombstones older than `JobStore.tombstoneLife`.
    func removeOldTombstones(now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasSuffix(".removed") {
            let path = directory + "/" + name
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, now.timeIntervalSince(modified) > Self.tombstoneLife { unlink(path) }
        }
    }

    /// How long a client key stays used after its job was removed: 30 days.
    static let tombstoneLife: TimeInterval = 30 * 86_400

    private func tombstonePath(of id: String) -> String { directory + "/" + id + ".removed" }

    /// The full id for a unique prefix of at least 4 characters, or for `ARRAY:INDEX` (the
    /// element of that index of the array whose id starts with `ARRAY`).
    /// - Throws: `.invalidJobID`, `.unknownJob`, `.ambiguousJob` (listing the candidates).
    func resolve(_ prefix: String) throws(RemoteJobsError) -> String {
        let wanted = prefix.lowercased()
        if let colon = wanted.firstIndex(of: ":") {
            return try resolveElement(
                array: String(wanted[..<colon]), index: String(wanted[wanted.index(after: colon)...]), as: prefix)
        }
        guard wanted.count >= 4, wanted.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw .invalidJobID(prefix)
        }
        // A whole id needs no listing (polls give whole ids, many times a second).
        if wanted.count == 36, access(path(of: wanted), F_OK) == 0 { return wanted }
        var matches = ids().filter { $0.hasPrefix(wanted) }.sorted()
        if matches.isEmpty {
            // A listing that raced with a record being replaced may miss entries on some
            // file systems (overlayfs); a second look settles it.
            matches = ids().filter { $0.hasPrefix(wanted) }.sorted()
        }
        switch matches.count {
        case 0: throw .unknownJob(prefix: prefix)
        case 1: return matches[0]
        default: throw .ambiguousJob(prefix: prefix, candidates: matches)
        }
    }

    /// The id of element `index` of the array whose id starts with `array`.
    private func resolveElement(array: String, index: String, as written: String) throws(RemoteJobsError) -> String {
        guard array.count >= 4, array.allSatisfy({ $0.isHexDigit || $0 == "-" }), let number = Int(index) else {
            throw .invalidJobID(written)
        }
        let members = try arrayElements(array)
        guard let element = members.first(where: { $0.array?.index == number }) else {
            guard let first = members.first?.array else { throw .unknownJob(prefix: written) }
            throw .invalidArgument(
                "Array \(first.shortID) has no element \(number) (its indices: \(members.first?.array?.index ?? 0) to \(members.last?.array?.index ?? 0))."
            )
        }
        return element.id
    }

    /// The elements of the array whose id starts with `prefix`, by index; empty when no
    /// array's id does. An element run again (lost, or `--retry-failed`) is the job that
    /// replaced it, unless `includingReplaced`.
    /// - Throws: `.ambiguousJob` when two arrays' ids start with it.
    func arrayElements(_ prefix: String, includingReplaced: Bool = false) throws(RemoteJobsError) -> [JobRecord] {
        let wanted = prefix.lowercased()
        let members = loadAll().records.filter {
            ($0.array?.id.hasPrefix(wanted) ?? false) && (includingReplaced || $0.supersededBy == nil)
        }
        let arrays = Set(members.compactMap { $0.array?.id })
        guard arrays.count <= 1 else { throw .ambiguousJob(prefix: prefix, candidates: arrays.sorted()) }
        return members.sorted { ($0.array?.index ?? 0) < ($1.array?.index ?? 0) }
    }

    /// The file of `id`'s record.
    func path(of id: String) -> String { directory + "/" + id + ".json" }

    /// The largest record file read: a command of `JobRequest.maxCommandBytes`, escaped
    /// as JSON at its worst (six bytes a control character), and the rest.
    static let largestRecord: Int64 = Int64(JobRequest.maxCommandBytes) * 6 + 65536

    static var encoder: JSONEncoder { JobRecord.jsonEncoder }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(RecordDates.decode)
        return decoder
    }()
}

/// A job record file that could not be used, and why: reported once and skipped.
public struct UnreadableJobRecord: Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    /// The warning p prints once for this file.
    public var description: String { "skipping the unreadable job record \(path): \(reason)" }
}
