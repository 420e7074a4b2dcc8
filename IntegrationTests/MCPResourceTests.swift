import Foundation
import MCP
import Synchronization
import Testing

@testable import RemoteJobs

/// Jobs as MCP resources: listed, read, and subscribed to, so an idle agent is told when a
/// job it started ends, without polling.
@Suite("MCP resources and subscriptions", .timeLimit(.minutes(10)), .throttled)
struct MCPResourceTests {
    /// What the client was sent, as it arrived.
    final class Inbox: Sendable {
        private let updates = Mutex<[(String, ContinuousClock.Instant)]>([])
        private let messages = Mutex<[String]>([])

        func updated(_ uri: String) { updates.withLock { $0.append((uri, .now)) } }
        func logged(_ text: String) { messages.withLock { $0.append(text) } }
        var updatedURIs: [String] { updates.withLock { $0.map(\.0) } }
        func firstUpdate(of uri: String) -> ContinuousClock.Instant? {
            updates.withLock { $0.first { $0.0 == uri }?.1 }
        }
        var logLines: [String] { messages.withLock { $0 } }
    }

    @Test func aSubscriberIsToldWhenItsJobEnds() async throws {
        let world = try await JobWorld.make()
        let session = try await MCPSession.start(world)
        let inbox = Inbox()
        await session.client.onNotification(ResourceUpdatedNotification.self) { message in
            inbox.updated(message.params.uri)
        }
        await session.client.onNotification(LogMessageNotification.self) { message in
            if case .string(let text) = message.params.data { inbox.logged(text) }
        }
        try await session.client.setLoggingLevel(.info)
        let submitted = try await session.job(
            "submit",
            [
                "command":
                    "echo before; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo after; exit 3"
            ])
        let id = try #require(submitted.string("job_id"), "\(submitted.error ?? "")")
        let statusURI = "p://jobs/\(id)"
        // Listed and readable, by the whole id or a prefix.
        let listed = try await session.client.listResources()
        #expect(listed.resources.contains { $0.uri == statusURI })
        #expect(listed.resources.contains { $0.uri == statusURI + "/output" })
        let templates = try await session.client.listResourceTemplates()
        #expect(templates.templates.map(\.uriTemplate).contains("p://jobs/{job_id}"))
        try await world.waitForOutput(id, "before")
        let status = try await session.client.readResource(uri: "p://jobs/\(id.prefix(8))")
        #expect(status.first?.text?.contains("\"status\":\"running\"") == true, "\(status)")
        try await session.client.subscribeToResource(uri: statusURI)
        try await Task.sleep(for: .milliseconds(300))
        #expect(inbox.updatedURIs.isEmpty, "nothing changed yet")
        try await world.letGo(id)
        let ended = try await world.p("wait", id)
        #expect(ended.status == 3)
        let endedAt = ContinuousClock.now
        try await JobWorld.eventually("the subscriber was told", timeout: .seconds(10)) {
            inbox.firstUpdate(of: statusURI) != nil
        }
        // Not a timing assertion: a generous ceiling that only catches "never told".
        #expect((inbox.firstUpdate(of: statusURI) ?? endedAt) - endedAt < .seconds(5))
        try await JobWorld.eventually("the log line came") { inbox.logLines.contains("job \(id) ended: exit 3") }
        let final = try await session.client.readResource(uri: statusURI)
        #expect(final.first?.text?.contains("\"exit_code\":3") == true, "\(final)")
        let output = try await session.client.readResource(uri: statusURI + "/output")
        #expect(output.first?.text == "before\nafter\n")
        await #expect(throws: (any Error).self) { _ = try await session.client.readResource(uri: "http://elsewhere") }
        // A job p does not know is MCP's "resource not found", in words, for reading and
        // subscribing alike.
        for unknown in ["p://jobs/ffffffff", "p://jobs/ffffffff/output"] {
            do {
                _ = try await session.client.readResource(uri: unknown)
                Issue.record("reading \(unknown) succeeded")
            } catch let error as MCPError {
                #expect(error.code == -32002, "\(error)")
                #expect("\(error)".contains("no job has an id starting with 'ffffffff'"), "\(error)")
                #expect(!"\(error)".contains("RemoteJobsError"), "\(error)")
            }
        }
        do {
            try await session.client.subscribeToResource(uri: "p://jobs/ffffffff")
            Issue.record("subscribing to an unknown job succeeded")
        } catch let error as MCPError {
            #expect(error.code == -32002, "\(error)")
        }
        // The read-only tools answer as the job tool does, with the log's total size.
        let polled = try await session.call("job_poll", ["job_id": .string(String(id.prefix(6))), "since": 7])
        #expect(polled.string("output_chunk") == "after\n" && polled.int("total_bytes") == 13, "\(polled.values)")
        let filtered = try await session.call("job_poll", ["job_id": .string(id), "since": 0, "filter": "^aft"])
        #expect(filtered.string("output_chunk") == "after\n" && filtered.int("new_offset") == 13, "\(filtered.values)")
        let lastMatch = try await session.call("job_poll", ["job_id": .string(id), "tail": 1, "filter": "e"])
        #expect(lastMatch.string("output_chunk") == "after\n", "\(lastMatch.values)")
        let firstMatch = try await session.job("poll", ["job_id": .string(id), "tail": 5, "filter": "^b"])
        #expect(firstMatch.string("output_chunk") == "before\n", "\(firstMatch.values)")
        let badFilter = try await session.call("job_poll", ["job_id": .string(id), "filter": "("])
        #expect(badFilter.error?.contains("not a regular expression") == true)
        let tools = try await session.client.listTools().tools
        #expect(tools.first { $0.name == "job_poll" }?.annotations.readOnlyHint == true)
        #expect(tools.first { $0.name == "job" }?.annotations.readOnlyHint == false)
        #expect(tools.allSatisfy { $0.outputSchema != nil })
        // Found again after a context compaction: by status, by command, by time.
        let failed = try await session.job("list", ["status": "failed", "command": "echo after"])
        let jobs = failed.values["jobs"]?.arrayValue ?? []
        #expect(jobs.count == 1, "\(failed.values)")
        #expect(jobs.first?.objectValue?["job_id"]?.stringValue == id)
        #expect(jobs.first?.objectValue?["command"]?.stringValue?.hasPrefix("echo before") == true)
        #expect(try await session.job("list", ["status": "running"]).values["jobs"]?.arrayValue?.isEmpty == true)
        #expect(try await session.job("list", ["since": 3600]).values["jobs"]?.arrayValue?.count == 1)
        #expect(
            try await session.job("list", ["since": "2999-01-01T00:00:00Z"]).values["jobs"]?.arrayValue?.isEmpty == true
        )
        #expect(try await session.job("list", ["status": "sleeping"]).error?.contains("'status' is one of") == true)
        await session.stop()
    }

    /// A submit with `client_key` is idempotent: retried, after a server restart, and after
    /// the client lost its record of a launch that reached the worker (a broken connection),
    /// it returns the same job and never runs the command twice.
    @Test func aRetriedSubmitWithTheSameKeyRunsOnce() async throws {
        let world = try await JobWorld.make()
        let runs = world.root + "/runs"
        let command = "echo run >> '\(runs)'; echo done"
        var session = try await MCPSession.start(world)
        let first = try await session.job("submit", ["command": .string(command), "client_key": "build-42"])
        let id = try #require(first.string("job_id"), "\(first.error ?? "")")
        #expect(first.string("client_key") == "build-42")
        let again = try await session.job("submit", ["command": .string(command), "client_key": "build-42"])
        #expect(again.string("job_id") == id)
        await session.stop()
        session = try await MCPSession.start(world)
        let afterRestart = try await session.job("submit", ["command": .string(command), "client_key": "build-42"])
        #expect(afterRestart.string("job_id") == id)
        #expect(try await world.p("wait", id).status == 0)
        // The client forgets the job, as if the answer to the launch never came back.
        try world.records.remove(id)
        let adopted = try await session.job("submit", ["command": .string(command), "client_key": "build-42"])
        #expect(adopted.string("job_id") == id, "\(adopted.error ?? "")")
        #expect(adopted.string("status") == "done", "\(adopted.values)")
        let byKey = try await session.job("list", ["client_key": "build-42"])
        #expect(byKey.values["jobs"]?.arrayValue?.count == 1)
        let other = try await session.job("submit", ["command": .string(command), "client_key": "build-43"])
        #expect(other.string("job_id") != id)
        #expect(try await world.p("wait", try #require(other.string("job_id"))).status == 0)
        #expect(try await world.workerText("cat '\(runs)'") == "run\nrun", "one run per key")
        await session.stop()
    }
}

