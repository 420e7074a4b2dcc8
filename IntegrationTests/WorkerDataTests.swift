import Foundation
import Testing

@testable import RemoteJobs

/// Whatever a job writes into its own files, and whatever a worker prints, p never crashes,
/// never strands a job without a record, and never signals a process that is not the job's.
@Suite("Worker data never crashes p", .timeLimit(.minutes(10)), .throttled)
struct WorkerDataTests {
    /// A job command that waits for `go`, then writes `value` into its own `ended_at` and
    /// makes it read-only, so the wrapper's own write fails and the value stays.
    static func overwriteEndTime(_ value: String) -> String {
        "J=\"$PWD/../../jobs/${PWD##*/}\"; echo phase1; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo '\(value)' > \"$J/ended_at\"; chmod 444 \"$J/ended_at\"; exit 3"
    }

    @Test(arguments: ["1e300", "99999999999999999999", "-5", "nan"])
    func aBadEndTimeIsNeverFatal(value: String) async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", Self.overwriteEndTime(value)))
        try await world.waitForOutput(id, "phase1")
        try await world.letGo(id)
        try await JobWorld.eventually("the job ended") {
            try await world.existsOnWorker(world.jobDirectory(id) + "/exitcode")
        }
        #expect(try await world.workerText("cat '\(world.jobDirectory(id))/ended_at'") == value)
        for arguments in [["ls"], ["ls", "-a"], ["ls", "-a", "--json"], ["logs", id]] {
            let result = try await world.p(arguments: arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(arguments): \(result.stderr)")
        }
        let waited = try await world.p("wait", id)
        #expect(waited.status == 3, "\(waited.stderr)")
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("failed [3]"), "\(listed.stdoutText)")
        let record = try #require(try world.records.load(id))
        #expect(record.status == .failed(exitCode: 3, endedAt: nil), "a bad end time reads as unknown")
        #expect(try await world.p("rm", id).status == 0)
        #expect(try await world.p("prune", "--force").status == 0)
    }

    @Test func aRewrittenPidFileNeverAimsStopAtAnotherProcess() async throws {
        let world = try await JobWorld.make()
        let sentinel = try JobWorld.id(try await world.p("-n", "-d", "--", "echo alive; sleep 300"))
        try await world.waitForOutput(sentinel, "alive")
        let sentinelGroup = try await world.group(of: sentinel)
        // The hostile job writes the sentinel's pid into its own pid file, so a `p stop`
        // that trusted the file would kill the sentinel's whole process group.
        let hostile = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--",
                "echo \(sentinelGroup) > \"$PWD/../../jobs/${PWD##*/}/pid\"; echo planted; sleep 300"))
        try await world.waitForOutput(hostile, "planted")
        let hostileGroup = try #require(try world.records.load(hostile)?.pid)
        let stopped = try await world.p("stop", "--grace", "2", hostile)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try await world.livingProcesses(inGroup: String(hostileGroup)).isEmpty, "the job itself stopped")
        #expect(!(try await world.livingProcesses(inGroup: sentinelGroup)).isEmpty, "the other job lives on")
        let status = try await world.p("ls")
        #expect(status.stdoutText.contains(String(sentinel.prefix(8))))
        #expect(try await world.p("stop", "--signal", "KILL", sentinel).status == 0)
    }

    @Test func durationsTooLargeOrRepeatedAreUsageErrors() async throws {
        let world = try await JobWorld.make()
        for value in ["1e300", "1h1h", "99999999999999999999d", "inf"] {
            let timeout = try await world.p("-n", "--timeout", value, "--", "true")
            #expect(timeout.status == 1, "\(value): \(timeout.stderr)")
            #expect(timeout.stderr.contains("--timeout"), "\(value): \(timeout.stderr)")
            #expect(!timeout.stderr.contains("Fatal error"))
            let grace = try await world.p("stop", "--grace", value, "abcd")
            #expect(grace.status == 1, "\(value): \(grace.stderr)")
        }
        #expect(world.records.loadAll().records.isEmpty)
    }

    @Test func theJobsVariablesNeverReachPsOwnSteps() async throws {
        let world = try await JobWorld.make()
        let result = try await world.p(
            "-n", "-e", "PATH=/opt/no-such-tool/bin", "-e", "SHELL=/bin/false", "-e", "IFS=x", "--",
            "echo \"$PATH\"; exit 4")
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stdoutText == "/opt/no-such-tool/bin\n")
        #expect(result.stderr.contains("[Job done: exit 4]"), "\(result.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.status == .failed(exitCode: 4, endedAt: record.status.endedAt))
        let logs = try await world.p("logs", record.id)
        #expect(logs.stdoutText == "/opt/no-such-tool/bin\n")
    }
}
