import Foundation
import Testing

@testable import RemoteJobs

/// Stopping, reconciling, listing, pulling and removing jobs through the CLI.
@Suite("Controlling jobs with p", .timeLimit(.minutes(10)), .throttled)
struct JobControlTests {
    @Test(arguments: JobWorld.kinds) func stopTerminatesTheWholeProcessGroup(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "sleep 300 & sleep 301 & echo started; wait"))
        try await JobWorld.eventually("the job started its children") {
            try await world.livingProcesses(inGroup: try await world.group(of: id)).count >= 3
        }
        let group = try await world.group(of: id)
        let stopped = try await world.p("stop", String(id.prefix(8)))
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdoutText.contains("stopped"))
        #expect(try await world.livingProcesses(inGroup: group).isEmpty)
        let record = try #require(try world.records.load(id))
        guard case .stopped(let signal, let code, let ended) = record.status else {
            Issue.record("expected stopped, got \(record.status)")
            return
        }
        #expect(signal == "TERM")
        #expect(code == 143)
        #expect(ended != nil)
        let again = try await world.p("stop", id)
        #expect(again.status == 1)
        #expect(again.stderr.contains("not running"))
    }

    @Test(arguments: JobWorld.kinds) func graceEndsInKillAndSignalKillIsImmediate(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let stubborn = try JobWorld.id(try await world.p("-n", "-d", "--", "trap '' TERM; echo started; sleep 300"))
        let group = try await world.group(of: stubborn)
        try await world.waitForOutput(stubborn, "started")
        let stopped = try await world.p("stop", "--grace", "1s", stubborn)
        #expect(stopped.status == 0)
        #expect(try await world.livingProcesses(inGroup: group).isEmpty)
        guard case .stopped(_, let code, _)? = try world.records.load(stubborn)?.status else {
            Issue.record("not stopped")
            return
        }
        #expect(code == nil, "killed with its wrapper, so no exit code")

        let other = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        let otherGroup = try await world.group(of: other)
        try await world.waitForOutput(other, "started")
        let killed = try await world.p("stop", "--signal", "KILL", other)
        #expect(killed.status == 0)
        #expect(try await world.livingProcesses(inGroup: otherGroup).isEmpty)
        #expect(try world.records.load(other)?.status.name == "stopped")
    }

    @Test(arguments: JobWorld.kinds) func jobKilledOutsidePIsUnknown(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        let group = try await world.group(of: id)
        try await world.waitForOutput(id, "started")
        try await world.killOutsideP(id)
        try await JobWorld.eventually("the group is gone") { try await world.livingProcesses(inGroup: group).isEmpty }
        let listing = try await world.p("ls", "-a")
        #expect(listing.stdoutText.contains("unknown"), "\(listing.stdoutText)")
        #expect(try world.records.load(id)?.status == .unknown(reason: "the process vanished without an exit code"))
        let logs = try await world.p("logs", "-f", id)
        #expect(logs.status == 0)
        #expect(logs.stderr.contains("without an exit code"))
    }

    @Test(arguments: JobWorld.kinds) func twentyDetachedJobsAtOnceLeaveTwentyIntactRecords(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let processes = try (0..<20).map { index in try world.start("-n", "-d", "--", "echo job \(index)") }
        var ids: [String] = []
        for process in processes { ids.append(try JobWorld.id(try await process.wait())) }
        #expect(Set(ids).count == 20)
        let (records, problems) = world.records.loadAll()
        #expect(problems.isEmpty)
        #expect(Set(records.map(\.id)) == Set(ids))
        try await JobWorld.eventually("all jobs ended") {
            await world.engine().list(all: false).records.isEmpty
        }
        for (index, id) in ids.enumerated() {
            let logs = try await world.p("logs", id)
            #expect(logs.stdoutText == "job \(index)\n")
        }
    }

    @Test(arguments: JobWorld.kinds) func corruptRecordIsReportedOnceAndSkipped(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "true"))
        let corrupt = world.records.directory + "/0badbad0-0000-4000-8000-000000000000.json"
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: corrupt))
        let listing = try await world.p("ls", "-a")
        #expect(listing.status == 0)
        #expect(listing.stdoutText.contains(String(id.prefix(8))))
        #expect(listing.stderr.components(separatedBy: "0badbad0").count == 2, "reported once: \(listing.stderr)")
        let json = try await world.p("ls", "-a", "--json")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]]
        #expect(decoded?.count == 1)
        #expect(decoded?.first?["id"] as? String == id)
    }

    @Test func unreachableWorkerIsShownAndLeftAlone() async throws {
        let world = try await JobWorld.makeWithUnreachableWorker()
        let record = JobRecord(
            id: "7e57a11e-0000-4000-8000-000000000001", worker: "gone", connection: "gone", root: world.root,
            command: "make", cwd: "/src", startedAt: Date(), pid: 1)
        try world.records.save(record)
        let before = try String(contentsOfFile: world.records.path(of: record.id), encoding: .utf8)
        let listing = try await world.p("ls")
        #expect(listing.status == 0)
        #expect(listing.stdoutText.contains("unreachable"))
        #expect(listing.stderr.contains("worker 'gone' is unreachable"))
        #expect(try String(contentsOfFile: world.records.path(of: record.id), encoding: .utf8) == before)
        let json = try await world.p("ls", "--json")
        #expect(json.stdoutText.contains("\"worker_reachable\" : false"))
        let engine = world.engine()
        let listed = await engine.list()
        await engine.close()
        guard case .connection(worker: "gone", jobID: nil, let failure)? = listed.unreachable["gone"] else {
            Issue.record("the API reports the failure as a value: \(listed.unreachable)")
            return
        }
        guard case .connectionRefused(host: "127.0.0.1", _) = failure else {
            Issue.record("nothing listens on the port: \(failure)")
            return
        }
    }

    @Test(arguments: JobWorld.kinds) func pullCopiesFilesAndDirectoriesButNothingOutside(kind: WorkerKind) async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let result = try await world.p(
            "-n", "--",
            "mkdir -p out/sub && printf one > out/a.txt && printf two > out/sub/b.txt && ln -s /etc/passwd leak && head -c 200000 /dev/urandom > blob"
        )
        #expect(result.status == 0)
        let id = try #require(world.records.loadAll().records.first?.id)
        let local = world.directory + "/pulled"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let file = try await world.p("pull", id, "blob", local + "/blob.bin")
        #expect(file.status == 0, "\(file.stderr)")
        let original = try await world.onWorker("cat '\(world.root)/workdirs/\(id)/blob'").stdout
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: local + "/blob.bin"))) == original)
        let directory = try await world.p("pull", id, "out", local)
        #expect(directory.status == 0, "\(directory.stderr)")
        #expect(try String(contentsOfFile: local + "/out/a.txt", encoding: .utf8) == "one")
        #expect(try String(contentsOfFile: local + "/out/sub/b.txt", encoding: .utf8) == "two")
        for outside in ["../../jobs", "/etc/passwd", "leak", "out/../../x"] {
            let refused = try await world.p("pull", id, outside, local + "/x")
            #expect(refused.status == 1, "\(outside): \(refused.stderr)")
            #expect(refused.stderr.contains("outside the job's work directory"), "\(outside)")
        }
        let missing = try await world.p("pull", id, "nope.txt", local)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such file"))
    }

    @Test(arguments: JobWorld.kinds) func removeRefusesRunningJobsUnlessForcedAndTakesTheFiles(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let running = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        let group = try await world.group(of: running)
        try await world.waitForOutput(running, "started")
        let refused = try await world.p("rm", running)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("still running"))
        #expect(try await world.existsOnWorker(world.jobDirectory(running)))
        let forced = try await world.p("rm", "--force", running)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try await world.livingProcesses(inGroup: group).isEmpty)
        #expect(try await !world.existsOnWorker(world.jobDirectory(running)))
        #expect(try await !world.existsOnWorker(world.root + "/workdirs/" + running))
        #expect(try world.records.load(running) == nil)
        let unknownID = try await world.p("rm", "ffff")
        #expect(unknownID.status == 1)
    }

    @Test(arguments: JobWorld.kinds) func pruneRemovesFinishedJobsAndUnknownOnlyWithForce(kind: WorkerKind) async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let done = try JobWorld.id(try await world.p("-n", "-d", "--", "true"))
        let failed = try JobWorld.id(try await world.p("-n", "-d", "--", "exit 3"))
        let running = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        let vanished = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 301"))
        try await world.waitForOutput(vanished, "started")
        try await world.killOutsideP(vanished)
        try await JobWorld.eventually("the jobs ended") {
            let listing = await world.engine().list(all: true)
            return listing.records.filter(\.status.isRunning).map(\.id) == [running]
        }
        let dry = try await world.p("prune", "--dry-run")
        #expect(dry.stdoutText.contains("would remove \(done.prefix(8))"))
        #expect(dry.stdoutText.contains("would remove \(failed.prefix(8))"))
        #expect(!dry.stdoutText.contains(vanished.prefix(8)))
        #expect(world.records.loadAll().records.count == 4)
        let pruned = try await world.p("prune")
        #expect(pruned.status == 0)
        #expect(Set(world.records.loadAll().records.map(\.id)) == [running, vanished])
        #expect(try await !world.existsOnWorker(world.jobDirectory(done)))
        let forced = try await world.p("prune", "--force")
        #expect(forced.stdoutText.contains("removed \(vanished.prefix(8))"))
        #expect(world.records.loadAll().records.map(\.id) == [running])
        try await world.waitForOutput(running, "started")
        _ = try await world.p("stop", "--signal", "KILL", running)
    }
}
