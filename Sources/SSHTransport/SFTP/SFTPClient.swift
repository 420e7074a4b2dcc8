import Foundation

/// An SFTP channel on a session: remote file operations and pipelined transfers.
///
/// Path operations (open, stat, mkdir, rename, ...) on one client run one at a time, as
/// libssh2 keeps their state per SFTP channel; a transfer keeps many read or write requests
/// in flight. For many files at once, `uploadTree` and `downloadTree` open several clients.
/// Uploads go to a temporary name in the destination directory and are renamed into place,
/// so an interrupted transfer never leaves a partial file under the final name.
public final class SFTPClient: Sendable {
    let session: SSHSession
    let channel: SFTPChannelHandle
    private var loop: IOLoop { session.loop }
    private var host: String { session.target.host }
    private var lane: IOLoop.Lane { .sftp(ObjectIdentifier(channel)) }

    /// Buffer handed to each read or write call: libssh2 splits writes into 30000-byte
    /// packets and reads ahead by the buffer's size, so large buffers keep many requests in
    /// flight.
    static let transferBuffer = 1_200_000

    init(session: SSHSession, channel: SFTPChannelHandle) {
        self.session = session
        self.channel = channel
    }

    deinit {
        let channel = self.channel
        loop.execute { _ = channel.shutdown() }
    }

    // MARK: - Path operations

    /// Attributes of `path`, following symbolic links.
    /// - Throws: `SSHError.sftpFailure` (`.noSuchFile` when it does not exist).
    public func info(_ path: String) async throws -> SFTPFileInfo {
        try await stat(path, followLinks: true)
    }

    /// Attributes of `path` itself, not following a symbolic link.
    public func linkInfo(_ path: String) async throws -> SFTPFileInfo {
        try await stat(path, followLinks: false)
    }

    /// Whether `path` exists (as anything, a dangling symbolic link included).
    public func exists(_ path: String) async throws -> Bool {
        do {
            _ = try await linkInfo(path)
            return true
        } catch SSHError.sftpFailure(_, _, _, .noSuchFile, _) {
            return false
        }
    }

    private func stat(_ path: String, followLinks: Bool) async throws -> SFTPFileInfo {
        let channel = self.channel
        let raw = try await pathOperation("reading the attributes of", path) { () throws(LibSSH2Failure) in
            try channel.stat(path, followLinks: followLinks)
        }
        return SFTPFileInfo(raw)
    }

    /// Sets the permission bits and/or modification time of `path`.
    public func setAttributes(_ path: String, permissions: UInt32? = nil, modificationTime: UInt32? = nil) async throws
    {
        let channel = self.channel
        let attributes = SFTPRawAttributes(permissions: permissions, modificationTime: modificationTime)
        try await pathOperation("setting the attributes of", path) { () throws(LibSSH2Failure) in
            try channel.setStat(path, attributes)
        }
    }

    /// Creates a directory; with `intermediate`, its missing parents too, and an existing
    /// directory is not an error.
    public func createDirectory(_ path: String, permissions: UInt32 = 0o755, intermediate: Bool = false) async throws {
        if intermediate {
            if let existing = try? await info(path) {
                guard existing.kind == .directory else {
                    throw SSHError.sftpFailure(
                        host: host, operation: "creating the directory", path: path, reason: .alreadyExists,
                        message: "a file that is not a directory is in the way")
                }
                return
            }
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty && parent != path && parent != "/" {
                try await createDirectory(parent, permissions: permissions, intermediate: true)
            }
        }
        let channel = self.channel
        do {
            try await pathOperation("creating the directory", path) { () throws(LibSSH2Failure) in
                try channel.mkdir(path, mode: Int(permissions))
            }
        } catch let error as SSHError where intermediate {
            // Another worker may have created it meanwhile.
            guard (try? await info(path))?.kind == .directory else { throw error }
        }
    }

