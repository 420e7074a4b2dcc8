import Foundation
import SSHTransport

/// The job records on this machine as they change, for a program that shows them live (`p
/// ui`): `changes()` reports the records written and removed since it was last called, by
/// any p process, and costs one `stat` of the records' directory while nothing changed, not
/// a read of every record.
///
/// Every record is written to a new file that replaces the old one by name (`AtomicFile`),
/// so a change always changes the directory's modification time and the record's inode.
/// The kernel's file times are coarse (a few milliseconds), so two changes within one tick
/// show one directory time: while the directory changed within the last two seconds, each
/// record's inode, size and time are compared again at every call.
public actor JobRecordFolder {
    /// What changed since the last call.
    public struct Changes: Sendable {
        /// Records written (new or changed), oldest first.
        public var changed: [JobRecord] = []
        /// The ids of records removed.
        public var removed: [String] = []
        /// Record files that could not be read (reported once per change of the file).
        public var problems: [UnreadableJobRecord] = []

        /// Whether nothing changed.
        public var isEmpty: Bool { changed.isEmpty && removed.isEmpty && problems.isEmpty }
    }

    /// What tells a file's version apart without reading it.
    private struct Stamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = info.modified.tv_sec
            nanoseconds = info.modified.tv_nsec
        }
    }

    private let store: JobStore
    private var directoryStamp: Stamp?
    private var known: [String: Stamp] = [:]

    /// The records of `engine`'s p directory; the first `changes()` reports them all.
    public init(engine: JobEngine) {
        store = engine.records
    }

    /// The records written and removed since the last call (all of them at the first).
    public func changes() async -> Changes {
        let directory = Stamp(store.directory)
        let settled = directory.map { Double($0.seconds) < Date().timeIntervalSince1970 - 2 } ?? true
        if directory == directoryStamp && settled && directory != nil { return Changes() }
        directoryStamp = directory
        let store = self.store
        let known = self.known
        let (changes, stamps) = await BlockingWork.run { () -> (Changes, [String: Stamp]) in
            var changes = Changes()
            var stamps: [String: Stamp] = [:]
            for id in store.ids() {
                guard let stamp = Stamp(store.path(of: id)) else { continue }
                stamps[id] = stamp
                guard known[id] != stamp else { continue }
                switch store.read(id) {
                case .record(let record): changes.changed.append(record)
                case .absent: break
                case .unreadable(let problem): changes.problems.append(problem)
                }
            }
            changes.removed = known.keys.filter { stamps[$0] == nil }.sorted()
            changes.changed.sort { ($0.submittedAt, $0.id) < ($1.submittedAt, $1.id) }
            return (changes, stamps)
        }
        self.known = stamps
        return changes
    }
}
