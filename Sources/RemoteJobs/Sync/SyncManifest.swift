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
    /// The directories and symbolic links copied (absent in manifests of p before 0.2).
    var directories: [String]?
    var links: [String]?
    /// When the sync's walk read the files' sizes and times (`Plan.walkedAt`); absent in
    /// older manifests.
    var walkedAt: Int64?

    /// The manifest's file for a (directory, worker, root), and apart from it the one of
    /// the persistent work directory: named by a hash so paths of any length and content
    /// make valid names.
    static func path(in paths: PPaths, directory: String, worker: String, root: String, shared: Bool = false)
        -> String
    {
        paths.dataDirectory + "/sync/" + (shared ? "keep-" : "")
            + String(hash(directory + "\u{0}" + worker + "\u{0}" + root), radix: 16) + ".json"
    }

    /// The name under `R/workdirs/` of the persistent work directory of a client directory
    /// (`--reuse-workdir`); the client's host name is part of it, so two machines with the
    /// same path do not share one.
    static func sharedWorkdirName(directory: String) -> String {
        "keep-" + String(hash(ClientProcess.hostName() + "\u{0}" + directory), radix: 16)
    }

    /// FNV-1a, 64 bits.
    private static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    static func load(_ path: String) -> SyncManifest? {
        guard let bytes = try? LocalFile.contents(of: path) else { return nil }
        return try? JSONDecoder().decode(SyncManifest.self, from: Data(bytes))
    }

    func save(_ path: String) throws(RemoteJobsError) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        try AtomicFile.write([UInt8](data), to: path)
    }

    /// The lines the worker compares with what it finds: `size mtime mode path`, for the
    /// files of `plan` that are unchanged since this manifest (names with a newline are sent
    /// again). A file whose recorded mtime was within two seconds of that walk is sent
    /// again too, as git treats a "racily clean" entry: it may have been written again
    /// after the walk, in the same tick of the file system's clock and at the same size, so
    /// its size and mtime cannot tell (file systems keep seconds, or a coarse clock).
    func unchangedLines(in plan: SyncPlanner.Plan) -> [String] {
        let racy = (walkedAt ?? Int64.max) - 2
        return plan.entries.compactMap { entry in
            guard let known = files[entry.path], known.size == entry.size, known.modified == entry.modifiedSeconds,
                known.mode == entry.mode, known.modified < racy
            else { return nil }
            return Self.checkLine(entry)
        }
    }

    /// The lines of all of `plan`'s files, for a work directory synced in place: the worker
    /// says which are already right. Files whose mtime is within two seconds of the last
    /// sync's walk (`lastWalk`) are left out, and so sent: racily clean, as in
    /// `unchangedLines`.
    static func checkLines(_ plan: SyncPlanner.Plan, lastWalk: Int64?) -> [String] {
        let racy = (lastWalk ?? Int64.max) - 2
        return plan.entries.filter { $0.modifiedSeconds < racy }.compactMap(checkLine)
    }

    private static func checkLine(_ entry: SyncEntry) -> String? {
        guard entry.kind == .file, !entry.path.contains("\n") else { return nil }
        return "\(entry.size) \(entry.modifiedSeconds) \(String(entry.mode & 0o7777, radix: 8)) \(entry.path)"
    }

    /// What this manifest's copy holds that `plan` does not, or holds as another kind of
    /// entry, so a sync in place removes it first; links are always replaced. Paths that
    /// could leave the work directory (a corrupt manifest) are never listed.
    func stalePaths(comparedWith plan: SyncPlanner.Plan) -> [String] {
        var wanted: [String: Character] = [:]
        for entry in plan.entries {
            switch entry.kind {
            case .file: wanted[entry.path] = "f"
            case .directory: wanted[entry.path] = "d"
            case .symlink: wanted[entry.path] = "l"
            }
        }
        let had =
            files.keys.map { ($0, Character("f")) } + (directories ?? []).map { ($0, Character("d")) }
            + (links ?? []).map { ($0, Character("l")) }
        return had.compactMap { path, kind in
            guard kind == "l" || wanted[path] != kind else { return nil }
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.hasPrefix("/"), !parts.contains(".."), !parts.contains(""), path != "." else { return nil }
            return path
        }.sorted()
    }

    /// This manifest without the `stale` paths (just removed) and with `plan`'s entries
    /// added: saved before a sync in place, so that a sync cut halfway still knows
    /// everything it may have left there.
    func merging(_ plan: SyncPlanner.Plan, removing stale: [String]) -> SyncManifest {
        var merged = self
        merged.walkedAt = plan.walkedAt
        let gone = Set(stale)
        merged.files = files.filter { !gone.contains($0.key) }
        merged.directories = directories?.filter { !gone.contains($0) }
        merged.links = links?.filter { !gone.contains($0) }
        let other = SyncManifest(plan: plan, directory: directory, worker: worker, root: root, workdirID: workdirID)
        merged.files.merge(other.files) { _, new in new }
        merged.directories = Array(Set((merged.directories ?? []) + (other.directories ?? []))).sorted()
        merged.links = Array(Set((merged.links ?? []) + (other.links ?? []))).sorted()
        return merged
    }

    /// The manifest describing `plan` copied into `workdirID`.
    init(plan: SyncPlanner.Plan, directory: String, worker: String, root: String, workdirID: String) {
        self.directory = directory
        self.worker = worker
        self.root = root
        self.workdirID = workdirID
        var files: [String: File] = [:]
        var directories: [String] = []
        var links: [String] = []
        for entry in plan.entries {
            switch entry.kind {
            case .file: files[entry.path] = File(size: entry.size, modified: entry.modifiedSeconds, mode: entry.mode)
            case .directory: directories.append(entry.path)
            case .symlink: links.append(entry.path)
            }
        }
        self.files = files
        self.directories = directories
        self.links = links
        self.walkedAt = plan.walkedAt
    }
}
