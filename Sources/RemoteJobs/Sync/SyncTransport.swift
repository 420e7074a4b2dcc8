/// How a job's directory travels to the worker.
public enum SyncTransport: String, Sendable, CaseIterable {
    /// tar when the worker has it, rsync for large changed files that an earlier copy lets
    /// it send as differences, SFTP when the worker has neither.
    case automatic = "auto"
    /// The local rsync, with p's own SSH as its remote shell; fails when either end lacks it.
    case rsync
    /// One tar stream into `tar -x` on the worker, over the pooled connection: no round trip
    /// per file. Fails when the worker lacks tar.
    case tar
    /// SFTP with several files in flight; needs nothing on the worker but its SFTP server.
    case sftp
}
