import Foundation

/// A regular file of an upload, from an `SFTPTreeEntry`.
private struct UploadFile {
    var path: String
    /// The size the caller expects; a file found shorter fails the upload.
    var size: UInt64
    var permissions: UInt32
    var modificationTime: UInt32
}

extension SSHSession {
    /// Uploads regular files from `localRoot` to `remoteRoot` (whose directories must exist)
    /// over one SFTP channel with many requests in flight: up to 64 files open at once and
    /// 8 MB of writes unacknowledged, each file's writes, attributes and close sent without
    /// waiting, so a slow link costs about one round trip per 64 files rather than several
    /// per file. Sizes, permissions and modification times are set exactly.
    ///
    /// - Parameters:
    ///   - localRoot: the local directory the entries' paths are relative to.
    ///   - remoteRoot: the directory on the server they go to.
    ///   - entries: the files to upload (entries of kind `.file`; directories and links are
    ///     left to `SFTPClient.uploadTree`, and ignored here).
    ///   - replacing: remove each file before writing it, so that a read-only file left at
    ///     that path is replaced rather than refused.
    ///   - progress: told the bytes sent so far as the upload goes.
    /// - Throws: `SSHError.sftpFailure` naming the file the server refused,
    ///   `SSHError.localFileFailure` for a local file that cannot be read or is shorter than
    ///   its planned size (it changed while being read), `SSHError.connectionLost`.
    public func uploadFiles(
        _ entries: [SFTPTreeEntry], from localRoot: String, to remoteRoot: String, replacing: Bool = false,
        progress: TransferProgressHandler? = nil
    ) async throws {
        guard entries.contains(where: { if case .file = $0.kind { true } else { false } }) else { return }
        let channel = try await subsystem("sftp")
        defer { channel.close() }
        try await Self.uploadFiles(
            entries, from: localRoot, to: remoteRoot, over: channel, host: target.host, replacing: replacing,
            progress: progress)
    }

    /// `uploadFiles` over an `sftp` subsystem channel the caller started, on this session or
    /// another process's (`SSHKeeperClient.subsystem`); the caller closes the channel.
    public static func uploadFiles(
        _ entries: [SFTPTreeEntry], from localRoot: String, to remoteRoot: String, over channel: any SSHRunningCommand,
        host: String, replacing: Bool = false, progress: TransferProgressHandler? = nil
    ) async throws {
        let files = entries.compactMap { entry -> UploadFile? in
            guard case .file(let size) = entry.kind else { return nil }
            return UploadFile(
                path: entry.path, size: size, permissions: entry.permissions, modificationTime: entry.modificationTime)
        }
        guard !files.isEmpty else { return }
        var upload = PipelinedUpload(
            files: files, localRoot: localRoot, remoteRoot: remoteRoot, replacing: replacing, host: host,
            progress: progress)
        try await upload.run(over: channel)
    }
}

/// The state of one pipelined upload: which requests are in flight for which file.
private struct PipelinedUpload {
    static let maxOpenFiles = 64
    static let maxBytesInFlight = 8 << 20
    static let writeSize = 64 * 1024

    private enum Request {
        case remove
        case open(Int)
        case write(Int, bytes: Int)
        case attributes(Int)
        case close(Int)
    }

    private struct OpenFile {
        var handle: [UInt8]
        var descriptor: Int32
        var offset: UInt64 = 0
        var finishing = false
    }

    let files: [UploadFile]
    let localRoot: String
    let remoteRoot: String
    let replacing: Bool
    let host: String
    let progress: TransferProgressHandler?

    private var nextFile = 0
    private var nextID: UInt32 = 1
    private var requests: [UInt32: Request] = [:]
    private var openFiles: [Int: OpenFile] = [:]
    private var opening = 0
    private var bytesInFlight = 0
    private var filesDone = 0
    private var bytesDone: UInt64 = 0
    private let bytesTotal: UInt64
    private var reader = SFTPWire.Reader()
    private var scratch = [UInt8](repeating: 0, count: PipelinedUpload.writeSize)

    init(
        files: [UploadFile], localRoot: String, remoteRoot: String, replacing: Bool, host: String,
        progress: TransferProgressHandler?
    ) {
        self.files = files
        self.localRoot = localRoot
        self.remoteRoot = remoteRoot
        self.replacing = replacing
        self.host = host
        self.progress = progress
        bytesTotal = files.reduce(0) { $0 + $1.size }
    }

    mutating func run(over channel: any SSHRunningCommand) async throws {
        defer { for file in openFiles.values { Foundation.close(file.descriptor) } }
        try await channel.write(SFTPWire.initialize())
        guard case .version = try await nextReply(from: channel) else {
            throw protocolError("the server did not start SFTP")
        }
        while filesDone < files.count {
            // Reading the local files blocks: on a thread outside the cooperative pool.
            let current = self
            let (next, output) = try await BlockingWork.run { () throws -> (PipelinedUpload, [UInt8]) in
                var state = current
                var output: [UInt8] = []
                try state.issue(into: &output)
                return (state, output)
            }
            self = next
            if !output.isEmpty { try await channel.write(output) }
            guard !requests.isEmpty else { continue }
            try handle(try await nextReply(from: channel))
            // Take every reply already here before writing more.
            while let reply = try nextBufferedReply() { try handle(reply) }
        }
    }

