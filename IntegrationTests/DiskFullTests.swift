import Foundation
import Testing

@testable import RemoteJobs

/// A full disk on the worker: p says so, keeps what can be kept (the output written, the
/// exit code when a file name can still carry it), shows the job as failed with the reason,
/// and a launch it refuses leaves nothing behind.
@Suite("A full disk on the worker", .timeLimit(.minutes(10)), .throttled)
struct DiskFullTests {
    @Test func aLaunchRefusedForAFullDiskLeavesNothing() async throws {
        let (world, disk) = try await JobWorld.withSmallWorker("size=1m")
        defer { disk.unmount() }
        _ = try await world.onWorker("head -c 2000000 /dev/zero > '\(disk.path)/fill'")
        let result = try await world.p("small", "-n", "--", "echo should not run")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("no space left on the disk of the worker that holds \(disk.path)"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("p-end") && !result.stderr.contains("p-begin"), "\(result.stderr)")
        #expect(world.records.loadAll().records.isEmpty)
        let left = try await world.workerText(
            "ls -A '\(disk.path)/jobs' '\(disk.path)/workdirs' 2>/dev/null | grep -v ':$' | grep -v '^$' || true")
        #expect(left.isEmpty, "nothing of the job is left: \(left)")
    }

    @Test func aJobThatFillsTheDiskKeepsItsCodeAndFailsWithTheReason() async throws {
        let (world, disk) = try await JobWorld.withSmallWorker("size=1m")
        defer { disk.unmount() }
        let result = try await world.p("small", "-n", "--", "echo start; head -c 3000000 /dev/zero; exit 3")
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout.starts(with: Array("start\n".utf8)))
        #expect(result.stdout.count > 100_000 && result.stdout.count < 1_100_000, "what fit: \(result.stdout.count)")
        #expect(result.stderr.contains("[Job failed: exit 3, but the worker's disk was full"), "\(result.stderr)")
        #expect(!result.stderr.contains("p-end"), "\(result.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.status.name == "failed" && record.status.exitCode == 3)
        let listed = try await world.p("ls", "-a", "--json")
        #expect(listed.stdoutText.contains("disk was full"), "\(listed.stdoutText)")
    }

    @Test func aJobThatTakesEveryInodeFailsWithoutACode() async throws {
        let (world, disk) = try await JobWorld.withSmallWorker("size=1m,nr_inodes=40")
        defer { disk.unmount() }
        let result = try await world.p(
            "small", "-n", "--",
            "i=0; while : > f$i 2>/dev/null; do i=$((i+1)); done; echo made $i; head -c 3000000 /dev/zero; exit 5")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("[Job failed: the worker's disk is full, so its exit code could not be recorded]"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("p-end"), "\(result.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.status.name == "failed" && record.status.exitCode == nil)
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("failed [?]"), "\(listed.stdoutText)")
    }
}
