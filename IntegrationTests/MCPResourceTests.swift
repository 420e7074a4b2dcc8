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
        let seen = try Self.runPython("mcp_client.py", sdk: "mcp", arguments: [world.root], world: world)
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

    /// Runs `Support/python/<script>` with `p` and `arguments` in a new virtual environment
    /// holding `sdk` (a pip requirement); the JSON object it printed last.
    static func runPython(
        _ script: String, sdk: String, arguments: [String] = [], world: JobWorld
    ) throws -> [String: Any] {
        let venv = try TestSSHD.makeTemporaryDirectory() + "/venv"
        try Shell.run("python3", ["-m", "venv", venv])
        try Shell.run(venv + "/bin/pip", ["install", "-q", "--disable-pip-version-check", sdk])
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Support/python/" + script).path
        let output = try Shell.runWithEnvironment(
            venv + "/bin/python", [path, try Shell.pExecutable] + arguments, world.environment)
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// MCP 2025-11-25 tasks, driven by the Python SDK's experimental tasks client (its 1.x line;
/// 2.x dropped it), and SEP-2663's tasks extension, driven by raw JSON-RPC (no SDK has it
/// in a release this machine can install).
@Suite("MCP tasks", .timeLimit(.minutes(10)), .throttled)
struct MCPTaskTests {
    @Test func thePythonTasksClientRunsPollsAndCancelsTasks() async throws {
        let world = try await JobWorld.make()
        let seen = try MCPPythonClientTests.runPython("mcp_tasks_client.py", sdk: "mcp==1.30.0", world: world)
        #expect(seen["capability"] as? Bool == true, "\(seen)")
        let support = try #require(seen["task_support"] as? [String: Any])
        #expect(support["exec"] as? String == "optional" && support["job"] as? String == "optional", "\(support)")
        #expect(support["job_poll"] is NSNull && support["job_list"] is NSNull)

        let execTask = try #require(seen["exec_task"] as? String)
        #expect(seen["first_status"] as? String == "working")
        #expect((seen["created_after_s"] as? Double ?? 99) < 1, "created before the 1 s command ended: \(seen)")
        #expect(seen["ttl"] as? Int == 3_600_000 && seen["poll_interval"] as? Int == 500)
        #expect((seen["polled"] as? [String])?.last == "completed", "\(seen)")
        let result = try #require(seen["exec_result"] as? [String: Any])
        #expect(result["stdout"] as? String == "out\n" && result["stderr"] as? String == "err\n", "\(result)")
        #expect(result["exit_code"] as? Int == 3)
        #expect((seen["related"] as? [String: Any])?["taskId"] as? String == execTask)
        #expect(try await world.existsOnWorker(world.jobDirectory(execTask)) == false, "an exec leaves nothing")

        let submitted = try #require(seen["submit_result"] as? [String: Any])
        #expect(submitted["status"] as? String == "done" && submitted["exit_code"] as? Int == 0, "\(submitted)")
        #expect(submitted["output_chunk"] as? String == "submitted\n", "\(submitted)")
        #expect(seen["submit_final"] as? String == "completed")

        #expect(seen["cancelled"] as? String == "cancelled")
        #expect(seen["second_cancel"] as? Int == -32602)
        #expect(seen["unknown_task"] as? Int == -32602)
        #expect(seen["list_as_task"] as? Int == -32601)
        #expect((seen["listed"] as? [String])?.count == 3)
        #expect((seen["plain"] as? [String: Any])?["stdout"] as? String == "echo plain".dropFirst(5) + "\n")
        let statuses = try #require(seen["statuses"] as? [[String: Any]])
        #expect(statuses.contains { $0["taskId"] as? String == execTask && $0["status"] as? String == "completed" })
        let logs = try #require(seen["logs"] as? [[String: Any]])
        let submitTask = try #require(seen["submit_task"] as? String)
        #expect(logs.contains { ($0["data"] as? String ?? "").hasPrefix("job \(submitTask) started on box") })
        #expect(
            logs.contains {
                $0["level"] as? String == "info" && $0["data"] as? String == "job \(submitTask) ended: exit 0"
            }, "\(logs)")
        #expect(
            logs.contains {
                $0["level"] as? String == "warning" && $0["data"] as? String == "job \(execTask) ended: exit 3"
            }, "\(logs)")
        #expect(
            logs.contains {
                $0["level"] as? String == "warning" && ($0["data"] as? String ?? "").hasSuffix("ended: stopped")
            }, "\(logs)")
    }

    /// SEP-2663: a client offers the extension per request; a short exec is answered as
    /// usual, a long one becomes a task whose tasks/get carries the result once completed.
    @Test func theTasksExtensionMakesALongExecATask() async throws {
        let world = try await JobWorld.make()
        let client = try RawMCPClient(world)
        defer { client.stop() }
        let initialized = try client.initialize()
        let capabilities = try #require(initialized["capabilities"] as? [String: Any])
        #expect((capabilities["extensions"] as? [String: Any])?["io.modelcontextprotocol/tasks"] != nil)
        let offer: [String: Any] = [
            "io.modelcontextprotocol/clientCapabilities": ["extensions": ["io.modelcontextprotocol/tasks": [:]]]
        ]
        func exec(_ command: String) throws -> [String: Any] {
            let answer = try client.request(
                "tools/call", ["name": "exec", "arguments": ["command": command], "_meta": offer])
            return try #require(answer["result"] as? [String: Any], "\(answer)")
        }
        let quick = try exec("echo quick")
        #expect(quick["resultType"] as? String == "complete", "\(quick)")
        #expect((quick["structuredContent"] as? [String: Any])?["stdout"] as? String == "quick\n")

        let slow = try exec("sleep 2; echo slow; exit 4")
        #expect(slow["resultType"] as? String == "task", "\(slow)")
        #expect(slow["status"] as? String == "working" && slow["ttlSeconds"] as? Int == 3600)
        #expect(slow["pollIntervalMilliseconds"] as? Int == 500 && slow["result"] == nil)
        let id = try #require(slow["taskId"] as? String)
        var task: [String: Any] = [:]
        for _ in 0..<300 {
            task = try #require(try client.request("tasks/get", ["taskId": id])["result"] as? [String: Any])
            if task["status"] as? String != "working" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(task["status"] as? String == "completed" && task["resultType"] as? String == "complete", "\(task)")
        let result = try #require((task["result"] as? [String: Any])?["structuredContent"] as? [String: Any])
        #expect(result["stdout"] as? String == "slow\n" && result["exit_code"] as? Int == 4, "\(result)")
        let acknowledged = try client.request("tasks/cancel", ["taskId": id])
        #expect((acknowledged["result"] as? [String: Any])?["resultType"] as? String == "complete")
        let updated = try client.request("tasks/update", ["taskId": id, "inputResponses": [:]])
        #expect((updated["result"] as? [String: Any])?["resultType"] as? String == "complete")

        let long = try exec("sleep 300")
        let longID = try #require(long["taskId"] as? String, "\(long)")
        _ = try client.request("tasks/cancel", ["taskId": longID])
        let cancelled = try #require(try client.request("tasks/get", ["taskId": longID])["result"] as? [String: Any])
        #expect(cancelled["status"] as? String == "cancelled", "\(cancelled)")
        #expect(try world.records.load(longID)?.status.name == "stopped")

        let listed = try #require(
            try client.request("tools/call", ["name": "job_list", "arguments": [:], "_meta": offer])["result"]
                as? [String: Any])
        #expect(listed["resultType"] as? String == "complete" && listed["structuredContent"] != nil)
    }
}