    /// The entries of a directory, without `.` and `..`.
    public func list(_ path: String) async throws -> [SFTPDirectoryEntry] {
        let entries = try await withOpenFile(path, flags: 0, directory: true, purpose: "listing") { handle in
            var entries: [SFTPDirectoryEntry] = []
            while true {
                let next = try await handleOperation("listing", path) { () throws(LibSSH2Failure) in
                    try handle.readDirectoryEntry()
                }
                guard let (name, raw) = next else { return entries }
                if name != "." && name != ".." {
                    entries.append(SFTPDirectoryEntry(name: name, info: SFTPFileInfo(raw)))
                }
            }
        }
        return entries.sorted { $0.name < $1.name }
    }

    /// Renames `source` to `destination`, replacing a file already there.
    public func rename(_ source: String, to destination: String) async throws {
        let channel = self.channel
        do {
            try await pathOperation("renaming", source) { () throws(LibSSH2Failure) in
                try channel.rename(source, to: destination)
            }
        } catch SSHError.sftpFailure(_, _, _, .failure, _) {
            guard try await exists(destination) else {
                throw SSHError.sftpFailure(
                    host: host, operation: "renaming", path: source, reason: .failure,
                    message: "the server refused the rename")
            }
            // SFTP v3 (OpenSSH without posix-rename in libssh2) will not rename over an
            // existing file: remove it first. The window between the two is tiny and never
            // leaves a partial file under the final name.
            try await remove(destination)
            try await pathOperation("renaming", source) { () throws(LibSSH2Failure) in
                try channel.rename(source, to: destination)
            }
        }
    }

    /// Removes a file or symbolic link.
    public func remove(_ path: String) async throws {
        let channel = self.channel
        try await pathOperation("removing", path) { () throws(LibSSH2Failure) in try channel.unlink(path) }
    }

    /// Removes an empty directory.
    public func removeDirectory(_ path: String) async throws {
        let channel = self.channel
        try await pathOperation("removing the directory", path) { () throws(LibSSH2Failure) in try channel.rmdir(path) }
    }

    /// Removes `path` and, for a directory, everything below it (symbolic links are removed,
    /// never followed). A missing path is not an error.
    public func removeTree(_ path: String) async throws {
        guard let info = try? await linkInfo(path) else { return }
        guard info.kind == .directory else { return try await remove(path) }
        for entry in try await list(path) {
            try await removeTree(path + "/" + entry.name)
        }
        try await removeDirectory(path)
    }

    /// Creates a symbolic link at `path` pointing to `target`.
    public func createSymbolicLink(at path: String, pointingTo target: String) async throws {
        let channel = self.channel
        do {
            try await pathOperation("creating the symbolic link", path) { () throws(LibSSH2Failure) in
                try channel.symlink(path, target: target)
            }
        } catch let error as SSHError {
            // libssh2 1.10 reports a protocol error when a SYMLINK request is resumed after
            // EAGAIN, although the server created the link: believe the link itself.
            guard (try? await linkInfo(path))?.kind == .symbolicLink,
                (try? await destinationOfSymbolicLink(path)) == target
            else { throw error }
        }
    }

    /// Where the symbolic link at `path` points.
    public func destinationOfSymbolicLink(_ path: String) async throws -> String {
        let channel = self.channel
        return try await pathOperation("reading the symbolic link", path) { () throws(LibSSH2Failure) in
            try channel.resolve(path, realPath: false)
        }
    }

    /// The canonical absolute path; `.` is the login directory, so `realPath(".")` resolves `~`.
    public func realPath(_ path: String) async throws -> String {
        let channel = self.channel
        return try await pathOperation("resolving", path) { () throws(LibSSH2Failure) in
            try channel.resolve(path, realPath: true)
        }
    }

    // MARK: - Reading and writing at offsets

