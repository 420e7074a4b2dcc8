import Foundation
import Testing

@testable import RemoteJobs

/// What goes wrong in a sync is reported clearly, and leaves no job, no record and no work
/// directory that looks complete.
@Suite("Sync with bad input", .timeLimit(.minutes(10)), .throttled)
struct SyncBadInputTests {
    /// Asserts that the failed `p` left nothing behind: no record, no job or work
    /// directory on the worker.
    static func expectNothingLeft(_ world: JobWorld) async throws {
        #expect(world.records.loadAll().records.isEmpty, "no record of a job that never started")
        let left = try await world.workerText(
            "ls -A '\(world.root)/jobs' '\(world.root)/workdirs' 2>/dev/null | grep -v ':$' | grep -v '^$' || true")
        #expect(left.isEmpty, "nothing left on the worker: \(left)")
    }

    @Test func anUnreadableFileIsNamedAndNothingStarts() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try "fine".write(toFile: root + "/fine.txt", atomically: false, encoding: .utf8)
        try "private".write(toFile: root + "/sub/secret.txt", atomically: false, encoding: .utf8)
        chmod(root + "/sub/secret.txt", 0)
        var launcher: [String] = []
        if getuid() == 0 {
            // root reads every file: the client runs as the test account, which owns the
            // client's files but not the secret.
            let account = try JobWorld.localTestAccount().user
            _ = try Shell.run("chown", ["-R", account, world.directory])
            _ = try Shell.run("chown", ["root", root + "/sub/secret.txt"])
            launcher = ["/usr/bin/setpriv", "--reuid=\(account)", "--regid=\(account)", "--init-groups"]
        }
        let result = try await PProcess(
            ["-C", root, "--", "echo should not run"], environment: world.environment, launcher: launcher
        ).wait()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot read \(root)/sub/secret.txt: Permission denied"), "\(result.stderr)")
        #expect(result.stdoutText.isEmpty)
        try await Self.expectNothingLeft(world)
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func aReadOnlyWorkerDirectoryIsReported(via: String) async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "x".write(toFile: root + "/a.txt", atomically: false, encoding: .utf8)
        _ = try await world.onWorker("mkdir -p '\(world.root)/workdirs' && chmod 500 '\(world.root)/workdirs'")
        let result = try await world.p("-C", root, "--sync-via", via, "--", "echo should not run")
        _ = try await world.onWorker("chmod 700 '\(world.root)/workdirs'")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("could not copy the directory to 'box'"), "\(result.stderr)")
        #expect(result.stderr.contains("Permission denied"), "\(result.stderr)")
        #expect(result.stdoutText.isEmpty)
        try await Self.expectNothingLeft(world)
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func aFullWorkerDiskIsReportedAndCleanedUp(via: String) async throws {
        let (world, disk) = try await JobWorld.withSmallWorker("size=1m")
        defer { disk.unmount() }
        let small = disk.path
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for index in 0..<80 {
            try Data(repeating: UInt8(index), count: 64 * 1024).write(to: URL(fileURLWithPath: root + "/f\(index).bin"))
        }
        let result = try await world.p("small", "-C", root, "--sync-via", via, "--", "echo should not run")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("could not copy the directory to 'small'"), "\(result.stderr)")
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
        #expect(world.records.loadAll().records.isEmpty)
        let used = try await world.workerText("du -sk '\(small)' | cut -f1")
        #expect(Int(used.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 999 < 64, "the partial copy is removed")
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func aFileThatChangesWhileItIsCopiedFailsTheSync(via: String) async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data(count: 256 * 1024).write(to: URL(fileURLWithPath: root + "/grows.dat"))
        for index in 0..<100 { try "\(index)".write(toFile: root + "/f\(index)", atomically: false, encoding: .utf8) }
        let writer = Appender(path: root + "/grows.dat")
        writer.start()
        let result = try await world.p("-C", root, "--sync-via", via, "--", "echo should not run")
        writer.stop()
        #expect(result.status == 1, "\(result.stderr)")
        // p's own check after the copy, or the SFTP reader noticing first.
        #expect(
            result.stderr.contains("grows.dat changed while it was being copied")
                || result.stderr.contains("grows.dat failed while uploading: the file changed while it was being read"),
            "\(result.stderr)")
        #expect(result.stdoutText.isEmpty)
        try await Self.expectNothingLeft(world)
    }

    @Test func aHundredThousandFiles() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        for directory in 0..<100 {
            let path = root + "/d\(directory)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in 0..<1000 {
                let descriptor = open(path + "/f\(file)", O_WRONLY | O_CREAT, 0o644)
                _ = "\(directory)/\(file)".withCString { write(descriptor, $0, strlen($0)) }
                close(descriptor)
            }
        }
        let result = try await world.p(
            arguments: ["-C", root, "-v", "--", "find . -type f | wc -l; cat d99/f999"], timeout: .seconds(240))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "100000\n99/999")
        #expect(result.stderr.contains("synced 100100 entries"), "\(result.stderr)")
    }
}

/// Appends to a file from a thread of its own until stopped.
final class Appender: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var running = true  // guarded by `lock`

    init(path: String) { self.path = path }

    func start() {
        Thread.detachNewThread { [self] in
            let descriptor = open(path, O_WRONLY | O_APPEND)
            let chunk = [UInt8](repeating: 0x41, count: 512)
            while lock.withLock({ running }) {
                _ = write(descriptor, chunk, chunk.count)
                usleep(2000)
            }
            close(descriptor)
        }
    }

    func stop() { lock.withLock { running = false } }
}
