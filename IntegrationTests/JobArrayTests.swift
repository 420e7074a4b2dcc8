import Foundation
import Testing

@testable import RemoteJobs

/// Job arrays against a real sshd: three workers (three roots on one sshd), each element a
/// job of its own in its worker's queue; the spread, the slots and the cap observed in the
/// times the elements themselves wrote; `p wait`, `p logs`, `p stop`, `p rm` on an array.
@Suite("Job arrays", .timeLimit(.minutes(10)), .throttled)
struct JobArrayTests {
    /// A world whose workers `box`, `w2` and `w3` (roots of their own on the shared sshd)
    /// carry the label `pool` and `slots` slots each.
    static func pool(slots: Int?) async throws -> JobWorld {
        let world = try await JobWorld.make()
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "w2", connection: "worker", root: world.root + "-w2"))
            try config.register(Worker(name: "w3", connection: "worker", root: world.root + "-w3"))
            for name in ["box", "w2", "w3"] {
                try config.change(name, addLabels: ["pool"], slots: .some(slots))
            }
        }
        return world
    }

    /// The most intervals that overlap at any moment.
    static func mostAtOnce(_ intervals: [(start: UInt64, end: UInt64)]) -> Int {
        var events: [(time: UInt64, change: Int)] = []
        for interval in intervals {
            events.append((interval.start, 1))
            events.append((interval.end, -1))
        }
        // An end before a start at the same moment.
        events.sort { (a: (time: UInt64, change: Int), b: (time: UInt64, change: Int)) -> Bool in
            a.time != b.time ? a.time < b.time : a.change < b.change
        }
        var running = 0
        var most = 0
        for (_, change) in events {
            running += change
            most = max(most, running)
        }
        return most
    }

    @Test func anArraySpreadsOverThePoolSyncsOncePerWorkerAndKeepsToSlotsAndCap() async throws {
        let world = try await Self.pool(slots: 2)
        let source = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try "the data\n".write(toFile: source + "/data.txt", atomically: true, encoding: .utf8)
        // Each element says when it ran (ns), its index both ways, and reads the synced file;
        // it also writes into its work directory, which no other element may see.
        let submitted = try await world.p(
            "@pool", "-C", source, "-v", "-d", "--array", "1-12%4", "--",
            "echo start $(date +%s%N) {} $P_ARRAY_INDEX; cat data.txt; ls; echo mine > out-{}.txt; sleep 0.4; echo end $(date +%s%N)"
        )
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let arrayID = submitted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: arrayID) != nil, "\(submitted.stdoutText)")
        // Synced once per worker that got elements, not once per element.
        let syncs = submitted.stderr.components(separatedBy: "p: synced ").count - 1
        let elements = world.records.loadAll().records.filter { $0.array?.id == arrayID }
        #expect(elements.count == 12)
        let workers = Set(elements.map(\.worker))
        #expect(workers.count == 3, "spread over the pool: \(elements.map(\.worker))")
        #expect(syncs == workers.count, "\(submitted.stderr)")

        let waited = try await world.p("wait", String(arrayID.prefix(8)), timeout: .seconds(120))
        #expect(waited.status == 0, "\(waited.stdoutText) \(waited.stderr)")
        #expect(waited.stdoutText.split(separator: "\n").count == 12, "\(waited.stdoutText)")

        var intervals: [(start: UInt64, end: UInt64)] = []
        var byWorker: [String: [(start: UInt64, end: UInt64)]] = [:]
        for element in elements {
            let index = try #require(element.array?.index)
            let logs = try await world.p("logs", "\(arrayID.prefix(8)):\(index)")
            #expect(logs.status == 0, "\(logs.stderr)")
            let lines = logs.stdoutText.split(separator: "\n").map(String.init)
            let start = try #require(lines.first?.split(separator: " "))
            #expect(start.count == 4 && start[2] == "\(index)" && start[3] == "\(index)", "\(lines)")
            #expect(lines.contains("the data"), "\(lines)")
            #expect(!lines.contains { $0.hasPrefix("out-") }, "its own copy of the directory: \(lines)")
            let end = try #require(lines.last?.split(separator: " "))
            let interval = (start: try #require(UInt64(start[1])), end: try #require(UInt64(end[1])))
            intervals.append(interval)
            byWorker[element.worker, default: []].append(interval)
        }
        #expect(Self.mostAtOnce(intervals) <= 4, "the cap of 4 across the pool")
        for (worker, runs) in byWorker { #expect(Self.mostAtOnce(runs) <= 2, "\(worker)'s two slots") }

        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("\(arrayID.prefix(8))[12]"), "\(listed.stdoutText)")
        #expect(listed.stdoutText.contains("12 done"), "\(listed.stdoutText)")
        let expanded = try await world.p("ls", "-a", "--expand")
        #expect(expanded.stdoutText.contains("\(arrayID.prefix(8)):12"), "\(expanded.stdoutText)")

        let removed = try await world.p("rm", String(arrayID.prefix(8)))
        #expect(removed.status == 0, "\(removed.stderr)")
        let left = world.records.loadAll().records.filter { record in record.array?.id == arrayID }
        #expect(left.isEmpty)
    }

    @Test func aFailedElementIsNamedAndItsCodeIsTheArraysAndEachElementStopsAndGoes() async throws {
        let world = try await Self.pool(slots: nil)
        // Words with blanks and quotes reach the command as one argument each.
        let run = try await world.p(
            "box", "-n", "--each", "a", "b c", "it's", "--",
            "printf '%s|%s|%s\\n' {} \"$P_ARRAY_INDEX\" \"$P_ARRAY_VALUE\"; case $P_ARRAY_INDEX in 2) exit 3;; 3) exit 5;; esac",
            timeout: .seconds(120))
        #expect(run.status == 3, "the first failure's code: \(run.stdoutText) \(run.stderr)")
        #expect(run.stderr.contains("2 of 3 elements did not succeed"), "\(run.stderr)")
        let elements = world.records.loadAll().records.filter { $0.array != nil }.sorted {
            $0.array!.index < $1.array!.index
        }
        #expect(elements.count == 3)
        let arrayID = try #require(elements.first?.array?.shortID)
        #expect(run.stderr.contains("\(arrayID):2 (failed"), "\(run.stderr)")
        for (index, expected) in [(1, "a|1|a"), (2, "b c|2|b c"), (3, "it's|3|it's")] {
            let logs = try await world.p("logs", "\(arrayID):\(index)")
            #expect(logs.stdoutText == expected + "\n", "\(index): \(logs.stdoutText) \(logs.stderr)")
        }
        let waited = try await world.p("wait", arrayID)
        #expect(waited.status == 3, "\(waited.stderr)")
        let missing = try await world.p("logs", "\(arrayID):9")
        #expect(missing.status == 1 && missing.stderr.contains("has no element 9"), "\(missing.stderr)")

        // Stopping an array stops every element still running, and no other job. (A worker
        // without slots runs as many elements at once as it has CPUs: four slots here.)
        try await world.store.update { config throws(RemoteJobsError) in try config.change("box", slots: 4) }
        let other = try JobWorld.id(try await world.p("box", "-n", "-d", "--", "sleep 60"))
        let long = try await world.p("box", "-n", "-d", "--array", "1-3", "--", "sleep 60")
        let longID = long.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        try await JobWorld.eventually("the three run") {
            try await world.p("ls").stdoutText.contains("3 running")
        }
        let stopped = try await world.p("stop", String(longID.prefix(8)))
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdoutText.split(separator: "\n").count == 3, "\(stopped.stdoutText)")
        let afterStop = try await world.p("wait", String(longID.prefix(8)))
        #expect(afterStop.status == 143, "\(afterStop.stdoutText) \(afterStop.stderr)")
        let record = try #require(try world.records.load(other))
        #expect(record.status.isRunning, "the other job runs on")
        _ = try await world.p("stop", other)
    }

    @Test func badArraysAreRefusedAndNothingIsLeft() async throws {
        let world = try await JobWorld.make()
        for (arguments, message) in [
            (["--array", "5-1"], "ends before it starts"), (["--array", "1-3%0"], "at least 1"),
            (["--array", "x"], "is not an index"), (["--array", "1-3", "--each", "a"], "one of --array"),
            (["--each", "a", "--key", "k"], "no client key"), (["--cap", "2", "--array", "1-2"], "--cap goes with"),
        ] {
            let result = try await world.p(arguments: ["-n"] + arguments + ["--", "true"])
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(world.records.loadAll().records.isEmpty)
    }
}

