import Foundation

/// What the last sync from one client directory to one worker left in which work
/// directory, so the next sync can copy unchanged files there on the worker instead of
/// sending them again. Kept under `$XDG_DATA_HOME/p/sync/`.
struct SyncManifest: Codable, Equatable {
    struct File: Codable, Equatable {
        var size: UInt64
        var modified: Int64
        /// Permission bits: a `chmod +x` changes neither size nor mtime.
        var mode: UInt32
    }

    /// The client directory.
    var directory: String
    /// The worker's name and root.
    var worker: String
    var root: String
    /// The job whose work directory holds the copy.
    var workdirID: String
    /// The regular files copied, by path, with the size and mtime they were given.
    var files: [String: File]

    /// The manifest's file for a (directory, worker, root): one per combination, named by a
    /// hash so paths of any length and content make valid names.
    static func path(in paths: PPaths, directory: String, worker: String, root: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (directory + "\u{0}" + worker + "\u{0}" + root).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return paths.dataDirectory + "/sync/" + String(hash, radix: 16) + ".json"
    }

    static func load(_ path: String) -> SyncManifest? {
        guard let bytes = try? AtomicFile.read(path) else { return nil }
        return try? JSONDecoder().decode(SyncManifest.self, from: Data(bytes))
    }

    func save(_ path: String) throws(RemoteJobsError) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        try AtomicFile.write([UInt8](data), to: path)
    }

    /// The lines the worker compares with what it finds: `size mtime mode path`, for the
    /// files of `plan` that are unchanged since this manifest (names with a newline are sent
    /// again).
    func unchangedLines(in plan: SyncPlanner.Plan) -> [String] {
        plan.entries.compactMap { entry in
            guard entry.kind == .file, !entry.path.contains("\n"), let known = files[entry.path],
                known.size == entry.size, known.modified == entry.modifiedSeconds, known.mode == entry.mode
            else { return nil }
            return "\(entry.size) \(entry.modifiedSeconds) \(String(entry.mode & 0o7777, radix: 8)) \(entry.path)"
        }
    }

    /// The manifest describing `plan` copied into `workdirID`.
    init(plan: SyncPlanner.Plan, directory: String, worker: String, root: String, workdirID: String) {
        self.directory = directory
        self.worker = worker
        self.root = root
        self.workdirID = workdirID
        var files: [String: File] = [:]
        for entry in plan.entries where entry.kind == .file {
            files[entry.path] = File(size: entry.size, modified: entry.modifiedSeconds, mode: entry.mode)
        }
        self.files = files
    }
}