    /// Reads up to `maxBytes` from `path` starting at `offset`; fewer at the end of the file.
    public func read(_ path: String, offset: UInt64 = 0, maxBytes: Int) async throws -> [UInt8] {
        let collected = ByteCollector(limit: maxBytes)
        try await withOpenFile(path, flags: SFTPOpenFlags.read, purpose: "reading") { handle in
            try await handleOperation("reading", path) { () throws(LibSSH2Failure) -> Attempt<Void> in
                if !collected.started {
                    handle.seek(to: offset)
                    collected.started = true
                }
                while collected.bytes.count < maxBytes {
                    let want = min(Self.transferBuffer, maxBytes - collected.bytes.count)
                    let result = try collected.scratch(want) { (buffer) throws(LibSSH2Failure) in
                        try handle.read(into: buffer)
                    }
                    guard case .done(let count) = result else { return .wouldBlock }
                    if count == 0 { break }
                }
                return .done(())
            }
        }
        return collected.bytes
    }

    /// Writes `bytes` to `path` at `offset` (creating the file with `permissions` if needed).
    public func write(_ bytes: [UInt8], to path: String, at offset: UInt64, permissions: UInt32 = 0o644) async throws {
        try await withOpenFile(
            path, flags: SFTPOpenFlags.write | SFTPOpenFlags.create, mode: permissions, purpose: "writing"
        ) { handle in
            try await writeAll(bytes, to: handle, at: offset, path: path)
        }
    }

    /// Replaces `path` with `bytes`, atomically: written to a temporary name, then renamed.
    public func writeFile(_ bytes: [UInt8], to path: String, permissions: UInt32 = 0o644) async throws {
        let temporary = Self.temporaryName(for: path)
        do {
            try await withOpenFile(
                temporary, flags: SFTPOpenFlags.write | SFTPOpenFlags.create | SFTPOpenFlags.truncate,
                mode: permissions, purpose: "writing"
            ) { handle in
                try await writeAll(bytes, to: handle, at: 0, path: path)
            }
            try await setAttributes(temporary, permissions: permissions)
            try await rename(temporary, to: path)
        } catch {
            try? await remove(temporary)
            throw error
        }
    }

    private func writeAll(_ bytes: [UInt8], to handle: SFTPFileHandle, at offset: UInt64, path: String) async throws {
        let progress = WriteProgress()
        try await handleOperation("writing", path) { () throws(LibSSH2Failure) -> Attempt<Void> in
            if !progress.started {
                handle.seek(to: offset)
                progress.started = true
            }
            while progress.offset < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    Result { () throws(LibSSH2Failure) in
                        try handle.write(
                            UnsafeRawBufferPointer(
                                rebasing: buffer[
                                    progress.offset..<min(buffer.count, progress.offset + Self.transferBuffer)]))
                    }
                }
                guard case .done(let count) = try result.get() else { return .wouldBlock }
                progress.offset += count
            }
            return .done(())
        }
    }

    /// `.name.p-partial-XXXXXX` beside `path`.
    static func temporaryName(for path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = ".\(name).p-partial-\(UUID().uuidString.prefix(8))"
        return directory.isEmpty ? temporary : directory + "/" + temporary
    }

    // MARK: - Plumbing

    func open(_ path: String, flags: UInt, mode: Int, directory: Bool, purpose: String) async throws -> SFTPFileHandle {
        let channel = self.channel
        return try await pathOperation("opening for \(purpose)", path) { () throws(LibSSH2Failure) in
            try channel.open(path, flags: flags, mode: mode, directory: directory)
        }
    }

    /// Opens `path`, runs `body` with the handle, and closes it, also when `body` throws
    /// (then the close's own failure is ignored in favour of the first error).
    func withOpenFile<T: Sendable>(
        _ path: String, flags: UInt, mode: UInt32 = 0, directory: Bool = false, purpose: String,
        _ body: (SFTPFileHandle) async throws -> T
    ) async throws -> T {
        let handle = try await open(path, flags: flags, mode: Int(mode), directory: directory, purpose: purpose)
        let result: T
        do {
            result = try await body(handle)
        } catch {
            try? await close(handle, path)
            throw error
        }
        try await close(handle, path)
        return result
    }

    func close(_ handle: SFTPFileHandle, _ path: String) async throws {
        try await handleOperation("closing", path) { () throws(LibSSH2Failure) in try handle.close() }
    }

    func setAttributes(of handle: SFTPFileHandle, _ attributes: SFTPRawAttributes, path: String) async throws {
        try await handleOperation("setting the attributes of", path) { () throws(LibSSH2Failure) in
            try handle.setStat(attributes)
        }
    }

    /// A path operation: in this channel's lane.
    func pathOperation<T: Sendable>(
        _ operation: String, _ path: String, _ body: @escaping () throws(LibSSH2Failure) -> Attempt<T>
    ) async throws -> T {
        let host = self.host
        return try await loop.perform("\(operation) \(path)", timeout: session.setupTimeout, lane: lane) {
            () throws(SSHError) in
            do throws(LibSSH2Failure) {
                return try body()
            } catch {
                throw error.sftpError(host: host, operation: operation, path: path)
            }
        }
    }

    /// An operation on an open handle: no lane (its state lives in the handle), no timeout
    /// (transfers take as long as they take; a dead connection is caught by keepalive).
    /// Transfers watch for cancellation themselves and stop at a packet boundary.
    func handleOperation<T: Sendable>(
        _ operation: String, _ path: String, _ body: @escaping () throws(LibSSH2Failure) -> Attempt<T>
    ) async throws -> T {
        let host = self.host
        return try await loop.perform("\(operation) \(path)", whenCancelled: .stepAgain) { () throws(SSHError) in
            do throws(LibSSH2Failure) {
                return try body()
            } catch {
                throw error.sftpError(host: host, operation: operation, path: path)
            }
        }
    }

    /// Shuts the SFTP channel down; the session stays open. Runs to the end even when the
    /// calling task was cancelled (it is cleanup).
    public func close() async {
        let channel = self.channel
        let loop = self.loop
        await Self.shielded {
            _ = try? await loop.perform("closing the SFTP channel") { () throws(SSHError) in channel.shutdown() }
        }
    }

    /// Runs cleanup that must happen even when the calling task was cancelled (closing a
    /// handle, removing a temporary file): on a task that does not inherit the
    /// cancellation. It ends as soon as the session is gone.
    static func shielded(_ body: @escaping @Sendable () async -> Void) async {
        await Task { await body() }.value
    }
}

