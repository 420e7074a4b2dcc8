import Foundation
import MCP
import Testing

@testable import RemoteJobs

/// "Nothing lost": every status walked through every path that removes jobs (`p prune`, `p
/// prune --force`, `p rm`, `p worker rm`, the Swift API, the MCP server's retention sweep).
/// Only a job that ended goes without `--force`; one that may still run, is being
/// prepared, or whose `--on-end` command still runs keeps its record and its files.
@Suite("What may be removed, by status", .timeLimit(.minutes(10)), .throttled)
struct RemovalRuleTests {
    /// One job in each status, on two workers of one world: `box` (one slot, so a second
    /// job queues) and `free` (no slots).
    struct Zoo {
        let world: JobWorld
        /// Job ids by the status they were brought to.
        var ids: [String: String] = [:]
        /// Processes of p this zoo started (the preparing one).
        var processes: [PProcess] = []
        /// Work directories whose jobs wait for a `go` file.
        var held: [String] = []

        static let all = ["syncing", "queued", "running", "paused", "ending", "unknown", "done", "failed", "stopped"]
        /// What `p prune` removes; `p prune --force` adds `unknown`.
        static let ended: Set<String> = ["done", "failed", "stopped"]

        static let hold = "echo up; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"

        static func make(_ world: JobWorld) async throws -> Zoo {
            try await world.store.update { config throws(RemoteJobsError) in
                try config.register(Worker(name: "free", connection: "worker", root: world.root + "-free"))
                try config.change("box", slots: 1)
            }
            var zoo = Zoo(world: world)
            // On `box`: one job holds the only slot, the next one waits in the queue.
            let running = try JobWorld.id(try await world.p("box", "-n", "-d", "--", hold))
            zoo.ids["running"] = running
            zoo.held.append(world.root + "/workdirs/" + running)
            try await world.waitForOutput(running, "up")
            zoo.ids["queued"] = try JobWorld.id(try await world.p("box", "-n", "-d", "--", "echo queued ran"))
            // On `free`: paused, ended with its --on-end command still running, unknown, ended.
            let paused = try JobWorld.id(try await world.p("free", "-n", "-d", "--", hold))
            zoo.held.append(world.root + "-free/workdirs/" + paused)
            try await Self.waitForOutput(world, root: world.root + "-free", paused, "up")
            #expect(try await world.p("pause", paused).status == 0)
            zoo.ids["paused"] = paused
            let ending = try JobWorld.id(
                try await world.p(
                    "free", "-n", "-d", "--on-end",
                    "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done", "--", "true"))
            zoo.held.append(world.root + "-free/workdirs/" + ending)
            #expect(try await world.p("wait", ending).status == 0)
            zoo.ids["ending"] = ending
            let lost = try JobWorld.id(try await world.p("free", "-n", "-d", "--", hold))
            try await Self.waitForOutput(world, root: world.root + "-free", lost, "up")
            let group = try await world.workerText("cat '\(world.root)-free/jobs/\(lost)/pid'")
            _ = try await world.onWorker("kill -KILL -\(group)")
            zoo.ids["unknown"] = lost
            zoo.ids["done"] = try JobWorld.id(try await world.p("free", "-n", "-d", "--", "true"))
            zoo.ids["failed"] = try JobWorld.id(try await world.p("free", "-n", "-d", "--", "exit 3"))
            let stopped = try JobWorld.id(try await world.p("free", "-n", "-d", "--", hold))
            zoo.held.append(world.root + "-free/workdirs/" + stopped)
            try await Self.waitForOutput(world, root: world.root + "-free", stopped, "up")
            #expect(try await world.p("stop", stopped).status == 0)
            zoo.ids["stopped"] = stopped
            for id in [zoo.ids["done"]!, zoo.ids["failed"]!] { _ = try await world.p("wait", id) }
            // Being prepared: a p that waits for the persistent work directory another job holds.
            let project = world.directory + "/project"
            try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
            try "x".write(toFile: project + "/file", atomically: false, encoding: .utf8)
            let holder = try JobWorld.id(try await world.p("free", "-C", project, "--reuse-workdir", "-d", "--", hold))
            let shared = try #require(try world.records.load(holder)?.sharedWorkdir)
            zoo.held.append(world.root + "-free/workdirs/" + shared)
            zoo.ids["holder"] = holder
            let preparing = try world.start(
                arguments: ["free", "-C", project, "--reuse-workdir", "--wait", "-d", "--", "echo prepared ran"])
            zoo.processes.append(preparing)
            try await JobWorld.eventually("a job is being prepared") {
                try world.records.loadAll().records.contains { record in
                    if case .syncing = record.status { return true } else { return false }
                }
            }
            zoo.ids["syncing"] =
                try world.records.loadAll().records.first { record in
                    if case .syncing = record.status { return true } else { return false }
                }!.id
            // Every status is what it says once p asked the workers.
            #expect(try await world.p("ls", "-a").status == 0)
            for name in all {
                let record = try #require(try world.records.load(zoo.ids[name]!))
                let expected = name == "ending" ? "done" : name
                #expect(record.status.name == expected, "\(name): \(record.status)")
            }
            return zoo
        }