    // MARK: Requests

    private mutating func issue(into output: inout [UInt8]) throws {
        for index in openFiles.keys.sorted() where bytesInFlight < Self.maxBytesInFlight {
            try continueWriting(index, into: &output)
        }
        while nextFile < files.count && opening + openFiles.count < Self.maxOpenFiles
            && bytesInFlight < Self.maxBytesInFlight
        {
            let file = files[nextFile]
            let path = Array((remoteRoot + "/" + file.path).utf8)
            if replacing { output += SFTPWire.remove(id: register(.remove), path: path) }
            output += SFTPWire.open(id: register(.open(nextFile)), path: path, permissions: file.permissions & 0o7777)
            opening += 1
            nextFile += 1
        }
    }

    /// Sends the next writes of an open file; after the last one, its attributes and close.
    private mutating func continueWriting(_ index: Int, into output: inout [UInt8]) throws {
        guard var open = openFiles[index], !open.finishing else { return }
        let file = files[index]
        while open.offset < file.size && bytesInFlight < Self.maxBytesInFlight {
            let wanted = Int(min(UInt64(Self.writeSize), file.size - open.offset))
            let count = scratch.withUnsafeMutableBytes { read(open.descriptor, $0.baseAddress!, wanted) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw SSHError.localFileFailure(
                    path: localRoot + "/" + file.path, operation: "uploading",
                    message: count < 0
                        ? String(cString: strerror(errno)) : "the file changed while it was being read (it is shorter)")
            }
            SFTPWire.appendWrite(
                id: register(.write(index, bytes: count)), handle: open.handle, offset: open.offset,
                data: scratch[0..<count], to: &output)
            open.offset += UInt64(count)
            bytesInFlight += count
        }
        if open.offset == file.size {
            output += SFTPWire.setAttributes(
                id: register(.attributes(index)), handle: open.handle, permissions: file.permissions & 0o7777,
                modified: file.modificationTime)
            output += SFTPWire.close(id: register(.close(index)), handle: open.handle)
            open.finishing = true
        }
        openFiles[index] = open
    }

    private mutating func register(_ request: Request) -> UInt32 {
        let id = nextID
        nextID &+= 1
        requests[id] = request
        return id
    }

    // MARK: Replies

    private mutating func handle(_ reply: SFTPWire.Reply) throws {
        switch reply {
        case .handle(let id, let handle):
            guard case .open(let index) = requests.removeValue(forKey: id) else {
                throw protocolError("a handle answered no open request")
            }
            opening -= 1
            let local = localRoot + "/" + files[index].path
            let descriptor = Foundation.open(local, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw SSHError.localFileFailure(
                    path: local, operation: "uploading", message: String(cString: strerror(errno)))
            }
            openFiles[index] = OpenFile(handle: handle, descriptor: descriptor)
        case .status(let id, let code, let message):
            guard let request = requests.removeValue(forKey: id) else {
                throw protocolError("a status answered no request")
            }
            try handleStatus(request, code: code, message: message)
        case .version, .other:
            throw protocolError("an unexpected reply")
        }
    }

    private mutating func handleStatus(_ request: Request, code: UInt32, message: String) throws {
        switch request {
        case .remove:
            return  // usually "no such file": there was nothing to replace
        case .open(let index):
            throw failure(index, "opening", code: code, message: message)
        case .write(let index, let bytes):
            bytesInFlight -= bytes
            bytesDone += UInt64(bytes)
            if code != 0 { throw failure(index, "writing", code: code, message: message) }
            reportProgress()
        case .attributes(let index):
            if code != 0 { throw failure(index, "setting the attributes of", code: code, message: message) }
        case .close(let index):
            if code != 0 { throw failure(index, "closing", code: code, message: message) }
            if let open = openFiles.removeValue(forKey: index) { Foundation.close(open.descriptor) }
            filesDone += 1
            reportProgress()
        }
    }

    private func reportProgress() {
        progress?(
            TransferProgress(
                bytesDone: bytesDone, bytesTotal: bytesTotal, filesDone: filesDone, filesTotal: files.count))
    }

    private mutating func nextReply(from channel: any SSHRunningCommand) async throws -> SFTPWire.Reply {
        while true {
            if let reply = try nextBufferedReply() { return reply }
            guard let chunk = try await channel.nextChunk() else {
                throw SSHError.connectionLost(host: host, reason: "the SFTP server ended during an upload")
            }
            if chunk.stream == .stdout { reader.feed(chunk.bytes) }
        }
    }

    private mutating func nextBufferedReply() throws -> SFTPWire.Reply? {
        do {
            return try reader.next()
        } catch {
            throw protocolError("a malformed packet")
        }
    }

    private func failure(_ index: Int, _ operation: String, code: UInt32, message: String) -> SSHError {
        .sftpFailure(
            host: host, operation: operation, path: remoteRoot + "/" + files[index].path,
            reason: LibSSH2Failure.reason(code), message: message)
    }

    private func protocolError(_ what: String) -> SSHError {
        .connectionLost(host: host, reason: "SFTP protocol error during an upload: \(what)")
    }
}
