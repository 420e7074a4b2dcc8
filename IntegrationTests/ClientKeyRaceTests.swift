import Foundation
import MCP
import Testing

@testable import RemoteJobs

/// "Never twice": a `client_key` names one job, whatever races for it. Two `p mcp` servers
/// of one user (one machine's records), and two machines (records of their own, one
/// worker), submit the same key at the same moment, round after round: the command runs
/// once per key, and every caller gets that job, never an error. A key used again for
/// another request is an error naming the difference.
@Suite("Client keys under races", .timeLimit(.minutes(10)), .throttled)
struct ClientKeyRaceTests {
    /// The lines of the file the commands append to on the worker.
    static func runs(_ world: JobWorld, _ file: String) async throws -> [String] {
        try await world.workerText("cat '\(file)' 2>/dev/null").split(separator: "\n").map(String.init)
    }

    @Test func twoServersOfOneUserRunAKeyOnce() async throws {
        let world = try await JobWorld.make()
        let first = try await MCPSession.start(world)
        let second = try await MCPSession.start(world)
        let file = world.root + "-runs"
        for round in 0..<8 {
            let arguments: [String: MCP.Value] = [
                "command": .string("echo $$ >> '\(file)'; sleep 0.2"), "client_key": .string("race-\(round)"),
            ]
            async let a = first.job("submit", arguments)
            async let b = second.job("submit", arguments)
            let answers = try await [a, b]
            #expect(answers.allSatisfy { $0.error == nil }, "round \(round): \(answers.map { $0.error ?? "" })")
            let ids = Set(answers.compactMap { $0.string("job_id") })
            #expect(ids.count == 1, "round \(round): \(ids)")
            #expect(try await world.p("wait", try #require(ids.first)).status == 0)
        }
        #expect(try await Self.runs(world, file).count == 8, "one run per key")
        await first.stop()
        await second.stop()
    }

    /// Two machines: records of their own, one worker. Only the claim on the worker stands
    /// between them.
    @Test func twoMachinesRunAKeyOnce() async throws {
        let one = try await JobWorld.make()
        let other = try await JobWorld.make(register: false)
        try await other.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "box", connection: "worker", root: one.root))
        }
        let file = one.root + "-runs"
        // The directory both sync: one path, as on two machines that check out one tree there.
        let project = one.directory + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "data".write(toFile: project + "/file", atomically: false, encoding: .utf8)
        for round in 0..<6 {
            let key = "machines-\(round)"
            let command = "echo $$ >> '\(file)'; sleep 0.2"
            // Half the rounds sync a directory first, the slow path to the launch.
            let sync = round % 2 == 1
            func submit(_ world: JobWorld) throws -> PProcess {
                try world.start(
                    arguments: ["--key", key, "-d"] + (sync ? ["-C", project] : ["-n"]) + ["--", command])
            }
            let a = try submit(one)
            let b = try submit(other)
            let results = [try await a.wait(), try await b.wait()]
            #expect(results.allSatisfy { $0.status == 0 }, "round \(round): \(results.map(\.stderr))")
            let ids = Set(results.map { $0.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) })
            #expect(ids.count == 1 && ids.first == JobRequest.jobID(forClientKey: key), "round \(round): \(ids)")
            #expect(try await one.p("wait", JobRequest.jobID(forClientKey: key)).status == 0)
            #expect(try await other.p("ls", "-a").stdoutText.contains(JobRequest.jobID(forClientKey: key).prefix(8)))
        }
        #expect(try await Self.runs(one, file).count == 6, "one run per key")
    }

    @Test func aKeyUsedAgainForAnotherRequestIsRefused() async throws {
        let world = try await JobWorld.make()
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "other", connection: "worker", root: world.root + "-other"))
            try config.change("box", addLabels: ["pool"])
        }
        let session = try await MCPSession.start(world)
        let first = try await session.job("submit", ["command": "echo one", "client_key": "k"])
        let id = try #require(first.string("job_id"), "\(first.error ?? "")")
        let changed = try await session.job("submit", ["command": "echo two", "client_key": "k"])
        #expect(changed.error?.contains("already names job \(id.prefix(8))") == true, "\(changed)")
        #expect(changed.error?.contains("a different command") == true, "\(changed)")
        let elsewhere = try await session.job("submit", ["command": "echo one", "client_key": "k", "host": "other"])
        #expect(elsewhere.error?.contains("another worker") == true, "\(elsewhere)")
        let pooled = try await session.job("submit", ["command": "echo one", "client_key": "k", "pool": "pool"])
        #expect(pooled.error?.contains("another worker") == true, "\(pooled)")
        // The same request again is the same job.
        #expect(try await session.job("submit", ["command": "echo one", "client_key": "k"]).string("job_id") == id)
        // Another machine that reuses the key with another command meets the claim on the worker.
        let stranger = try await JobWorld.make(register: false)
        try await stranger.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "box", connection: "worker", root: world.root))
        }
        let far = try await stranger.p("--key", "k", "-d", "-n", "--", "echo three")
        #expect(far.status == 1 && far.stderr.contains("a different command"), "\(far.stderr)")
        #expect(try await world.p("wait", id).status == 0)
        #expect(try await world.workerText("cat '\(world.jobDirectory(id))/output.log'") == "one")
        await session.stop()
    }
}
