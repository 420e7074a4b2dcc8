import Foundation

extension SFTPClient {
    /// Uploads the directory `localDirectory` as `remoteDirectory` (created if missing):
    /// regular files with their contents, permissions and modification times, directories
    /// (empty ones too), symbolic links as links (never followed). Sockets, FIFOs and devices
    /// are skipped and returned.
    ///
    /// Many small files are overlapped: `parallelism` SFTP channels on the same session each
    /// carry one file's open, writes, setstat, close and rename at a time. Every file goes
    /// through a temporary name, so an interrupted upload leaves no partial file under a
    /// final name.
    ///
    /// - Returns: the relative paths that were skipped.
    /// - Throws: the first failure (`SSHError.localFileFailure`, `.sftpFailure` naming the
    ///   path); cancellation stops every worker.
    @discardableResult
    public func uploadTree(
        _ localDirectory: String, to remoteDirectory: String, parallelism: Int = 6,
        progress: TransferProgressHandler? = nil
    ) async throws -> [String] {
        let tree = try LocalTree.scan(localDirectory)
        try await uploadTree(
            localDirectory, to: remoteDirectory, entries: tree.entries, parallelism: parallelism, progress: progress)
        return tree.skipped
    }

    /// Uploads the given entries of `localDirectory` (a selection made by the caller, parents
    /// before children) as `remoteDirectory`, as `uploadTree(_:to:)` does for a whole tree. A
    /// local file that changes while it is read fails the upload, naming it. With
    /// `mergingIntoExisting`, directories that already exist remotely are fine (one more
    /// round trip per directory to find out). With `atomicFiles` false, files are written
    /// under their final names (a round trip less each), for a destination nobody uses
    /// before the upload has finished.
    public func uploadTree(
        _ localDirectory: String, to remoteDirectory: String, entries: [SFTPTreeEntry],
        mergingIntoExisting: Bool = false, atomicFiles: Bool = true, parallelism: Int = 6,
        progress: TransferProgressHandler? = nil
    ) async throws {
        let tree = LocalTree(entries: entries)
        let files = tree.entries.filter { if case .file = $0.kind { return true } else { return false } }
        let bytes = files.reduce(UInt64(0)) { total, entry in
            if case .file(let size) = entry.kind { return total + size }
            return total
        }
        let reporter = TransferReporter(bytesTotal: bytes, filesTotal: files.count, handler: progress)

        try await createDirectory(remoteDirectory, permissions: 0o755, intermediate: true)
        // Directories are made writable for the upload; their own modes come at the end.
        for entry in tree.entries where entry.kind == .directory {
            try await createDirectory(
                remoteDirectory + "/" + entry.path, permissions: entry.permissions | 0o700,
                intermediate: mergingIntoExisting)
        }
        for entry in tree.entries {
            guard case .symbolicLink(let target) = entry.kind else { continue }
            try await createSymbolicLink(at: remoteDirectory + "/" + entry.path, pointingTo: target)
        }
        try await forEachFile(files.map(\.path), parallelism: parallelism) { client, path in
            try await client.uploadFile(
                localDirectory + "/" + path, to: remoteDirectory + "/" + path, reporter: reporter, atomic: atomicFiles)
        }
        for entry in tree.entries.reversed() where entry.kind == .directory {
            try await setAttributes(
                remoteDirectory + "/" + entry.path, permissions: entry.permissions,
                modificationTime: entry.modificationTime)
        }
        reporter.finish()
    }

    /// Downloads the remote directory `remoteDirectory` as `localDirectory` (created if
    /// missing), the counterpart of `uploadTree`. Nothing is written through a symbolic
    /// link in the destination: its parent directories are followed as any path is, but
    /// `localDirectory` itself and everything below it are opened without following links
    /// (see `LocalTreeWriter`); a link where a directory is about to be written stops the
    /// download before any file is written.
    /// - Throws: `SSHError.symbolicLinkInDestination` naming the link,
    ///   `.localFileFailure`, `.sftpFailure`.
    public func downloadTree(
        _ remoteDirectory: String, to localDirectory: String, parallelism: Int = 6,
        progress: TransferProgressHandler? = nil
    ) async throws {
        var directories: [(String, SFTPFileInfo)] = []
        var files: [(String, SFTPFileInfo)] = []
        var links: [(String, String)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            for entry in try await list(relative.isEmpty ? remoteDirectory : remoteDirectory + "/" + relative) {
                let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
                switch entry.info.kind {
                case .directory:
                    directories.append((path, entry.info))
                    pending.append(path)
                case .file: files.append((path, entry.info))
                case .symbolicLink:
                    let destination = try await destinationOfSymbolicLink(remoteDirectory + "/" + path)
                    links.append((path, destination))
                case .other: continue
                }
            }
        }
        directories.sort { $0.0 < $1.0 }
        let writer = try LocalTreeWriter(destination: localDirectory)
        try writer.makeDirectory("")
        for (path, _) in directories { try writer.makeDirectory(path) }
        for (path, target) in links { try writer.makeSymbolicLink(path, pointingTo: target) }
        let infos = Dictionary(uniqueKeysWithValues: files)
        let reporter = TransferReporter(
            bytesTotal: files.reduce(0) { $0 + $1.1.size }, filesTotal: files.count, handler: progress)
        try await forEachFile(files.map(\.0), parallelism: parallelism) { client, path in
            try await client.downloadFile(
                remoteDirectory + "/" + path, info: infos[path]!, into: writer.createFile(path), reporter: reporter)
        }
        for (path, info) in directories.reversed() {
            try writer.setAttributes(path, permissions: info.permissions, modificationTime: info.modificationTime)
        }
        reporter.finish()
    }

    /// Runs `body` for every path on up to `parallelism` SFTP channels of this session
    /// (this one and extra ones opened for the purpose), each taking the next path when done.
    func forEachFile(
        _ paths: [String], parallelism: Int,
        _ body: @escaping @Sendable (SFTPClient, String) async throws -> Void
    ) async throws {
        guard !paths.isEmpty else { return }
        let queue = WorkQueue(paths)
        let workers = max(1, min(parallelism, paths.count))
        var clients: [SFTPClient] = [self]
        do {
            for _ in 1..<workers {
                clients.append(try await session.sftp())
            }
            try await run(body, on: clients, queue: queue)
        } catch {
            for client in clients.dropFirst() { await client.close() }
            throw error
        }
        // The extra channels are closed before returning, not left to a task.
        for client in clients.dropFirst() { await client.close() }
    }

    private func run(
        _ body: @escaping @Sendable (SFTPClient, String) async throws -> Void, on clients: [SFTPClient],
        queue: WorkQueue
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients {
                group.addTask {
                    while let path = queue.next() {
                        try Task.checkCancellation()
                        try await body(client, path)
                    }
                }
            }
            do {
                try await group.waitForAll()
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

/// Hands out paths to transfer workers.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String]
    private var index = 0

    init(_ items: [String]) {
        self.items = items
    }

    func next() -> String? {
        lock.withLock {
            guard index < items.count else { return nil }
            defer { index += 1 }
            return items[index]
        }
    }
}