extension SSHSession {
    /// Opens an SFTP channel.
    /// - Throws: `SSHError.channelFailure` if the server has no SFTP subsystem.
    public func sftp() async throws -> SFTPClient {
        let handle = self.handle
        let host = target.host
        let channel = try await loop.perform("starting SFTP", timeout: setupTimeout, lane: .channelSetup) {
            () throws(SSHError) in
            try Attempt.mapping(host: host, operation: "starting the SFTP subsystem", channel: true) {
                () throws(LibSSH2Failure) in try SFTPChannelHandle.start(on: handle)
            }
        }
        return SFTPClient(session: self, channel: channel)
    }

    /// Runs `body` with an SFTP channel that is shut down afterwards, whether `body`
    /// returns or throws.
    /// - Throws: what `sftp()` or `body` throws.
    public func withSFTP<T>(_ body: (SFTPClient) async throws -> T) async throws -> T {
        let client = try await sftp()
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// SFTP open flags without exposing libssh2's constants above the LibSSH2 folder.
enum SFTPOpenFlags {
    static let read: UInt = 0x01
    static let write: UInt = 0x02
    static let create: UInt = 0x08
    static let truncate: UInt = 0x10
}

/// Bytes gathered by a read that may take several loop steps. Loop thread only.
final class ByteCollector: @unchecked Sendable {
    let limit: Int
    var bytes: [UInt8] = []
    var started = false
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: SFTPClient.transferBuffer, alignment: 16)

    init(limit: Int) {
        self.limit = limit
    }

    deinit { buffer.deallocate() }

    /// Reads at most `count` bytes through a fixed buffer and appends what came.
    func scratch(_ count: Int, _ read: (UnsafeMutableRawBufferPointer) throws(LibSSH2Failure) -> Attempt<Int>)
        throws(LibSSH2Failure) -> Attempt<Int>
    {
        let outcome = try read(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(count, buffer.count)]))
        if case .done(let got) = outcome {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
        }
        return outcome
    }
}
