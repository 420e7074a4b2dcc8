import Foundation
import Testing

@testable import RemoteJobs

/// `p pause` and `p resume` (STOP and CONT to the job's whole process group, `paused` as a
/// status), and `p stop --signal` with any signal, by name or number.
@Suite("Pausing, resuming and any signal", .timeLimit(.minutes(10)), .throttled)
struct PauseResumeTests {
    /// The size of the job's log on the worker.
    func logSize(_ world: JobWorld, _ id: String) async throws -> Int {
        Int(
            try await world.workerText("wc -c < '\(world.jobDirectory(id))/output.log'")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// A counting job stops counting while paused (its log stays the same size), shows as
    /// paused in `p ls` and the record, and counts again once resumed.
    @Test(arguments: JobWorld.kinds) func aPausedJobStopsCountingAndGoesOnWhenResumed(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p("-n", "-d", "--", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"))
        try await world.waitForOutput(id, "3")
        let paused = try await world.p("pause", id)
        #expect(paused.status == 0, "\(paused.stderr)")
        #expect(paused.stdoutText.contains("paused"), "\(paused.stdoutText)")
        let listed = try await world.p("ls", "--json")
        #expect(listed.stdoutText.contains("\"paused\""), "\(listed.stdoutText)")
        let before = try await logSize(world, id)
        // A running job writes a line every 50 ms; a paused one writes nothing in 1.5 s.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await logSize(world, id) == before, "the job went on counting while paused")
        #expect(try world.records.load(id)?.status == .paused)

        let resumed = try await world.p("resume", id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdoutText.contains("running"), "\(resumed.stdoutText)")
        try await JobWorld.eventually("the job counts again") { try await logSize(world, id) > before }

        // A paused job that is stopped gets its TERM (CONT follows it), not the KILL after
        // the grace period.
        #expect(try await world.p("pause", id).status == 0)
        let stopped = try await world.p("stop", "--grace", "30s", id)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let record = try #require(try world.records.load(id))
        #expect(record.status == .stopped(signal: "TERM", exitCode: 143, endedAt: record.status.endedAt))
        let again = try await world.p("resume", id)
        #expect(again.status == 1 && again.stderr.contains("not running"), "\(again.stderr)")
    }

    /// Time paused does not count toward `--timeout`: a job held until the test lets it go,
    /// with a 15 s limit, paused for 18 s (let go meanwhile), ends done once resumed. (Held,
    /// not timed: under load the pause could otherwise land after the job's work was done.)
    @Test(arguments: JobWorld.kinds) func timePausedDoesNotCountTowardTheTimeout(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--timeout", "15s", "--",
                "echo start; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo end"))
        try await world.waitForOutput(id, "start")
        let paused = try await world.p("pause", id)
        #expect(paused.status == 0 && paused.stdoutText.contains("paused"), "\(paused.stdoutText) \(paused.stderr)")
        try await Task.sleep(for: .seconds(18))
        try await world.letGo(id)
        let resumed = try await world.p("resume", id)
        #expect(resumed.status == 0, "\(resumed.stdoutText) \(resumed.stderr)")
        let waited = try await world.p("wait", id)
        #expect(waited.status == 0, "\(waited.stdoutText) \(waited.stderr)")
        #expect(try await world.p("logs", id).stdoutText == "start\nend\n")
    }

    /// `p stop --signal` takes any signal by name or number: a job that handles USR1 and
    /// USR2 exits as it chooses; a name that is no signal is a usage error.
    @Test(arguments: JobWorld.kinds) func stopSendsAnySignalByNameOrNumber(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let command =
            "trap 'echo got usr1; exit 3' USR1; trap 'echo got usr2; exit 4' USR2; echo ready; while :; do sleep 0.1; done"
        let first = try JobWorld.id(try await world.p("-n", "-d", "--", command))
        let second = try JobWorld.id(try await world.p("-n", "-d", "--", command))
        try await world.waitForOutput(first, "ready")
        try await world.waitForOutput(second, "ready")
        #expect(try await world.p("stop", "--signal", "SIGUSR1", first).status == 0)
        #expect(try await world.p("stop", "--signal", "12", second).status == 0)
        let one = try #require(try world.records.load(first))
        #expect(one.status == .stopped(signal: "USR1", exitCode: 3, endedAt: one.status.endedAt))
        let log = try await world.p("logs", first).stdoutText
        // The whole group gets the signal: the shell's `sleep` dies of it, and bash says so
        // ("User defined signal 1") before its trap runs, as it would under ssh.
        #expect(log.hasPrefix("ready\n") && log.hasSuffix("got usr1\n"), "\(log.debugDescription)")
        let two = try #require(try world.records.load(second))
        #expect(two.status == .stopped(signal: "USR2", exitCode: 4, endedAt: two.status.endedAt))
        let bad = try await world.p("stop", "--signal", "NOPE", first)
        #expect(bad.status != 0 && bad.stderr.contains("signal"), "\(bad.stderr)")
    }

    /// The MCP tool pauses, resumes and cancels with any signal.
    @Test(arguments: JobWorld.kinds) func theMCPToolPausesAndResumes(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let session = try await MCPSession.start(world)
        defer { Task { await session.stop() } }
        let submitted = try await session.job("submit", ["command": "echo ready; while :; do sleep 0.1; done"])
        let id = try #require(submitted.string("job_id"), "\(submitted.error ?? "")")
        try await world.waitForOutput(id, "ready")
        let paused = try await session.job("pause", ["job_id": .string(id)])
        #expect(paused.string("status_after") == "paused", "\(paused.error ?? "")")
        let listed = try await session.job("list", ["status": "paused"])
        #expect(listed.error == nil)
        let resumed = try await session.job("resume", ["job_id": .string(id)])
        #expect(resumed.string("status_after") == "running", "\(resumed.error ?? "")")
        let cancelled = try await session.job("cancel", ["job_id": .string(id), "signal": "HUP"])
        #expect(cancelled.string("signal_sent") == "HUP", "\(cancelled.error ?? "")")
        #expect(cancelled.string("status_after") == "stopped")
    }
}