/// A job array submitted through `p mcp`: its elements listed, each polled by
/// `ARRAY_ID:INDEX`.
@Suite("Job arrays through MCP", .timeLimit(.minutes(10)), .throttled)
struct MCPJobArrayTests {
    @Test func submitTakesEachAndPollReadsAnElement() async throws {
        let world = try await JobWorld.make()
        let session = try await MCPSession.start(world)
        let submitted = try await session.job("submit", ["command": "echo seed={}", "each": ["7", "x y"]])
        #expect(submitted.error == nil, "\(submitted.error ?? "")")
        let arrayID = try #require(submitted.string("array_id"), "\(submitted.values)")
        let elements = try #require(submitted["elements"]?.arrayValue)
        #expect(elements.count == 2)
        for (index, expected) in [(1, "seed=7\n"), (2, "seed=x y\n")] {
            var poll = try await session.job(
                "poll", ["job_id": .string("\(arrayID):\(index)"), "since": 0, "wait_s": 10])
            for _ in 0..<20 where poll.string("status") != "done" {
                poll = try await session.job(
                    "poll", ["job_id": .string("\(arrayID):\(index)"), "since": 0, "wait_s": 5])
            }
            #expect(poll.string("output_chunk") == expected, "\(poll.values) \(poll.error ?? "")")
        }
        // Results back through MCP: pull at submit, the pull action once it ended.
        let results = world.directory + "/mcp-results"
        let withResults = try await session.job(
            "submit", ["command": "echo r > r.txt", "pull": ["*.txt"], "pull_to": .string(results)])
        let resultsID = try #require(withResults.string("job_id"), "\(withResults.error ?? "")")
        var polled = try await session.job("poll", ["job_id": .string(resultsID), "since": 0, "wait_s": 10])
        for _ in 0..<20 where polled.string("status") != "done" {
            polled = try await session.job("poll", ["job_id": .string(resultsID), "since": 0, "wait_s": 5])
        }
        let pulled = try await session.job("pull", ["job_id": .string(resultsID)])
        #expect(pulled.error == nil, "\(pulled.error ?? "")")
        #expect(try String(contentsOfFile: results + "/\(resultsID)/r.txt", encoding: .utf8) == "r\n")
        let both = try await session.job("submit", ["command": "true", "each": ["a"], "array": "1-2"])
        #expect(both.error?.contains("not both") == true, "\(both.values)")
    }
}
