import Foundation
import Testing

@testable import RemoteJobs

/// Ctrl+C ends p promptly at any stage, even against a worker that has gone silent, and a
/// job that never started leaves no record behind.
@Suite("Ctrl+C against a silent worker", .timeLimit(.minutes(10)), .throttled)
struct InterruptTests {
    /// A world with the worker `silent` behind a proxy, and the proxy.
    static func world() async throws -> (JobWorld, FaultProxy) {
        let sshd = try await TestSSHD.shared()
        let proxy = try FaultProxy(targetPort: sshd.port)
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(name: "silent", sshd: sshd, port: proxy.port))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "silent", connection: "silent", root: world.root))
        }
        return (world, proxy)
    }

    /// The worker answers TCP but never says a word of SSH: p waits in the handshake (for up
    /// to 20 s) until Ctrl+C, which must end it at once, as an interruption (130), not a
    /// timeout (255).
    @Test(arguments: [false, true])
    func ctrlCWhileConnectingEndsPAndLeavesNoRecord(detach: Bool) async throws {
        let (world, proxy) = try await Self.world()
        defer { proxy.stop() }
        proxy.blackhole()
        let process = try world.start(arguments: ["silent", "-n"] + (detach ? ["-d"] : []) + ["--", "echo never"])
        try await JobWorld.eventually("p connected to the worker") { proxy.accepted > 0 }
        process.signal(SIGINT)
        let result = try await process.wait(timeout: .seconds(10))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(
            result.stderr.contains("Interrupted before the job started; nothing was left behind"), "\(result.stderr)")
        #expect(world.records.loadAll().records.isEmpty)
    }

    /// The worker goes silent while the directory is being copied.
    @Test func ctrlCWhileSyncingToASilentWorkerEndsP() async throws {
        let (world, proxy) = try await Self.world()
        defer { proxy.stop() }
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let big = open(root + "/big.bin", O_WRONLY | O_CREAT, 0o644)
        ftruncate(big, 1 << 30)
        close(big)
        let process = try world.start(arguments: ["silent", "-C", root, "--", "echo never"])
        var id = ""
        try await JobWorld.eventually("the copy is under way") {
            guard let record = world.records.loadAll().records.first else { return false }
            id = record.id
            let copied = try await world.workerText("du -sk '\(world.root)/workdirs/\(id)' 2>/dev/null | cut -f1")
            return (Int(copied) ?? 0) > 1024
        }
        proxy.blackhole()
        process.signal(SIGINT)
        let result = try await process.wait(timeout: .seconds(10))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(world.records.loadAll().records.isEmpty, "the job never started: no record")
    }
}

/// Output that nobody reads (a paused pager, a full pipe) holds up p's output, but never a
/// thread of Swift's cooperative pool, and Ctrl+C still ends p.
@Suite("Ctrl+C while the output is held up", .timeLimit(.minutes(10)), .throttled)
struct HeldOutputTests {
    @Test func ctrlCEndsPWhoseStdoutNobodyReads() async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(
            try await world.p("-n", "-d", "--", "head -c 1000000 /dev/zero | tr '\\0' x; echo; sleep 300"))
        // A FIFO this test holds open and never reads: after 64 KB, p's writes wait.
        let fifo = world.directory + "/stdout.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let process = try PProcess(["logs", "-f", id], environment: world.environment, stdout: fifo)
        // Up to a minute: under CI's load (every suite at once), a megabyte through a
        // follow and a full pipe once took longer than the usual 20 s.
        try await JobWorld.eventually("the pipe is full", timeout: .seconds(60)) {
            var available: Int32 = 0
            return ioctl(reader, UInt(FIONREAD), &available) == 0 && available >= 65536
        }
        process.signal(SIGINT)
        let result = try await process.wait(timeout: .seconds(10))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(try await world.p("stop", "--signal", "KILL", id).status == 0)
    }
}
