import Foundation
import SSHTransport
import Testing

/// SFTP against the local test sshd: the "remote" side is this machine's file system, so
/// results are checked directly on disk.
@Suite("SFTP against a real sshd", .timeLimit(.minutes(10)), .throttled)
struct SFTPTests {
    func client() async throws -> (SSHSession, SFTPClient, String) {
        let session = try await TestSSHD.sharedLocal().connect()
        let sftp = try await session.sftp()
        let directory = try TestSSHD.makeTemporaryDirectory()
        return (session, sftp, directory)
    }

    /// Random bytes from /dev/urandom (generating them one by one is slow in debug builds).
    func randomBytes(_ count: Int) -> [UInt8] {
        let handle = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? handle.close() }
        return [UInt8](handle.readData(ofLength: count))
    }

    func leftovers(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter {
            $0.contains(".p-partial-")
        }
    }

    @Test func pathOperations() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        try await sftp.createDirectory(directory + "/a/b/c", permissions: 0o750, intermediate: true)
        try await sftp.createDirectory(directory + "/a/b/c", intermediate: true)  // exists: fine
        #expect(try await sftp.info(directory + "/a/b/c").kind == .directory)
        try await sftp.writeFile(Array("hello".utf8), to: directory + "/a/f.txt", permissions: 0o640)
        let info = try await sftp.info(directory + "/a/f.txt")
        #expect(info.kind == .file && info.size == 5 && info.permissions == 0o640)
        try await sftp.setAttributes(directory + "/a/f.txt", permissions: 0o755, modificationTime: 1_000_000_000)
        let changed = try await sftp.info(directory + "/a/f.txt")
        #expect(changed.permissions == 0o755 && changed.modificationTime == 1_000_000_000)
        try await sftp.createSymbolicLink(at: directory + "/a/link", pointingTo: "f.txt")
        #expect(try await sftp.destinationOfSymbolicLink(directory + "/a/link") == "f.txt")
        #expect(try await sftp.linkInfo(directory + "/a/link").kind == .symbolicLink)
        #expect(try await sftp.list(directory + "/a").map(\.name) == ["b", "f.txt", "link"])
        try await sftp.rename(directory + "/a/f.txt", to: directory + "/a/g.txt")
        #expect(!(try await sftp.exists(directory + "/a/f.txt")))
        #expect(try await sftp.exists(directory + "/a/link"))  // dangling now, still there
        let home = try await sftp.realPath(".")
        #expect(home == NSHomeDirectory() || home.hasPrefix("/"))
        try await sftp.removeTree(directory + "/a")
        #expect(!FileManager.default.fileExists(atPath: directory + "/a"))
    }

    @Test func readAndWriteAtOffsets() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let path = directory + "/offsets.bin"
        let bytes = randomBytes(3_000_000)
        try await sftp.writeFile(bytes, to: path)
        #expect(try await sftp.read(path, offset: 1_234_567, maxBytes: 100) == Array(bytes[1_234_567..<1_234_667]))
        #expect(try await sftp.read(path, offset: 2_999_990, maxBytes: 100) == Array(bytes[2_999_990...]))
        #expect(try await sftp.read(path, maxBytes: 3_000_000) == bytes)
        try await sftp.write(Array("XYZ".utf8), to: path, at: 10)
        let head = try await sftp.read(path, maxBytes: 13)
        #expect(Array(head[10..<13]) == Array("XYZ".utf8) && Array(head[0..<10]) == Array(bytes[0..<10]))
        #expect(leftovers(directory).isEmpty)
    }

    @Test func fileUploadAndDownloadKeepContentModeAndTime() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let local = directory + "/local.bin"
        let bytes = randomBytes(20_000_000)
        _ = FileManager.default.createFile(atPath: local, contents: Data(bytes), attributes: [.posixPermissions: 0o751])
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_500_000_000)], ofItemAtPath: local)
        let reports = Box<[TransferProgress]>([])
        try await sftp.upload(local, to: directory + "/remote.bin") { reports.value.append($0) }
        #expect(
            reports.value.last
                == TransferProgress(bytesDone: 20_000_000, bytesTotal: 20_000_000, filesDone: 1, filesTotal: 1))
        let uploaded = try await sftp.info(directory + "/remote.bin")
        #expect(uploaded.permissions == 0o751 && uploaded.modificationTime == 1_500_000_000)
        #expect(FileManager.default.contents(atPath: directory + "/remote.bin") == Data(bytes))
        try await sftp.download(directory + "/remote.bin", to: directory + "/back.bin")
        #expect(FileManager.default.contents(atPath: directory + "/back.bin") == Data(bytes))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/back.bin")
        #expect((attributes[.posixPermissions] as? Int) == 0o751)
        #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_500_000_000)
        #expect(leftovers(directory).isEmpty)
    }

    @Test func treeUploadAndDownloadAreExactCopies() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let source = directory + "/source"
        let fm = FileManager.default
        try fm.createDirectory(atPath: source + "/nested/deeper", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: source + "/empty", withIntermediateDirectories: true)
        var expected: [String: [UInt8]] = [:]
        for (index, name) in ["a.txt", "with space.txt", "new\nline", "ünïcödé ✓", "nested/x.bin", "nested/deeper/y"]
            .enumerated()
        {
            let bytes = randomBytes(index * 40_000 + 1)
            _ = fm.createFile(atPath: source + "/" + name, contents: Data(bytes))
            expected[name] = bytes
        }
        for index in 0..<300 {
            let bytes = Array("small \(index)".utf8)
            _ = fm.createFile(atPath: source + "/nested/s\(index)", contents: Data(bytes))
            expected["nested/s\(index)"] = bytes
        }
        chmod(source + "/a.txt", 0o755)
        try fm.createSymbolicLink(atPath: source + "/to-a", withDestinationPath: "a.txt")
        try fm.createSymbolicLink(atPath: source + "/outside", withDestinationPath: "/etc/hostname")
        try fm.createSymbolicLink(atPath: source + "/dangling", withDestinationPath: "nowhere")
        mkfifo(source + "/fifo", 0o600)

        let skipped = try await sftp.uploadTree(source, to: directory + "/copy/of/tree")
        #expect(skipped == ["fifo"])
        try await sftp.downloadTree(directory + "/copy/of/tree", to: directory + "/back")
        for root in [directory + "/copy/of/tree", directory + "/back"] {
            for (name, bytes) in expected {
                #expect(fm.contents(atPath: root + "/" + name) == Data(bytes), "\(root)/\(name)")
            }
            #expect(try fm.destinationOfSymbolicLink(atPath: root + "/to-a") == "a.txt")
            #expect(try fm.destinationOfSymbolicLink(atPath: root + "/outside") == "/etc/hostname")
            #expect(try fm.destinationOfSymbolicLink(atPath: root + "/dangling") == "nowhere")
            #expect(try fm.contentsOfDirectory(atPath: root + "/empty").isEmpty)
            #expect((try fm.attributesOfItem(atPath: root + "/a.txt")[.posixPermissions] as? Int) == 0o755)
            #expect(!fm.fileExists(atPath: root + "/fifo"))
        }
        #expect(leftovers(directory).isEmpty)
    }

    /// Many files and a large one through the pipelined uploader: contents, modes and
    /// times exact; with `replacing`, a read-only file in the way is replaced.
    @Test func pipelinedUploadIsExact() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let local = directory + "/local"
        let remote = directory + "/remote"
        var files: [SFTPTreeEntry] = []
        for index in 0..<300 {
            let path = "d\(index % 5)/f\(index)"
            try FileManager.default.createDirectory(atPath: local + "/d\(index % 5)", withIntermediateDirectories: true)
            let bytes = randomBytes(index * 37)
            try Data(bytes).write(to: URL(fileURLWithPath: local + "/" + path))
            files.append(
                SFTPTreeEntry(
                    path: path, kind: .file(size: UInt64(bytes.count)), permissions: index % 2 == 0 ? 0o644 : 0o755,
                    modificationTime: UInt32(1_500_000_000 + index)))
        }
        let big = randomBytes(20 << 20)
        try Data(big).write(to: URL(fileURLWithPath: local + "/big.bin"))
        files.append(
            SFTPTreeEntry(
                path: "big.bin", kind: .file(size: UInt64(big.count)), permissions: 0o600, modificationTime: 7))
        for index in 0..<5 { try await sftp.createDirectory(remote + "/d\(index)", intermediate: true) }
        try "old".write(toFile: remote + "/big.bin", atomically: false, encoding: .utf8)
        chmod(remote + "/big.bin", 0o444)
        let seen = ProgressLog()
        try await session.uploadFiles(files, from: local, to: remote, replacing: true, progress: seen.record)
        for file in files {
            let path = remote + "/" + file.path
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: path))
                    == Data(contentsOf: URL(fileURLWithPath: local + "/" + file.path)),
                "\(file.path)")
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(UInt32(info.st_mode & 0o7777) == file.permissions, "\(file.path)")
            #expect(UInt32(info.st_mtim.tv_sec) == file.modificationTime, "\(file.path)")
        }
        #expect(seen.last?.filesDone == files.count)
        #expect(seen.last?.bytesDone == seen.last?.bytesTotal)
    }

    @Test func missingPathsAreNamed() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        await #expect {
            try await sftp.info(directory + "/nope")
        } throws: { error in
            guard case .sftpFailure(_, _, let path, .noSuchFile, _) = error as? SSHError else { return false }
            return path == directory + "/nope" && (error as! SSHError).description.contains("no such file")
        }
        await #expect {
            try await sftp.upload(directory + "/not-here", to: directory + "/x")
        } throws: { error in
            guard case .localFileFailure(let path, _, _) = error as? SSHError else { return false }
            return path == directory + "/not-here"
        }
        await #expect(throws: SSHError.self) { try await sftp.download(directory + "/nope", to: directory + "/y") }
        #expect(!FileManager.default.fileExists(atPath: directory + "/x"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/y"))
        #expect(leftovers(directory).isEmpty)
    }

    /// A file that grows while it is uploaded is refused; nothing is left under its name.
    @Test func localFileChangingDuringUploadIsRefused() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let local = directory + "/growing.bin"
        _ = FileManager.default.createFile(atPath: local, contents: Data(randomBytes(60_000_000)))
        let appended = Box(false)
        await #expect {
            try await sftp.upload(local, to: directory + "/remote.bin") { _ in
                guard !appended.value else { return }
                appended.value = true
                let handle = FileHandle(forWritingAtPath: local)
                _ = try? handle?.seekToEnd()
                try? handle?.write(contentsOf: Data("more".utf8))
                try? handle?.close()
            }
        } throws: { error in
            guard case .localFileFailure(let path, _, let message) = error as? SSHError else { return false }
            return path == local && message.contains("changed")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/remote.bin"))
        #expect(leftovers(directory).isEmpty)
    }

    @Test func cancelledUploadLeavesNothing() async throws {
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let local = directory + "/big.bin"
        _ = FileManager.default.createFile(atPath: local, contents: Data(randomBytes(80_000_000)))
        let started = Box(false)
        let upload = Task {
            try await sftp.upload(local, to: directory + "/remote.bin") { _ in started.value = true }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while !started.value && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        upload.cancel()
        await #expect(throws: CancellationError.self) { try await upload.value }
        #expect(!FileManager.default.fileExists(atPath: directory + "/remote.bin"))
        #expect(leftovers(directory).isEmpty)
        #expect(try await sftp.exists(directory))  // the client still works
    }

    @Test func fullAndReadOnlyRemoteDisks() async throws {
        try Power.mount.require(for: "a small and a read-only file system on the server")
        let (session, sftp, directory) = try await client()
        defer { session.close() }
        let small = directory + "/small"
        let readOnly = directory + "/readonly"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        try Shell.run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small])
        defer { _ = try? Shell.run("umount", [small]) }
        try Shell.run("mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", readOnly])
        defer { _ = try? Shell.run("umount", [readOnly]) }
        let local = directory + "/two-megabytes"
        _ = FileManager.default.createFile(atPath: local, contents: Data(randomBytes(2_000_000)))

        await #expect {
            try await sftp.upload(local, to: small + "/file")
        } throws: { error in
            guard case .sftpFailure(_, _, let path, _, _) = error as? SSHError else { return false }
            return path.hasPrefix(small)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: small).isEmpty, "partial file left behind")
        await #expect {
            try await sftp.upload(local, to: readOnly + "/file")
        } throws: { error in
            guard case .sftpFailure(_, _, let path, _, _) = error as? SSHError else { return false }
            return path.hasPrefix(readOnly)
        }
    }

    /// As an unprivileged user (root ignores file modes): a directory it may not write.
    @Test func permissionDeniedNamesThePath() async throws {
        try Power.root.require(for: "logging in as another user needs sshd running as root")
        let server = try await TestSSHD.sharedLocal()
        let user = "ptestsftp"
        _ = try? Shell.run("useradd", ["-m", "-s", "/bin/sh", user])
        // sshd refuses a locked account ("!" in shadow) even for key logins; "*" is unlocked
        // but has no password.
        try Shell.run("usermod", ["-p", "*", user])
        let session = try await SSHSession.connect(to: server.target(user: user), options: TestSSHD.options())
        defer { session.close() }
        let sftp = try await session.sftp()
        let local = try TestSSHD.makeTemporaryDirectory() + "/file"
        _ = FileManager.default.createFile(atPath: local, contents: Data("x".utf8))
        await #expect {
            try await sftp.upload(local, to: "/root/p-test-denied")
        } throws: { error in
            guard case .sftpFailure(_, _, let path, .permissionDenied, _) = error as? SSHError else { return false }
            return path.hasPrefix("/root/") && (error as! SSHError).description.contains("permission denied")
        }
        await #expect {
            try await sftp.createDirectory("/root/p-test-denied-dir")
        } throws: { error in
            guard case .sftpFailure(_, _, let path, .permissionDenied, _) = error as? SSHError else { return false }
            return path == "/root/p-test-denied-dir"
        }
    }
}

/// The progress reports a transfer made, for checking the last one.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [TransferProgress] = []  // guarded by `lock`

    var record: TransferProgressHandler { { [self] progress in lock.withLock { reports.append(progress) } } }
    var last: TransferProgress? { lock.withLock { reports.last } }
}
