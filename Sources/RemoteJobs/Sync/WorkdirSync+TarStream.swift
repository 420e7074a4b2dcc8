import Foundation
import SSHTransport

extension WorkdirSync {
    /// Sends files and links as one tar stream into `tar -x` on the worker, over a single
    /// exec on the pooled connection: no round trip per file, and the bytes flow at the
    /// channel's full rate. Files are read in 256 KB pieces, so memory stays flat.
    func streamTar(_ entries: [SyncEntry], from directory: String, to workdir: String, totalBytes: UInt64)
        async throws
    {
        let sendable = entries.filter { $0.kind != .directory }
        let worker = self.worker
        let progress = observer.progress
        let result = try await link.withExec(UntarScript(directory: workdir).command) { exec in
            try await Self.send(
                sendable, from: directory, through: exec, worker: worker, totalBytes: totalBytes, progress: progress)
        }
        guard result.0 == .exited(0) else {
            let lines = result.1.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            throw RemoteJobsError.syncFailed(
                worker: worker.name,
                detail: "tar on the worker ended with \(result.0): "
                    + (lines.isEmpty ? "no message" : lines.prefix(4).joined(separator: "; ")))
        }
    }
}

extension WorkdirSync {
    /// Writes the archive while reading tar's stderr. When tar ends early (a full disk),
    /// its output ends: the writing stops then, since a server no longer reading would
    /// hold the write (and the channel) forever, and tar's own message is reported.
    fileprivate static func send(
        _ entries: [SyncEntry], from directory: String, through exec: any WorkerExec, worker: Worker,
        totalBytes: UInt64,
        progress: TransferProgressHandler?
    ) async throws -> (SSHExitStatus, String) {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var writer = TarStreamWriter(
                    exec: exec, progress: progress, bytesTotal: totalBytes, files: entries.count)
                for entry in entries { try await writer.add(entry, from: directory, worker: worker) }
                try await writer.finish()
                return nil
            }
            group.addTask {
                var errors: [UInt8] = []
                while let chunk = try await exec.nextChunk() {
                    if errors.count < 64 * 1024 { errors += chunk.bytes }
                }
                return String(decoding: errors, as: UTF8.self)
            }
            var tarOutput: String?
            var writeFailure: (any Error)?
            while true {
                do {
                    guard let value = try await group.next() else { break }
                    if let value {
                        tarOutput = value
                        group.cancelAll()
                    }
                } catch {
                    guard tarOutput == nil, writeFailure == nil else { continue }
                    writeFailure = error
                    // A refused write (tar gone) still lets tar's output end; anything else
                    // (a local file, a cancelled job) stops both.
                    if !(error is SSHError) { group.cancelAll() }
                }
            }
            if let tarOutput {
                let status = try await exec.exitStatus()
                if status != .exited(0) || writeFailure == nil { return (status, tarOutput) }
            }
            throw writeFailure ?? CancellationError()
        }
    }
}

/// Batches a tar stream's headers and file contents into writes of about 256 KB.
private struct TarStreamWriter {
    static let chunkSize = 256 * 1024
    let exec: any WorkerExec
    let progress: TransferProgressHandler?
    let bytesTotal: UInt64
    let files: Int
    var buffer: [UInt8] = []
    var bytesDone: UInt64 = 0
    var filesDone = 0

    init(exec: any WorkerExec, progress: TransferProgressHandler?, bytesTotal: UInt64, files: Int) {
        self.exec = exec
        self.progress = progress
        self.bytesTotal = bytesTotal
        self.files = files
        buffer.reserveCapacity(Self.chunkSize + 2 * TarWriter.blockSize)
    }

    mutating func add(_ entry: SyncEntry, from directory: String, worker: Worker) async throws {
        buffer += TarWriter.header(
            path: entry.path, kind: entry.kind, mode: entry.mode, size: entry.size, modified: entry.modifiedSeconds)
        if entry.kind == .file {
            try await addContents(of: directory + "/" + entry.path, size: entry.size, path: entry.path, worker: worker)
        }
        filesDone += 1
        try await flush(ifAbove: Self.chunkSize)
    }

    private mutating func addContents(of file: String, size: UInt64, path: String, worker: Worker) async throws {
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RemoteJobsError.localFile(path: file, action: "read", errno: errno)
        }
        defer { close(descriptor) }
        var remaining = size
        while remaining > 0 {
            try await flush(ifAbove: Self.chunkSize - 1)
            let wanted = Int(min(remaining, UInt64(Self.chunkSize - buffer.count)))
            // The read blocks on the disk: on a thread outside the cooperative pool.
            let (count, code, piece) = await BlockingWork.run { () -> (Int, Int32, [UInt8]) in
                var piece = [UInt8](repeating: 0, count: wanted)
                let count = piece.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, wanted) }
                return (count, errno, piece)
            }
            if count < 0 && code == EINTR { continue }
            guard count > 0 else {
                if count < 0 { throw RemoteJobsError.localFile(path: file, action: "read", errno: code) }
                // Shorter than planned: the archive cannot be completed truthfully.
                throw RemoteJobsError.changedWhileCopied(path, worker: worker)
            }
            buffer += piece[0..<count]
            remaining -= UInt64(count)
            bytesDone += UInt64(count)
        }
        buffer += TarWriter.padding(after: size)
    }

    private mutating func flush(ifAbove limit: Int) async throws {
        guard buffer.count > limit else { return }
        try await exec.write(buffer)
        buffer.removeAll(keepingCapacity: true)
        progress?(
            TransferProgress(bytesDone: bytesDone, bytesTotal: bytesTotal, filesDone: filesDone, filesTotal: files))
    }

    mutating func finish() async throws {
        buffer += TarWriter.end
        try await flush(ifAbove: 0)
        try await exec.closeInput()
    }
}
