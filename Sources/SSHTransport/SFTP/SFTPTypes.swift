/// What a remote path is, and its size, permissions and modification time.
public struct SFTPFileInfo: Sendable, Equatable {
    /// The kind of file.
    public enum Kind: Sendable, Equatable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link.
        case symbolicLink
        /// A socket, FIFO or device.
        case other
    }

    /// The kind of file.
    public var kind: Kind
    /// Size in bytes.
    public var size: UInt64
    /// Permission bits (`mode & 0o7777`).
    public var permissions: UInt32
    /// Modification time, seconds since 1970.
    public var modificationTime: UInt32

    init(_ raw: SFTPRawAttributes) {
        let mode = raw.permissions ?? 0
        switch mode & SFTPRawAttributes.typeMask {
        case SFTPRawAttributes.directoryType: kind = .directory
        case SFTPRawAttributes.regularType: kind = .file
        case SFTPRawAttributes.symlinkType: kind = .symbolicLink
        default: kind = .other
        }
        size = raw.size ?? 0
        permissions = mode & 0o7777
        modificationTime = raw.modificationTime ?? 0
    }
}

/// One entry of a remote directory.
public struct SFTPDirectoryEntry: Sendable, Equatable {
    /// The entry's name (not a path).
    public var name: String
    /// Its attributes (not following symbolic links).
    public var info: SFTPFileInfo
}

/// One entry of a local tree to upload with `SFTPClient.uploadTree(_:to:entries:)`.
public struct SFTPTreeEntry: Sendable, Equatable {
    /// What the entry is.
    public enum Kind: Sendable, Equatable {
        /// A directory, created if missing.
        case directory
        /// A regular file of this size.
        case file(size: UInt64)
        /// A symbolic link, created as a link to `target` (never followed).
        case symbolicLink(target: String)
    }

    /// The path relative to the tree's root, `/`-separated.
    public var path: String
    /// What it is.
    public var kind: Kind
    /// The permission bits to set.
    public var permissions: UInt32
    /// The modification time to set (seconds since 1970).
    public var modificationTime: UInt32

    /// An entry.
    public init(path: String, kind: Kind, permissions: UInt32, modificationTime: UInt32) {
        self.path = path
        self.kind = kind
        self.permissions = permissions
        self.modificationTime = modificationTime
    }
}
