/// One thing to copy: a file, a directory or a symbolic link, relative to the synced root.
public struct SyncEntry: Sendable, Equatable {
    /// What it is.
    public enum Kind: Sendable, Equatable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link, copied as a link to `target` (never followed).
        case symlink(target: String)
    }

    /// The path relative to the root, `/`-separated, without a leading `./`.
    public var path: String
    /// What it is.
    public var kind: Kind
    /// The permission bits (`0o755`, say).
    public var mode: UInt32
    /// The size in bytes (files only; 0 otherwise).
    public var size: UInt64
    /// The modification time, whole seconds and nanoseconds.
    public var modifiedSeconds: Int64
    /// The nanoseconds of the modification time.
    public var modifiedNanoseconds: Int32

    /// An entry.
    public init(
        path: String, kind: Kind, mode: UInt32, size: UInt64 = 0, modifiedSeconds: Int64 = 0,
        modifiedNanoseconds: Int32 = 0
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
    }
}
