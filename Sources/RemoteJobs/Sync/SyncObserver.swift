import SSHTransport

/// What a caller sees of a job's directory sync: the plan once the directory was walked
/// (its skipped special files, its size), then transfer progress.
public struct SyncObserver: Sendable {
    /// Called once with the plan, before anything is copied.
    public var planned: @Sendable (SyncPlanner.Plan) -> Void
    /// Called as files are copied.
    public var progress: SFTPProgressHandler?

    /// An observer; by default it ignores everything.
    public init(
        planned: @escaping @Sendable (SyncPlanner.Plan) -> Void = { _ in }, progress: SFTPProgressHandler? = nil
    ) {
        self.planned = planned
        self.progress = progress
    }
}
