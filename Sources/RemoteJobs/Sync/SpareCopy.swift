/// A spare copy of a freshly synced work directory, made on the worker while its job runs
/// (`Worker/make-spare.sh`, started by the launch), so that the next sync from the same
/// directory to the same worker takes it as its fresh work directory by a rename and sends
/// only what changed: a new work directory then costs what changed, not the tree, on file
/// systems without copy-on-write too, and no file is shared between two work directories
/// (hard links would let a job that writes into a file change another job's copy).
///
/// The copy holds only what the sync wrote: files the job changes while it is made are left
/// out (by their status-change time, which no process can set back), and the next sync
/// checks each file's size, mtime and mode before keeping it. It is named by its job
/// (`R/spares/ID`), removed with the job, replaced by the next one of the same directory,
/// and made only with twice its size free on the worker's disk.
struct SpareCopy: Equatable {
    /// The job whose spare this one replaces (the last sync's, when it was not taken).
    var replacing: String?
    /// The synced files' size, in KB.
    var sizeKB: UInt64

    /// The spare of job `id`'s work directory under `root`.
    static func path(root: String, id: String) -> String { root + "/spares/" + id }

    /// `Worker/make-spare.sh`.
    static let maker = WorkerShell.program("make-spare.sh")
}
