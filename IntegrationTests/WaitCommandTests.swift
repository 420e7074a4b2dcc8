import Foundation
import Testing

@testable import RemoteJobs

/// `p wait <id>...`: blocks until the jobs end; exits with the first failure's code, or 124
/// when `--timeout` ends the wait.
@Suite("Waiting for jobs", .timeLimit(.minutes(10)), .throttled)
struct WaitCommandTests {
    @Test(arguments: JobWorld.kinds) func exitsWithTheFirstFailureAndHonoursTheTimeout(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let succeeds = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; exit 0"))
        let fails = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; exit 3"))
        let quick = try JobWorld.id(try await world.p("-n", "-d", "--", "exit 0"))

        let early = try await world.p("wait", "--timeout", "1s", succeeds, fails)
        #expect(early.status == 124, "\(early.stderr)")
        #expect(early.stderr.contains("still running: \(succeeds.prefix(8)), \(fails.prefix(8))"), "\(early.stderr)")
        #expect(try world.records.load(fails)?.status.isRunning == true, "the jobs are not stopped")

        let waiting = try world.start("wait", String(succeeds.prefix(6)), fails, quick)
        try await world.letGo(succeeds)
        try await world.letGo(fails)
        let all = try await waiting.wait()
        #expect(all.status == 3, "\(all.stderr)")
        let lines = Set(all.stdoutText.split(separator: "\n").map(String.init))
        #expect(lines == ["\(succeeds.prefix(8))  done", "\(fails.prefix(8))  failed [3]", "\(quick.prefix(8))  done"])

        #expect(try await world.p("wait", quick, succeeds).status == 0)
        let unknown = try await world.p("wait", "ffffffff")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no job has an id starting with 'ffffffff'"))
    }
}

/// `p watch` against a real sshd: a line per change, JSON Lines, ending when the jobs end.
@Suite("p watch", .timeLimit(.minutes(10)), .throttled)
struct WatchCommandTests {
    @Test func watchPrintsEachChangeAndEndsWhenTheJobsEnd() async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", Self.held + "; exit 3"))
        let watch = try world.start("watch", "--json", id)
        try await watch.waitForOutput("\"running\"", timeout: .seconds(60))
        try await world.letGo(id)
        let watched = try await watch.wait(timeout: .seconds(60))
        #expect(watched.status == 0, "\(watched.stderr)")
        let lines = try watched.stdoutText.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(lines.first?["event"] as? String == "status" && lines.first?["status"] as? String == "running")
        #expect(lines.last?["event"] as? String == "changed" && lines.last?["status"] as? String == "failed")
        #expect(lines.last?["exit_code"] as? Int == 3, "\(watched.stdoutText)")
        #expect(lines.allSatisfy { $0["job_id"] as? String == id })

