import Foundation

extension SFTPClient {
    /// Uploads one local file to `remotePath`, keeping its permissions and modification
    /// time. It is written under a temporary name beside `remotePath` and renamed into
    /// place, so nothing partial ever stands under the final name.
    ///
    /// Cancelling the calling task stops the transfer and removes the temporary file.
    /// - Throws: `SSHError.localFileFailure` if the local file cannot be read or changes
    ///   while it is read; `SSHError.sftpFailure` naming the remote path.
    public func upload(_ localPath: String, to remotePath: String, progress: TransferProgressHandler? = nil)
        async throws
    {
        let size = try LocalTree.fileSize(localPath)
        let reporter = TransferReporter(bytesTotal: size, filesTotal: 1, handler: progress)
        try await uploadFile(localPath, to: remotePath, reporter: reporter)
        reporter.finish()
    }

    /// Downloads one remote file to `localPath` (through a temporary name beside it),
    /// keeping its permissions and modification time.
    /// - Throws: `SSHError.sftpFailure` naming the remote path, `SSHError.localFileFailure`.
    public func download(_ remotePath: String, to localPath: String, progress: TransferProgressHandler? = nil)
        async throws
    {
        let info = try await info(remotePath)
        let reporter = TransferReporter(bytesTotal: info.size, filesTotal: 1, handler: progress)
        try await downloadFile(
            remotePath, info: info, into: LocalDestinationFile(finalPath: localPath), reporter: reporter)
        reporter.finish()
    }

    func uploadFile(
        _ localPath: String, to remotePath: String, reporter: TransferReporter, atomic: Bool = true
    ) async throws {
        let source = try LocalSourceFile(path: localPath)
        defer { source.close() }
        // Written under a temporary name and renamed, unless the caller says no one looks at
        // the destination until the whole transfer is done (a round trip less per file).
        let temporary = atomic ? Self.temporaryName(for: remotePath) : remotePath
        let handle = try await open(
            temporary, flags: SFTPOpenFlags.write | SFTPOpenFlags.create | SFTPOpenFlags.truncate,
            mode: Int(source.permissions | 0o200), directory: false, purpose: "uploading")
        var handleOpen = true
        do {
            let state = UploadState(source: source, reporter: reporter)
            try await withTaskCancellationHandler {
                try await handleOperation("uploading to", remotePath) { () throws(LibSSH2Failure) in
                    try state.step(handle)
                }
            } onCancel: {
                state.cancel()
            }
            try Task.checkCancellation()
            if let failure = state.localFailure { throw failure }
            try source.checkUnchanged()
            try await setAttributes(
                of: handle,
                SFTPRawAttributes(permissions: source.permissions, modificationTime: source.modificationTime),
                path: remotePath)
            try await close(handle, temporary)
            handleOpen = false
            if atomic { try await rename(temporary, to: remotePath) }
            reporter.fileDone()
        } catch {
            let open = handleOpen
            await Self.shielded {
                if open { try? await self.close(handle, temporary) }
                try? await self.remove(temporary)
            }
            throw error
        }
    }

    func downloadFile(
        _ remotePath: String, info: SFTPFileInfo, into destination: LocalDestinationFile, reporter: TransferReporter
    ) async throws {
        let handle: SFTPFileHandle
        do {
            handle = try await open(
                remotePath, flags: SFTPOpenFlags.read, mode: 0, directory: false, purpose: "downloading")
        } catch {
            destination.discard()
            throw error
        }
        do {
            let state = DownloadState(destination: destination, reporter: reporter)
            try await withTaskCancellationHandler {
                try await handleOperation("downloading", remotePath) { () throws(LibSSH2Failure) in
                    try state.step(handle)
                }
            } onCancel: {
                state.cancel()
            }
            try await close(handle, remotePath)
            try Task.checkCancellation()
            if let failure = state.localFailure { throw failure }
            try destination.commit(permissions: info.permissions, modificationTime: info.modificationTime)
            reporter.fileDone()
        } catch {
            await Self.shielded { try? await self.close(handle, remotePath) }
            destination.discard()
            throw error
        }
    }
}

