/// How far a transfer has come: an SFTP upload or download, or a sync by tar or rsync.
public struct TransferProgress: Sendable, Equatable {
    /// Bytes transferred so far.
    public var bytesDone: UInt64
    /// Bytes to transfer in all.
    public var bytesTotal: UInt64
    /// Files finished so far.
    public var filesDone: Int
    /// Files to transfer in all.
    public var filesTotal: Int

    /// Creates a progress value.
    public init(bytesDone: UInt64, bytesTotal: UInt64, filesDone: Int, filesTotal: Int) {
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.filesDone = filesDone
        self.filesTotal = filesTotal
    }
}

/// Receives progress reports; called often, from a session's or a child process's thread: keep it quick.
public typealias TransferProgressHandler = @Sendable (TransferProgress) -> Void
