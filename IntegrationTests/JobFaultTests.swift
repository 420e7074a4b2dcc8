import Foundation
import Testing

@testable import RemoteJobs

/// Jobs outlive the network and the SSH server; their output is never lost.
@Suite("Jobs through network and server failures", .timeLimit(.minutes(10)), .throttled)
struct JobFaultTests {
    /// Prints three lines, waits for a `go` file in its workdir (created once the test has
    /// cut the connection, so the cut always falls mid-job), then prints the rest.
    static let counting =
        "echo started; for i in $(seq 1 40); do echo line $i; if [ $i = 3 ]; then n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; fi; done; echo finished"

    static func letItFinish(_ world: JobWorld) async throws {
        let id = try #require(world.records.loadAll().records.first?.id)
        try await world.letGo(id)
    }
    static let expected = "started\n" + (1...40).map { "line \($0)\n" }.joined() + "finished\n"

    @Test func networkCutMidStreamLosesNothing() async throws {
        let sshd = try await TestSSHD.shared()
        let proxy = try FaultProxy(targetPort: sshd.port)
        defer { proxy.stop() }
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(
                name: "flaky", sshd: sshd, port: proxy.port,
                extra: "    ServerAliveInterval 1\n    ServerAliveCountMax 2"))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "flaky", connection: "flaky", root: world.root))
        }
        let process = try world.start("flaky", "-n", "--", Self.counting)
        try await process.waitForOutput("line 3\n", timeout: .seconds(90))
        proxy.blackhole()
        let cut = try await process.wait(timeout: .seconds(30))
        try await Self.letItFinish(world)
        #expect(cut.status == 255, "\(cut.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(cut.stderr.contains(record.shortID), "the error names the job: \(cut.stderr)")
        #expect(cut.stderr.contains("p logs -f"))
        #expect(record.resumeOffset == UInt64(cut.stdout.count))
        // The network comes back (here: the worker is reached directly).
        try await world.store.update { config throws(RemoteJobsError) in
            try config.remove("flaky")
            try config.register(Worker(name: "flaky", connection: "worker", root: world.root))
        }
        let resumed = try await world.p("logs", "-f", record.id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(String(decoding: cut.stdout + resumed.stdout, as: UTF8.self) == Self.expected)
        #expect(try world.records.load(record.id)?.status.name == "done")
        let whole = try await world.p("logs", record.id)
        #expect(whole.stdoutText == Self.expected)
    }

    @Test func sshdRestartMidJobLosesNothing() async throws {
        let sshd = try TestSSHD.start()
        defer { sshd.stop() }
        let world = try await JobWorld.make(sshd: sshd)
        let process = try world.start("-n", "--", Self.counting)
        try await process.waitForOutput("line 3\n", timeout: .seconds(90))
        try sshd.restart()
        let cut = try await process.wait(timeout: .seconds(40))
        try await Self.letItFinish(world)
        #expect(cut.status == 255, "\(cut.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(cut.stderr.contains(record.shortID))
        let resumed = try await world.p("logs", "-f", record.id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(String(decoding: cut.stdout + resumed.stdout, as: UTF8.self) == Self.expected)
        #expect(
            try world.records.load(record.id)?.status
                == .done(endedAt: try world.records.load(record.id)?.status.endedAt))
    }

    @Test func unreachableWorkerFailsFastWithExit255() async throws {
        let world = try await JobWorld.makeWithUnreachableWorker()
        let result = try await world.p("gone", "-n", "--", "true")
        #expect(result.status == 255)
        #expect(result.stderr.contains("refused"))
        #expect(world.records.loadAll().records.isEmpty, "a job that never started leaves no record")
    }
}