/// `p mcp` driven by a second, independent client: the official Python SDK (`mcp` from
/// PyPI, in a virtual environment the test makes), which validates every structured result
/// against the tool's output schema.
@Suite("p mcp with the Python SDK's client", .timeLimit(.minutes(10)), .throttled)
struct MCPPythonClientTests {
    @Test func thePythonClientSubmitsSubscribesAndPolls() async throws {
        let world = try await JobWorld.make()
        let venv = try TestSSHD.makeTemporaryDirectory() + "/venv"
        try Shell.run("python3", ["-m", "venv", venv])
        try Shell.run(venv + "/bin/pip", ["install", "-q", "--disable-pip-version-check", "mcp"])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Support/python/mcp_client.py").path
        let output = try Shell.runWithEnvironment(
            venv + "/bin/python", [script, try Shell.pExecutable, world.root], world.environment)
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(output)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(seen["tools"] as? [String] == ["exec", "job", "job_list", "job_poll"])
        #expect(seen["read_only"] as? [String] == ["job_list", "job_poll"])
        #expect(seen["same_job"] as? Bool == true)
        let id = try #require(seen["job_id"] as? String)
        #expect((seen["updates"] as? [String])?.contains("p://jobs/\(id)") == true, "\(seen)")
        #expect((seen["logs"] as? [String])?.contains { $0.contains("job \(id) ended: exit 4") } == true, "\(seen)")
        let poll = try #require(seen["poll"] as? [String: Any])
        #expect(poll["output_chunk"] as? String == "from python\n")
        #expect(poll["status"] as? String == "failed" && poll["exit_code"] as? Int == 4)
        #expect(seen["listed"] as? Int == 1)
        #expect((seen["resource"] as? [String: Any])?["exit_code"] as? Int == 4)
        #expect(seen["bad_is_error"] as? Bool == true)
    }
}