/// The loop-side state of one upload: keeps a sliding window of the local file in memory
/// and hands libssh2 everything from the last acknowledged byte on, so that writes stay in
/// flight (libssh2 skips what it already sent). Loop thread only, except `cancel()`.
final class UploadState: @unchecked Sendable {
    private static let window = 4 * SFTPClient.transferBuffer
    private let source: LocalSourceFile
    private let reporter: TransferReporter
    private var buffer: [UInt8] = []
    private var acknowledged = 0
    private var localEOF = false
    private var started = false
    private let cancelled = CancellationFlag()
    private(set) var localFailure: SSHError?

    init(source: LocalSourceFile, reporter: TransferReporter) {
        self.source = source
        self.reporter = reporter
    }

    func cancel() { cancelled.set() }

    func step(_ handle: SFTPFileHandle) throws(LibSSH2Failure) -> Attempt<Void> {
        if !started {
            handle.seek(to: 0)
            started = true
        }
        while true {
            // On cancellation, read nothing more but finish what libssh2 was handed: it may
            // hold a partly-sent WRITE packet, and leaving it half-sent would corrupt the
            // SFTP stream for every later request (the window bounds the extra bytes).
            if cancelled.isSet { localEOF = true }
            if !localEOF && buffer.count - acknowledged < Self.window {
                do {
                    let chunk = try source.readChunk(SFTPClient.transferBuffer)
                    if chunk.isEmpty { localEOF = true } else { buffer += chunk }
                } catch {
                    localFailure = error
                    return .done(())
                }
            }
            if acknowledged == buffer.count {
                if localEOF { return .done(()) }
                continue
            }
            let result = buffer.withUnsafeBytes { bytes in
                Result { () throws(LibSSH2Failure) in
                    try handle.write(UnsafeRawBufferPointer(rebasing: bytes[acknowledged...]))
                }
            }
            guard case .done(let count) = try result.get() else { return .wouldBlock }
            acknowledged += count
            reporter.add(bytes: UInt64(count))
            if acknowledged >= Self.window {
                buffer.removeFirst(acknowledged)
                acknowledged = 0
            }
        }
    }
}

/// The loop-side state of one download: reads with a large buffer (libssh2 reads ahead by
/// its size) and writes to the local temporary file. Loop thread only, except `cancel()`.
final class DownloadState: @unchecked Sendable {
    private let destination: LocalDestinationFile
    private let reporter: TransferReporter
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: SFTPClient.transferBuffer, alignment: 16)
    private let cancelled = CancellationFlag()
    private(set) var localFailure: SSHError?

    init(destination: LocalDestinationFile, reporter: TransferReporter) {
        self.destination = destination
        self.reporter = reporter
    }

    deinit { scratch.deallocate() }

    func cancel() { cancelled.set() }

    func step(_ handle: SFTPFileHandle) throws(LibSSH2Failure) -> Attempt<Void> {
        while !cancelled.isSet {
            guard case .done(let count) = try handle.read(into: scratch) else { return .wouldBlock }
            if count == 0 { return .done(()) }
            do {
                try destination.write(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            } catch {
                localFailure = error
                return .done(())
            }
            reporter.add(bytes: UInt64(count))
        }
        return .done(())
    }
}

/// A flag set from any thread (cancellation) and read on the loop thread.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Sums transfer progress from several workers and reports it at most every 50 ms.
final class TransferReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var progress: TransferProgress
    private let handler: TransferProgressHandler?
    private var lastReport = ContinuousClock.now

    init(bytesTotal: UInt64, filesTotal: Int, handler: TransferProgressHandler?) {
        progress = TransferProgress(bytesDone: 0, bytesTotal: bytesTotal, filesDone: 0, filesTotal: filesTotal)
        self.handler = handler
    }

    func add(bytes: UInt64) { update(force: false) { $0.bytesDone += bytes } }
    func fileDone() { update(force: false) { $0.filesDone += 1 } }
    func finish() { update(force: true) { _ in } }

    private func update(force: Bool, _ change: (inout TransferProgress) -> Void) {
        lock.lock()
        change(&progress)
        let now = ContinuousClock.now
        let due = force || now - lastReport >= .milliseconds(50)
        if due { lastReport = now }
        let snapshot = progress
        lock.unlock()
        if due { handler?(snapshot) }
    }
}
