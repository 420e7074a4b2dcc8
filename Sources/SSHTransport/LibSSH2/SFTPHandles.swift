import CLibSSH2

/// File attributes as libssh2 reports them, in Swift types.
struct SFTPRawAttributes {
    var size: UInt64?
    var permissions: UInt32?
    var accessTime: UInt32?
    var modificationTime: UInt32?

    init(_ attributes: LIBSSH2_SFTP_ATTRIBUTES) {
        let flags = UInt(attributes.flags)
        size = flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0 ? attributes.filesize : nil
        permissions = flags & UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0 ? UInt32(attributes.permissions) : nil
        if flags & UInt(LIBSSH2_SFTP_ATTR_ACMODTIME) != 0 {
            accessTime = UInt32(attributes.atime)
            modificationTime = UInt32(attributes.mtime)
        }
    }

    init(permissions: UInt32? = nil, accessTime: UInt32? = nil, modificationTime: UInt32? = nil) {
        self.permissions = permissions
        self.accessTime = accessTime
        self.modificationTime = modificationTime
    }

    var libssh2: LIBSSH2_SFTP_ATTRIBUTES {
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        if let permissions {
            attributes.flags |= UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
            attributes.permissions = UInt(permissions)
        }
        if let modificationTime {
            attributes.flags |= UInt(LIBSSH2_SFTP_ATTR_ACMODTIME)
            attributes.mtime = UInt(modificationTime)
            attributes.atime = UInt(accessTime ?? modificationTime)
        }
        return attributes
    }

    static let typeMask = UInt32(LIBSSH2_SFTP_S_IFMT)
    static let directoryType = UInt32(LIBSSH2_SFTP_S_IFDIR)
    static let regularType = UInt32(LIBSSH2_SFTP_S_IFREG)
    static let symlinkType = UInt32(LIBSSH2_SFTP_S_IFLNK)
}

/// One SFTP subsystem channel (`LIBSSH2_SFTP`). Confined to its session's I/O thread
/// (hence the `@unchecked Sendable`).
final class SFTPChannelHandle: @unchecked Sendable {
    let raw: OpaquePointer
    let session: SessionHandle
    private var shutDown = false

    private init(raw: OpaquePointer, session: SessionHandle) {
        self.raw = raw
        self.session = session
    }

    static func start(on session: SessionHandle) throws(LibSSH2Failure) -> Attempt<SFTPChannelHandle> {
        switch try session.check(libssh2_sftp_init(session.raw)) {
        case .wouldBlock: return .wouldBlock
        case .done(let raw): return .done(SFTPChannelHandle(raw: raw, session: session))
        }
    }

    /// libssh2's error, with the SFTP status code when the server answered with one.
    func failure(_ rc: Int) -> LibSSH2Failure {
        var failure = session.lastError(fallbackCode: Int32(clamping: rc))
        if failure.code == LIBSSH2_ERROR_SFTP_PROTOCOL {
            failure.sftpStatus = UInt32(libssh2_sftp_last_error(raw))
        }
        return failure
    }

