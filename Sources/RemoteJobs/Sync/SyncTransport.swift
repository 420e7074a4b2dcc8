/// How a job's directory travels to the worker.
public enum SyncTransport: String, Sendable, CaseIterable {
    /// rsync when both machines have it (and the engine knows a remote shell for it),
    /// otherwise SFTP.
    case automatic = "auto"
    /// The local rsync, with p's own SSH as its remote shell; fails when either end lacks it.
    case rsync
    /// SFTP with many files in flight; needs nothing on the worker but its SFTP server.
    case sftp
}
