import Foundation
import Testing

@testable import RemoteJobs

/// A job that is still being prepared (its directory synced, its persistent work directory
/// awaited) is `syncing`: never pruned, removed only when named with --force, and never
/// started once removed; a p killed while preparing one strands nothing.
@Suite("Jobs being prepared", .timeLimit(.minutes(10)), .throttled)
struct PreparationTests {
    static func project(_ world: JobWorld, _ files: [String: String] = ["a.txt": "a"]) throws -> String {
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(files, under: root)
        return root
    }

    /// A job holding the persistent work directory of `root` until `go` appears there.
    static func holder(_ world: JobWorld, _ root: String) async throws -> JobRecord {
        let id = try JobWorld.id(
            try await world.p(
                "-C", root, "--reuse-workdir", "-d", "--",
                "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"))
        return try #require(try world.records.load(id))
    }

    @Test func aJobBeingPreparedIsShownKeptAndNeverStartedOnceRemoved() async throws {
        let world = try await JobWorld.make()
        let root = try Self.project(world)
        let holder = try await Self.holder(world, root)
        let waiting = try world.start("-C", root, "--reuse-workdir", "--wait", "--", "echo second")
        try await JobWorld.eventually("the second job waits") { waiting.stderrSoFar.contains("waiting for job") }
        let second = try #require(world.records.loadAll().records.first { $0.id != holder.id })
        #expect(second.status.name == "syncing")

        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains("syncing"), "\(listed.stdoutText)")
        let pruned = try await world.p("prune", "--force")
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(try world.records.load(second.id) != nil, "prune never removes a job being prepared")
        for command in ["rm", "stop"] {
            let refused = try await world.p(command, second.id)
            #expect(refused.status == 1, "\(command): \(refused.stderr)")
            #expect(refused.stderr.contains("still being prepared"), "\(command): \(refused.stderr)")
        }
        let forced = try await world.p("rm", "--force", second.id)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try world.records.load(second.id) == nil)

        _ = try await world.onWorker("touch '\(world.root)/workdirs/\(try #require(holder.sharedWorkdir))/go'")
        let ended = try await waiting.wait()
        #expect(ended.status == 1, "\(ended.stderr)")
        #expect(ended.stderr.contains("was removed while it was being prepared"), "\(ended.stderr)")
        #expect(!ended.stdoutText.contains("second"))
        #expect(try await !world.existsOnWorker(world.jobDirectory(second.id)))
        // The persistent work directory is free again.
        let next = try await world.p("-C", root, "--reuse-workdir", "--", "echo next")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdoutText == "next\n")
    }

    @Test func aPKilledWhileSyncingStrandsNothing() async throws {
        let world = try await JobWorld.make()
        // The worker `slow` is the same sshd behind a proxy that lets each connection carry
        // 4 MB from the client and then goes silent: a sync of the large file below stalls
        // halfway, after the claim, however fast this machine is.
        let proxy = try FaultProxy(targetPort: world.sshd.port, cutOffAfter: 4 << 20)
        defer { proxy.stop() }
        // The stalled connection must outlive a slow check on a loaded machine: p would
        // otherwise give up on it after its 30 s dead-peer bound and clean up by itself.
        let slow = JobWorld.hostBlock(
            name: "slow", sshd: world.sshd, port: proxy.port,
            extra: "    ServerAliveInterval 300\n    ServerAliveCountMax 10")
        try (String(contentsOfFile: world.sshConfigFile, encoding: .utf8) + slow).write(
            toFile: world.sshConfigFile, atomically: true, encoding: .utf8)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "slow", connection: "slow", root: world.root))
        }
        let root = try Self.project(world)
        let big = open(root + "/big.bin", O_WRONLY | O_CREAT, 0o644)
        ftruncate(big, 64 << 20)
        close(big)
        let syncing = try world.start("-C", root, "--reuse-workdir", "-d", "slow", "--", "echo should not run")
        var id = ""
        try await JobWorld.eventually("the job is being prepared on the worker", timeout: .seconds(90)) {
            guard let record = world.records.loadAll().records.first else { return false }
            id = record.id
            return try await world.existsOnWorker(world.jobDirectory(id) + "/preparing")
        }
        syncing.signal(SIGKILL)
        _ = try? await syncing.wait()
        #expect(try await !world.existsOnWorker(world.jobDirectory(id) + "/pid"), "killed before the job started")
        _ = try await world.onWorker("rm -f '\(world.root)'/workdirs/keep-*/big.bin")
        try FileManager.default.removeItem(atPath: root + "/big.bin")

        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("unknown"), "\(listed.stdoutText)")
        let record = try #require(try world.records.load(id))
        #expect(record.status.reason?.contains("ended before the job started") == true, "\(record.status)")
        let stop = try await world.p("stop", id)
        #expect(stop.status == 1)
        #expect(stop.stderr.contains("not running (unknown)"), "\(stop.stderr)")
        let next = try await world.p("-C", root, "--reuse-workdir", "slow", "--", "echo next")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdoutText == "next\n")
        #expect(
            next.stderr.contains("took over the persistent work directory from job \(id.prefix(8))"), "\(next.stderr)")
    }

    @Test func aClaimFromAnotherMachineHoldsWhileFreshAndLapsesWhenStale() async throws {
        let world = try await JobWorld.make()
        let root = try Self.project(world)
        let first = try await world.p("-C", root, "--reuse-workdir", "--", "true")
        #expect(first.status == 0, "\(first.stderr)")
        let name = try #require(world.records.loadAll().records.first?.sharedWorkdir)
        // Another machine's p claimed it and is syncing: its record is not here.
        let other = UUID().uuidString.lowercased()
        _ = try await world.onWorker(
            "cd '\(world.root)' && mkdir -p jobs/\(other) && date +%s > jobs/\(other)/preparing && rm -f workdirs/\(name).lock && ln -s \(other) workdirs/\(name).lock"
        )
        let refused = try await world.p("-C", root, "--reuse-workdir", "--", "echo mine")
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("is being prepared"), "\(refused.stderr)")
        // Its p went away: no heartbeat for a minute.
        _ = try await world.onWorker("echo $(( $(date +%s) - 60 )) > '\(world.root)/jobs/\(other)/preparing'")
        let taken = try await world.p("-C", root, "--reuse-workdir", "--", "echo mine")
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(taken.stdoutText == "mine\n")
        #expect(taken.stderr.contains("took over the persistent work directory from job \(other.prefix(8))"))
    }
}