    func check(_ rc: Int32) throws(LibSSH2Failure) -> Attempt<Void> {
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw failure(Int(rc)) }
        return .done(())
    }

    func open(_ path: String, flags: UInt, mode: Int, directory: Bool) throws(LibSSH2Failure) -> Attempt<SFTPFileHandle>
    {
        let handle = libssh2_sftp_open_ex(
            raw, path, UInt32(path.utf8.count), flags, mode, directory ? LIBSSH2_SFTP_OPENDIR : LIBSSH2_SFTP_OPENFILE)
        if let handle { return .done(SFTPFileHandle(raw: handle, channel: self)) }
        if libssh2_session_last_errno(session.raw) == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        throw failure(Int(LIBSSH2_ERROR_SFTP_PROTOCOL))
    }

    func stat(_ path: String, followLinks: Bool) throws(LibSSH2Failure) -> Attempt<SFTPRawAttributes> {
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        let rc = libssh2_sftp_stat_ex(
            raw, path, UInt32(path.utf8.count), followLinks ? LIBSSH2_SFTP_STAT : LIBSSH2_SFTP_LSTAT, &attributes)
        guard case .done = try check(rc) else { return .wouldBlock }
        return .done(SFTPRawAttributes(attributes))
    }

    func setStat(_ path: String, _ attributes: SFTPRawAttributes) throws(LibSSH2Failure) -> Attempt<Void> {
        var raw = attributes.libssh2
        return try check(libssh2_sftp_stat_ex(self.raw, path, UInt32(path.utf8.count), LIBSSH2_SFTP_SETSTAT, &raw))
    }

    func mkdir(_ path: String, mode: Int) throws(LibSSH2Failure) -> Attempt<Void> {
        try check(libssh2_sftp_mkdir_ex(raw, path, UInt32(path.utf8.count), mode))
    }

    func rmdir(_ path: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try check(libssh2_sftp_rmdir_ex(raw, path, UInt32(path.utf8.count)))
    }

    func unlink(_ path: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try check(libssh2_sftp_unlink_ex(raw, path, UInt32(path.utf8.count)))
    }

    func rename(_ source: String, to destination: String) throws(LibSSH2Failure) -> Attempt<Void> {
        let flags = Int(LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE)
        return try check(
            libssh2_sftp_rename_ex(
                raw, source, UInt32(source.utf8.count), destination, UInt32(destination.utf8.count), flags))
    }

    /// Creates `path` as a symbolic link whose target is `target`.
    func symlink(_ path: String, target: String) throws(LibSSH2Failure) -> Attempt<Void> {
        // libssh2's order is (existing target, link to create), as in its
        // libssh2_sftp_symlink(sftp, orig, linkpath) macro.
        var link = Array(path.utf8CString)
        let rc = libssh2_sftp_symlink_ex(
            raw, target, UInt32(target.utf8.count), &link, UInt32(path.utf8.count), LIBSSH2_SFTP_SYMLINK)
        return try check(rc)
    }

    /// READLINK or REALPATH.
    func resolve(_ path: String, realPath: Bool) throws(LibSSH2Failure) -> Attempt<String> {
        var buffer = [CChar](repeating: 0, count: 4097)
        let rc = libssh2_sftp_symlink_ex(
            raw, path, UInt32(path.utf8.count), &buffer, UInt32(buffer.count - 1),
            realPath ? LIBSSH2_SFTP_REALPATH : LIBSSH2_SFTP_READLINK)
        guard case .done = try check(rc) else { return .wouldBlock }
        return .done(String(decoding: buffer.prefix(Int(rc)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    func shutdown() -> Attempt<Void> {
        guard !shutDown else { return .done(()) }
        if libssh2_sftp_shutdown(raw) == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        shutDown = true
        return .done(())
    }
}

/// An open remote file or directory (`LIBSSH2_SFTP_HANDLE`). Confined to the session's I/O
/// thread like its channel.
final class SFTPFileHandle: @unchecked Sendable {
    let raw: OpaquePointer
    let channel: SFTPChannelHandle

    init(raw: OpaquePointer, channel: SFTPChannelHandle) {
        self.raw = raw
        self.channel = channel
    }

    func seek(to offset: UInt64) { libssh2_sftp_seek64(raw, offset) }

    /// Reads at the current offset: `.done(0)` at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LibSSH2Failure) -> Attempt<Int> {
        let rc = libssh2_sftp_read(raw, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw channel.failure(rc) }
        return .done(rc)
    }

    /// Writes at the current offset; returns how many bytes the server acknowledged.
    /// libssh2 pipelines: pass the same data again from the acknowledged point on.
    func write(_ buffer: UnsafeRawBufferPointer) throws(LibSSH2Failure) -> Attempt<Int> {
        let rc = libssh2_sftp_write(raw, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw channel.failure(rc) }
        return .done(rc)
    }

    func setStat(_ attributes: SFTPRawAttributes) throws(LibSSH2Failure) -> Attempt<Void> {
        var raw = attributes.libssh2
        return try channel.check(libssh2_sftp_fstat_ex(self.raw, &raw, 1))
    }

    /// The next directory entry's name and attributes, nil at the end.
    func readDirectoryEntry() throws(LibSSH2Failure) -> Attempt<(String, SFTPRawAttributes)?> {
        var name = [CChar](repeating: 0, count: 4096)
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        let rc = libssh2_sftp_readdir_ex(raw, &name, name.count, nil, 0, &attributes)
        guard case .done = try channel.check(rc) else { return .wouldBlock }
        if rc == 0 { return .done(nil) }
        let text = String(decoding: name.prefix(Int(rc)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .done((text, SFTPRawAttributes(attributes)))
    }

    func close() throws(LibSSH2Failure) -> Attempt<Void> {
        try channel.check(libssh2_sftp_close_handle(raw))
    }
}
