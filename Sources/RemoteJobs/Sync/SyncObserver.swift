import SSHTransport

/// What a caller sees of a job's preparation: where it was placed (for `@label`), and of
/// its directory sync the plan once the directory was walked (its skipped special files,
/// its size), transfer progress, and what the copy did.
public struct SyncObserver: Sendable {
    /// Called once when the job was placed among the workers of a label (`@label`), with
    /// the choice and the workers skipped.
    public var placed: @Sendable (Placement) -> Void
    /// Called once with the plan, before anything is copied.
    public var planned: @Sendable (SyncPlanner.Plan) -> Void
    /// Called as files are copied.
    public var progress: TransferProgressHandler?
    /// Called once the copy is complete, with what it did.
    public var finished: @Sendable (SyncReport) -> Void
    /// Called once when the persistent work directory is held by another job (its id) and
    /// the request asked to wait for it.
    public var waitingForWorkdir: @Sendable (String) -> Void
    /// Called with what the sync had to repair or take over on the way (worth telling the
    /// user, never a failure).
    public var note: @Sendable (SyncNote) -> Void

    /// An observer; by default it ignores everything.
    public init(
        planned: @escaping @Sendable (SyncPlanner.Plan) -> Void = { _ in }, progress: TransferProgressHandler? = nil,
        finished: @escaping @Sendable (SyncReport) -> Void = { _ in },
        waitingForWorkdir: @escaping @Sendable (String) -> Void = { _ in },
        note: @escaping @Sendable (SyncNote) -> Void = { _ in },
        placed: @escaping @Sendable (Placement) -> Void = { _ in }
    ) {
        self.placed = placed
        self.note = note
        self.waitingForWorkdir = waitingForWorkdir
        self.planned = planned
        self.progress = progress
        self.finished = finished
    }
}

/// Something a sync repaired on the way.
public enum SyncNote: Sendable, Equatable {
    /// Symbolic links a job left in the persistent work directory where the client has
    /// directories (relative paths; `.` is the work directory itself), removed so that
    /// nothing is written, changed or deleted through them.
    case replacedLinks([String])
    /// The persistent work directory was held by a job that never started and whose p is
    /// gone (killed while it synced); it was taken over from that job.
    case tookOverWorkdir(from: String)
}

/// What one directory sync did.
public struct SyncReport: Sendable, Equatable {
    /// How the files travelled: `.tar`, `.rsync` or `.sftp`.
    public var transport: SyncTransport
    /// The entries of the plan (files, directories, links) and the files' bytes.
    public var entries: Int
    /// The bytes of the plan's files.
    public var bytes: UInt64
    /// Files that did not travel: copied on the worker from the last sync's work directory,
    /// or already right in a persistent one.
    public var filesKept: Int
    /// Entries handed to the transport, and the bytes of their files.
    public var entriesSent: Int
    /// The bytes of the files handed to the transport.
    public var bytesSent: UInt64
    /// Whether the work directory is the spare copy of the last one, made on the worker
    /// while the last job ran (`filesKept` counts those of its files that were right).
    public var tookSpare = false
    /// From the first request to the worker to the complete copy.
    public var duration: Duration
}
