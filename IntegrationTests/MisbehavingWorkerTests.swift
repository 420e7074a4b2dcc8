import Foundation
import Testing

@testable import RemoteJobs

/// Workers whose clock is wrong or prints garbage, whose login files print lines that look
/// like p's protocol, or whose p root goes away for a while: p keeps every job recorded, its
/// output exact and its status right.
@Suite("A worker that misbehaves", .timeLimit(.minutes(10)), .throttled)
struct MisbehavingWorkerTests {
    /// A world on a private sshd whose sessions get `environment` (sshd's `SetEnv`), with
    /// `date` replaced by `fakeDate` (a shell script body) when given.
    static func world(fakeDate: String? = nil, environment: [String: String] = [:]) async throws -> JobWorld {
        let directory = try TestSSHD.makeTemporaryDirectory()
        chmod(directory, 0o755)
        var settings = environment
        if let fakeDate {
            let bin = directory + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try "#!/bin/sh\n\(fakeDate)\n".write(toFile: bin + "/date", atomically: true, encoding: .utf8)
            chmod(bin, 0o755)
            chmod(bin + "/date", 0o755)
            settings["PATH"] = bin + ":/usr/local/bin:/usr/bin:/bin"
        }
        let line = "SetEnv " + settings.map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        let sshd = try TestSSHD.start(options: settings.isEmpty ? [] : [line])
        return try await JobWorld.make(sshd: sshd)
    }

    @Test func aWorkerClockTwoHoursAheadShowsTrueDurations() async throws {
        let world = try await Self.world(
            fakeDate: #"if [ "$1" = +%s ]; then echo $(( $(/bin/date +%s) + 7200 )); else exec /bin/date "$@"; fi"#)
        defer { world.sshd.stop() }
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "sleep 600"))
        let workerStart = try await world.workerText("cat '\(world.jobDirectory(id))/started_at'")
        #expect(Double(workerStart).map { $0 > Date().timeIntervalSince1970 + 7000 } == true, "\(workerStart)")
        let listed = try await world.p("ls")
        let row = try #require(listed.stdoutText.split(separator: "\n").first { $0.hasPrefix(id.prefix(8)) })
        let shown = try #require(row.split(separator: " ").last)
        #expect(shown.hasSuffix("s") && !shown.contains("h"), "seconds or minutes old, not two hours: \(row)")
        let record = try #require(try world.records.load(id))
        let started = try #require(record.startedAt)
        #expect(started.timeIntervalSince(record.submittedAt) < 60, "the start is on the client's clock")
        #expect(try await world.p("stop", "--signal", "KILL", id).status == 0)

        let short = try await world.p("-n", "--", "sleep 1; echo done")
        #expect(short.status == 0, "\(short.stderr)")
        let ended = try #require(world.records.loadAll().records.first { $0.command.hasPrefix("sleep 1") })
        let duration = try #require(ended.duration())
        #expect(duration >= 0 && duration < 5, "\(duration)")
        let end = try #require(ended.status.endedAt)
        #expect(end.timeIntervalSince(ended.submittedAt) < 60, "the end is on the client's clock")
    }

    @Test func aWorkerClockPrintingGarbageLosesNoJob() async throws {
        let world = try await Self.world(fakeDate: "echo garbage")
        defer { world.sshd.stop() }
        let result = try await world.p("-n", "--", "echo hi")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "hi\n")
        let detached = try JobWorld.id(try await world.p("-n", "-d", "--", "sleep 600"))
        #expect(try await world.workerText("cat '\(world.jobDirectory(detached))/started_at'") == "garbage")
        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains(String(detached.prefix(8))), "a running job keeps its record")
        #expect(listed.stdoutText.contains("running"))
        #expect(try await world.p("stop", "--signal", "KILL", detached).status == 0)
        let all = world.records.loadAll().records
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.startedAt != nil })
    }

    @Test func aLoginFileThatPrintsProtocolLinesConfusesNothing() async throws {
        // sshd runs every command through the login shell, and bash then reads ~/.bashrc:
        // an account of the tests' own whose .bashrc prints what looks like p's protocol.
        try Power.root.require(for: "an account of the tests' own with a noisy .bashrc")
        let account = try JobWorld.localTestAccount("ptestnoisy")
        try """
        echo "p-begin x"; echo "job aaaa 0 0 - - -"; echo "boot fake"; echo "p-log-begin"
        echo "p-end 5 0 0 - - -" >&2; echo "p-end 5 0 0 - - - -" >&2; echo "p-end missing" >&2
        echo "p-start 1 1 -" >&2; echo "p-begin y" >&2

        """.write(toFile: account.home + "/.bashrc", atomically: true, encoding: .utf8)
        chmod(account.home + "/.bashrc", 0o644)
        let world = try await JobWorld.make(sshd: try await TestSSHD.sharedLocal(), login: account)
        let noise = try await world.onWorker("true")
        #expect(noise.stderrText.contains("p-end missing"), "the login file runs: \(noise.stderrText)")
        // The job's own shell reads the login file too (as under `ssh host words`), so its
        // lines open the job's output; p's protocol must not take them for its own.
        let result = try await world.p("-n", "--", "echo hi; exit 3")
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdoutText.hasPrefix("p-begin x\n") && result.stdoutText.hasSuffix("p-begin y\nhi\n"))
        let first = try #require(world.records.loadAll().records.first)
        #expect(try await world.p("logs", first.id).stdout == result.stdout, "streamed and stored output agree")
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "sleep 0.5; echo later"))
        let waited = try await world.p("wait", id)
        #expect(waited.status == 0, "\(waited.stderr)")
        let logs = try await world.p("logs", id)
        #expect(logs.stdoutText.hasSuffix("p-begin y\nlater\n"))
        let tail = try await world.p("logs", "--tail", "1", id)
        #expect(tail.stdoutText == "later\n")
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("failed [3]") && listed.stdoutText.contains("done"), "\(listed.stdoutText)")
        #expect(!listed.stdoutText.contains("unknown"))
        // A program polling (as p mcp does) goes through the long-lived poll server.
        let engine = world.engine()
        let poll = try await engine.poll(id, since: 0)
        #expect(poll.chunk == logs.stdout)
        #expect(poll.record.status == .done(endedAt: poll.record.status.endedAt))
        await engine.close()
    }

    @Test func anUnknownJobWhoseFilesComeBackIsSettled() async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--",
                "echo phase1; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo finished"))
        try await world.waitForOutput(id, "phase1")
        _ = try await world.onWorker("mv '\(world.root)' '\(world.root).away'")
        let gone = try await world.p("ls", "-a")
        #expect(gone.stdoutText.contains("unknown"), "\(gone.stdoutText)")
        #expect(try world.records.load(id)?.status.name == "unknown")
        _ = try await world.onWorker("mv '\(world.root).away' '\(world.root)'")
        // Back and still running: `p ls` shows it again.
        let back = try await world.p("ls")
        #expect(back.stdoutText.contains(String(id.prefix(8))) && back.stdoutText.contains("running"))
        try await world.letGo(id)
        let waited = try await world.p("wait", id)
        #expect(waited.status == 0, "\(waited.stderr)")
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("done"), "\(listed.stdoutText)")
        #expect(try await world.p("logs", id).stdoutText == "phase1\nfinished\n")
    }
}