        static func waitForOutput(_ world: JobWorld, root: String, _ id: String, _ text: String) async throws {
            try await JobWorld.eventually("job \(id.prefix(8)) printed \(text)") {
                try await world.workerText("cat '\(root)/jobs/\(id)/output.log'").contains(text)
            }
        }

        func root(of name: String) -> String {
            name == "running" || name == "queued" ? world.root : world.root + "-free"
        }

        /// Whether the job still has its record here and its directory on the worker.
        func isKept(_ name: String) async throws -> Bool {
            let id = ids[name]!
            let record = try world.records.load(id) != nil
            let files = try await world.existsOnWorker(root(of: name) + "/jobs/" + id)
            if name != "syncing" {
                #expect(record == files, "\(name): record \(record), files \(files)")
            }
            return record
        }

        /// Lets every held job and hook go, and waits for the preparing p.
        func release() async throws {
            for directory in held { _ = try? await world.onWorker("touch '\(directory)/go'") }
            for process in processes { _ = try? await process.wait(timeout: .seconds(60)) }
        }
    }

    @Test func pruneTakesOnlyWhatEnded() async throws {
        let world = try await JobWorld.make()
        let zoo = try await Zoo.make(world)
        let dry = try await world.p("prune", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        for name in Zoo.all {
            let listed = dry.stdoutText.contains(zoo.ids[name]!.prefix(8))
            #expect(listed == (Zoo.ended.contains(name) || name == "ending"), "\(name) in \(dry.stdoutText)")
        }
        let engine = world.engine()
        let planned = await engine.prune(dryRun: true)
        await engine.close()
        #expect(Set(planned.removed.map(\.id)) == Set((Zoo.ended.union(["ending"])).map { zoo.ids[$0]! }))

        let pruned = try await world.p("prune")
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stderr.contains("kept \(zoo.ids["ending"]!.prefix(8))"), "\(pruned.stderr)")
        #expect(pruned.stderr.contains("--on-end command still runs"), "\(pruned.stderr)")
        for name in Zoo.all {
            #expect(try await zoo.isKept(name) == !Zoo.ended.contains(name), "\(name) after p prune")
        }
        let forced = try await world.p("prune", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        for name in Zoo.all {
            #expect(try await zoo.isKept(name) == !(Zoo.ended.contains(name) || name == "unknown"), "\(name)")
        }
        // The paused job still sits paused, its processes there; once its hook is done, the
        // job whose --on-end command ran is pruned too.
        #expect(try world.records.load(zoo.ids["paused"]!)?.status == .paused)
        try await zoo.release()
        let resumed = try await world.p("resume", zoo.ids["paused"]!)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try await JobWorld.eventually("the hook ended and the job was pruned", timeout: .seconds(30)) {
            _ = try await world.p("prune")
            return try world.records.load(zoo.ids["ending"]!) == nil
        }
    }

    @Test func rmRefusesWhatMayStillRunAndForceTakesIt() async throws {
        let world = try await JobWorld.make()
        let zoo = try await Zoo.make(world)
        let refusals = [
            "running": "is still running", "queued": "is still queued", "paused": "is still paused",
            "syncing": "is still being prepared", "ending": "--on-end command still runs",
        ]
        for name in Zoo.all {
            let id = zoo.ids[name]!
            let removed = try await world.p("rm", id)
            if let refusal = refusals[name] {
                #expect(removed.status == 1 && removed.stderr.contains(refusal), "\(name): \(removed.stderr)")
                #expect(try await zoo.isKept(name), "\(name) kept after p rm")
            } else {
                #expect(removed.status == 0, "\(name): \(removed.stderr)")
                #expect(try await !zoo.isKept(name), "\(name) removed by p rm")
            }
        }
        // The Swift API is the same rule.
        let engine = world.engine()
        await #expect(throws: RemoteJobsError.self) { try await engine.remove(zoo.ids["paused"]!) }
        await engine.close()
        // `p worker rm` waits for every job that may still run on the worker.
        let busy = try await world.p("worker", "rm", "free")
        #expect(busy.status == 1 && busy.stderr.contains("still has"), "\(busy.stderr)")
        // Forced, each goes, its processes with it.
        for name in ["running", "queued", "paused", "ending"] {
            let id = zoo.ids[name]!
            let pid = try? await world.workerText("cat '\(zoo.root(of: name))/jobs/\(id)/pid' 2>/dev/null")
            let removed = try await world.p("rm", "--force", id)
            #expect(removed.status == 0, "\(name): \(removed.stderr)")
            #expect(try await !zoo.isKept(name), "\(name) removed by p rm --force")
            if let pid, !pid.isEmpty {
                #expect(try await world.livingProcesses(inGroup: pid).isEmpty, "\(name): its processes are gone")
            }
        }
        try await zoo.release()
    }

    @Test func workerRmWaitsForEveryJobThatMayStillRun() async throws {
        let world = try await JobWorld.make()
        let zoo = try await Zoo.make(world)
        for worker in ["box", "free"] {
            let refused = try await world.p("worker", "rm", worker)
            #expect(refused.status == 1 && refused.stderr.contains("still has"), "\(worker): \(refused.stderr)")
        }
        try await zoo.release()
        for name in ["running", "paused"] {
            _ = try await world.p("stop", "--signal", "KILL", zoo.ids[name]!)
        }
        _ = try await world.p("wait", zoo.ids["queued"]!, zoo.ids["holder"]!)
        if let syncing = try world.records.load(zoo.ids["syncing"]!), syncing.status.isActive {
            _ = try await world.p("wait", syncing.id)
        }
        for worker in ["box", "free"] {
            let removed = try await world.p("worker", "rm", worker)
            #expect(removed.status == 0, "\(worker): \(removed.stderr)")
        }
    }
}

/// The MCP server's retention sweep removes only the jobs it started that ended: never one
/// that is paused, queued, running, or whose `--on-end` command still runs; and its live
/// cap counts every job that may still run.
@Suite("The MCP retention sweep, by status", .timeLimit(.minutes(10)), .throttled)
struct RetentionRuleTests {
    @Test func theSweepTakesOnlyWhatEnded() async throws {
        let world = try await JobWorld.make()
        let tight = world.root + "-tight"
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "tight", connection: "worker", root: tight))
            try config.change("tight", slots: 1)
        }
        let session = try await MCPSession.start(world, arguments: ["--retention", "1s", "--max-jobs", "4"])
        func submit(_ command: String, host: String = "box", onEnd: String? = nil) async throws -> String {
            var arguments: [String: MCP.Value] = ["command": .string(command), "host": .string(host)]
            if let onEnd { arguments["on_end"] = .string(onEnd) }
            let answer = try await session.job("submit", arguments)
            return try #require(answer.string("job_id"), "\(answer.error ?? "")")
        }
        let hold = RemovalRuleTests.Zoo.hold
        let running = try await submit(hold, host: "tight")
        let queued = try await submit("echo queued ran", host: "tight")
        let paused = try await submit(hold)
        try await world.waitForOutput(paused, "up")
        #expect(try await world.p("pause", paused).status == 0)
        let ending = try await submit("true", onEnd: hold)
        // Ended (its on-end command still runs) before the fifth submit: the cap of four
        // counts the jobs that may still run, and a slow worker had not yet seen it end.
        #expect(try await world.p("wait", ending).status == 0)
        let done = try await submit("true")
        // Under load the sweep (a second after the end) may have removed it already.
        let waited = try await world.p("wait", done)
        #expect(
            waited.status == 0 || waited.stderr.contains("no job has an id starting with"),
            "\(waited.status): \(waited.stderr)")
        // The sweep goes through the jobs oldest first: by the time it removed the newest
        // one, it had passed over every other.
        try await JobWorld.eventually("the sweep removed the job that ended", timeout: .seconds(30)) {
            try world.records.load(done) == nil
        }
        for (name, id, root) in [
            ("running", running, tight), ("queued", queued, tight), ("paused", paused, world.root),
            ("ending", ending, world.root),
        ] {
            #expect(try world.records.load(id) != nil, "\(name) kept")
            #expect(try await world.existsOnWorker(root + "/jobs/" + id), "\(name)'s files kept")
        }
        // The live cap counts what may still run, the paused and the queued job too: with
        // three of them, one more is admitted and the next refused.
        let fourth = try await submit(hold)
        let fifth = try await session.job("submit", ["command": .string(hold), "host": "box"])
        #expect(fifth.error?.contains("the limit (p mcp --max-jobs 4)") == true, "\(fifth)")
        _ = try await world.onWorker("touch '\(tight)/workdirs/\(running)/go'")
        for id in [paused, ending, fourth] { try await world.letGo(id) }
        #expect(try await world.p("resume", paused).status == 0)
        try await JobWorld.eventually("every job ended and was swept", timeout: .seconds(60)) {
            try world.records.loadAll().records.isEmpty
        }
        await session.stop()
    }
}