        let array = try await world.p("-n", "-d", "--each", "a", "b", "--", "sleep 0.5")
        let arrayID = array.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let human = try await world.p("watch", String(arrayID.prefix(8)), timeout: .seconds(60))
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdoutText.contains("\(arrayID.prefix(8)):1  done"), "\(human.stdoutText)")
        #expect(human.stdoutText.contains("\(arrayID.prefix(8)):2  done"), "\(human.stdoutText)")
        let none = try await world.p("watch")
        #expect(none.status != 0 && none.stderr.contains("or --all"), "\(none.stderr)")
    }

    /// A command that runs until the test lets it go (`JobWorld.letGo`), however loaded the
    /// machine is.
    static let held = "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    /// `--output`: each line tagged with its job and its offset, the end after the last line
    /// (also the last line without a newline), and for a job that had ended already.
    @Test func outputLinesComeTaggedAndBeforeTheEnd() async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(
            try await world.p("-n", "-d", "--", "echo one; sleep 0.3; printf 'two\\nthree'; sleep 0.3; exit 2"))
        let watched = try await world.p("watch", "--json", "--output", id, timeout: .seconds(60))
        #expect(watched.status == 0, "\(watched.stderr)")
        let lines = try Self.jsonLines(watched.stdoutText)
        let output = lines.filter { $0["event"] as? String == "output" }
        #expect(output.map { $0["line"] as? String } == ["one", "two", "three"], "\(watched.stdoutText)")
        #expect(output.map { $0["offset"] as? Int } == [0, 4, 8])
        #expect(lines.last?["status"] as? String == "failed" && lines.last?["exit_code"] as? Int == 2)
        #expect(lines.filter { $0["exit_code"] != nil }.count == 1, "the end once: \(watched.stdoutText)")

        // Ended before the watch began: its output, then its status, once.
        let again = try await world.p("watch", "--output", id, timeout: .seconds(60))
        let short = String(id.prefix(8))
        #expect(again.stdoutText == "\(short)| one\n\(short)| two\n\(short)| three\n\(short)  failed [2]\n")
    }

    /// `@LABEL --until-done`: the jobs on the label's workers, ended when none runs.
    @Test func aLabelWatchesItsWorkersJobs() async throws {
        let world = try await JobWorld.make()
        let labelled = try await world.p("worker", "set", "box", "--label", "gpu")
        #expect(labelled.status == 0, "\(labelled.stderr)")
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", Self.held))
        let watch = try world.start("watch", "--json", "--until-done", "@gpu")
        try await watch.waitForOutput("\"running\"", timeout: .seconds(60))
        try await world.letGo(id)
        let watched = try await watch.wait(timeout: .seconds(60))
        #expect(watched.status == 0, "\(watched.stderr)")
        let lines = try Self.jsonLines(watched.stdoutText)
        #expect(lines.first?["job_id"] as? String == id && lines.first?["status"] as? String == "running")
        #expect(lines.last?["status"] as? String == "done", "\(watched.stdoutText)")

        // --all with nothing running: a job started later is found and followed to its end.
        let all = try world.start("watch", "--all", "--json")
        let later = try JobWorld.id(try await world.p("-n", "-d", "--", Self.held + "; exit 6"))
        try await all.waitForOutput("\"job_id\":\"\(later)\"", timeout: .seconds(60))
        try await world.letGo(later)
        try await all.waitForOutput("\"exit_code\":6", timeout: .seconds(60))
        all.signal(SIGINT)
        let interrupted = try await all.wait(timeout: .seconds(30))
        #expect(interrupted.status == 130, "\(interrupted.status) \(interrupted.stderr)")
        let unknown = try await world.p("watch", "@nothing")
        #expect(unknown.status != 0 && unknown.stderr.contains("No worker carries the label"), "\(unknown.stderr)")
    }

    /// A job still being prepared (its directory syncing through a slow link) when the watch
    /// begins: the watch sees it start and end (a watch that kept its record from before the
    /// start never asked the worker about it).
    @Test func aJobBeingPreparedIsWatchedToItsEnd() async throws {
        let sshd = try await TestSSHD.shared()
        let proxy = try FaultProxy(targetPort: sshd.port, clientBytesPerSecond: 2 << 20)
        defer { proxy.stop() }
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(name: "slow", sshd: sshd, port: proxy.port))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "slow", connection: "slow", root: world.root))
        }
        let directory = try TestSSHD.makeTemporaryDirectory()
        FileManager.default.createFile(
            atPath: directory + "/data.bin", contents: Data((0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        )
        let submit = try world.start("slow", "-d", "-C", directory, "--", "exit 6")
        var id = ""
        try await JobWorld.eventually("the job's record, being prepared", timeout: .seconds(60)) {
            guard let record = try world.records.loadAll().records.first else { return false }
            id = record.id
            return record.status.name == "syncing"
        }
        let watched = try await world.p("watch", "--json", id, timeout: .seconds(120))
        #expect(watched.status == 0, "\(watched.stderr)")
        let lines = try Self.jsonLines(watched.stdoutText)
        #expect(lines.first?["status"] as? String == "syncing", "\(watched.stdoutText)")
        #expect(lines.last?["status"] as? String == "failed" && lines.last?["exit_code"] as? Int == 6)
        #expect(try await submit.wait(timeout: .seconds(60)).status == 0)
    }

    /// A reset of the watch's connection mid-job: it reconnects, and every line of output and
    /// the end come exactly once.
    @Test func aResetConnectionLosesAndRepeatsNothing() async throws {
        let sshd = try await TestSSHD.shared()
        let proxy = try FaultProxy(targetPort: sshd.port)
        defer { proxy.stop() }
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(name: "flaky", sshd: sshd, port: proxy.port))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "flaky", connection: "flaky", root: world.root))
        }
        let id = try JobWorld.id(try await world.p("flaky", "-n", "-d", "--", JobFaultTests.counting + "; exit 5"))
        let watch = try world.start("watch", "--json", "--output", id)
        try await watch.waitForOutput("\"line 3\"", timeout: .seconds(60))
        let before = proxy.accepted
        proxy.resetAll()
        try await world.letGo(id)
        let watched = try await watch.wait(timeout: .seconds(90))
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(proxy.accepted > before, "the watch connected again")
        let lines = try Self.jsonLines(watched.stdoutText)
        let output = lines.filter { $0["event"] as? String == "output" }.compactMap { $0["line"] as? String }
        #expect(output.map { $0 + "\n" }.joined() == JobFaultTests.expected, "\(watched.stdoutText)")
        #expect(lines.filter { $0["exit_code"] != nil }.count == 1)
        #expect(lines.last?["status"] as? String == "failed" && lines.last?["exit_code"] as? Int == 5)
    }
}
