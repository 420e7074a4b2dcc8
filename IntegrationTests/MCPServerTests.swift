import Foundation
import MCP
import Testing

@testable import RemoteJobs

/// `p mcp` against a real MCP client session over stdio and the real sshd.
@Suite("The MCP server", .timeLimit(.minutes(10)), .throttled)
struct MCPServerTests {
    @Test func submitPollCancelListAndBadArguments() async throws {
        let world = try await JobWorld.make()
        let session = try await MCPSession.start(world)
        let tools = try await session.client.listTools().tools.map(\.name)
        #expect(Set(tools) == ["job", "job_poll", "job_list", "exec"])

        // 1 MB of multi-byte text, read back in bounded polls and reassembled exactly.
        let line = Array("héllo wörld ✓ 🚀\n".utf8)
        let expected = Array((0..<(1_048_576 / line.count + 1)).flatMap { _ in line }.prefix(1_048_576))
        let big = try await session.job(
            "submit", ["command": "yes 'héllo wörld ✓ 🚀' | head -c 1048576", "env": ["UNUSED": "x"]])
        let bigID = try #require(big.string("job_id"), "\(big.error ?? "")")
        #expect(big.string("host") == "box")
        #expect(big.int("remote_pid") != nil)
        var text = ""
        var offset = 0
        var polls = 0
        while true {
            let poll = try await session.job("poll", ["job_id": .string(bigID), "since": .int(offset), "wait_s": 5])
            #expect(poll.error == nil, "\(poll.error ?? "")")
            polls += 1
            text += poll.string("output_chunk") ?? ""
            let next = try #require(poll.int("new_offset"))
            #expect(next >= offset)
            offset = next
            if poll.string("status") != "running" && poll.bool("more") == false { break }
            #expect(polls < 200)
        }
        #expect(polls >= 16, "64 KB at a time")
        #expect(offset == expected.count)
        #expect(text == String(decoding: expected, as: UTF8.self))

        // Secrets reach the job through the env file; a held poll returns soon after output.
        let held = try await session.job(
            "submit",
            [
                "command":
                    "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo \"late $SECRET\"",
                "env": ["SECRET": "s3cr3t"],
            ])
        let heldID = try #require(held.string("job_id"))
        let waiter = Task { try await session.job("poll", ["job_id": .string(heldID), "since": 0, "wait_s": 30]) }
        // stdio is ordered: once a request sent after the poll is answered, the server has
        // taken the poll, which has nothing to return yet (the job waits for `go`).
        #expect(try await session.job("list").error == nil)
        try await world.letGo(heldID)
        let answered = try await waiter.value
        // Answered with what came after `go`, long before its 30 s: it was held, then woke.
        #expect(
            answered.string("output_chunk")?.hasPrefix("late") == true, "\(answered.values) \(answered.error ?? "")")
        #expect(try await world.workerText("cat '\(world.jobDirectory(heldID))/env'").contains("SECRET"))

        // Cancel, list, and exec.
        let sleeper = try #require(try await session.job("submit", ["command": "sleep 60"]).string("job_id"))
        let cancelled = try await session.job("cancel", ["job_id": .string(sleeper), "signal": "TERM"])
        #expect(cancelled.string("signal_sent") == "TERM")
        #expect(cancelled.string("status_after") == "stopped")
        let stoppedPoll = try await session.job("poll", ["job_id": .string(sleeper), "since": 0])
        #expect(stoppedPoll.int("exit_code") == 143, "a stopped job has its code: \(stoppedPoll.values)")
        let listed = try await session.job("list")
        let entries = try #require(listed["jobs"]?.arrayValue)
        let ids = Set(entries.compactMap { $0.objectValue?["job_id"]?.stringValue })
        #expect(ids.isSuperset(of: [bigID, heldID, sleeper]))
        let exec = try await session.call("exec", ["command": "echo out; echo err >&2; exit 3"])
        #expect(exec.string("stdout") == "out\n" && exec.string("stderr") == "err\n" && exec.int("exit_code") == 3)
        #expect(exec.values["still_running"] == nil)
        let leftovers = try await session.job("list", ["command": "echo err >&2; exit 3"])
        #expect(leftovers.values["jobs"]?.arrayValue?.isEmpty == true, "an exec that ended leaves no job")
        let killed = try await session.call(
            "exec", ["command": "echo out; echo err >&2; exit 5", "on_timeout": "kill"])
        #expect(
            killed.string("stdout") == "out\n" && killed.string("stderr") == "err\n" && killed.int("exit_code") == 5)
        // A command that outlives its timeout is handed back as a job, its output so far
        // with it, and goes on.
        let handed = try await session.call(
            "exec",
            [
                "command":
                    "echo first; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo second",
                "timeout_s": 2,
            ])
        #expect(handed.bool("still_running") == true, "\(handed.values)")
        let handle = try #require(handed.string("job_id"))
        #expect(handed.string("output_so_far") == "first\n")
        #expect(handed.int("new_offset") == 6)
        try await world.letGo(handle)
        let rest = try await session.call("job_poll", ["job_id": .string(handle), "since": 6, "wait_s": 10])
        #expect(rest.string("output_chunk") == "second\n", "\(rest.values)")
        #expect(try await world.p("wait", handle).status == 0, "the handed-back job ends as any job")

        // Bad arguments are tool errors, and the server goes on.
        let unknown = try await session.job("poll", ["job_id": "ffffffff"])
        #expect(unknown.error?.contains("no job has an id starting with 'ffffffff'") == true, "\(unknown)")
        let negative = try await session.job("poll", ["job_id": .string(bigID), "since": -5])
        #expect(negative.error?.contains("'since' must be a byte offset of 0 or more") == true)
        #expect(try await session.job("explode").error?.contains("unknown action 'explode'") == true)
        #expect(try await session.call("nope", [:]).error?.contains("there is no tool 'nope'") == true)
        let sudo = try await session.job("submit", ["command": "id", "use_sudo": true])
        #expect(sudo.error?.contains("use_sudo is refused") == true)
        #expect(try await session.job("submit", [:]).error?.contains("'command' is required") == true)
        // An empty dependency list (an id a failed submit left empty) is refused, not ignored.
        for list in ["", ",,,"] {
            let refused = try await session.job("submit", ["command": "true", "after": .string(list)])
            #expect(refused.error?.contains("has an empty job id") == true, "\(refused)")
        }
        await session.stop()

        // A new server reads the same records and asks the worker again.
        let again = try await MCPSession.start(world)
        let after = try await again.job("poll", ["job_id": .string(bigID), "since": 1_048_570])
        #expect(after.string("status") == "done")
        #expect(after.int("new_offset") == 1_048_576)
        await again.stop()
    }

    @Test func theLiveJobCapAndFiftyJobsOnFewConnections() async throws {
        let world = try await JobWorld.make()
        let capped = try await MCPSession.start(world, arguments: ["--max-jobs", "2"])
        for _ in 0..<2 {
            #expect(try await capped.job("submit", ["command": "sleep 30"]).error == nil)
        }
        let third = try await capped.job("submit", ["command": "true"])
        #expect(third.error?.contains("the limit (p mcp --max-jobs 2)") == true, "\(third)")
        await capped.stop()
        for record in world.records.loadAll().records {
            _ = try await world.p("stop", "--signal", "KILL", record.id)
        }

        let session = try await MCPSession.start(world)
        let answers = try await withThrowingTaskGroup(of: ToolAnswer.self) { group in
            for index in 0..<50 {
                group.addTask { try await session.job("submit", ["command": .string("echo \(index)")]) }
            }
            return try await group.reduce(into: [ToolAnswer]()) { $0.append($1) }
        }
        let errors = answers.compactMap(\.error)
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        #expect(Set(answers.compactMap { $0.string("job_id") }).count == 50)
        let connections = try Shell.run("ss", ["-Htnp", "state", "established", "dport", "=", ":\(world.sshd.port)"])
            .split(separator: "\n").filter { $0.contains("pid=\(session.pid),") }.count
        #expect(connections >= 1 && connections <= 4, "the pool's limit is 4 sessions per worker: \(connections)")
        await session.stop()
    }

    /// JSON-RPC 2.0: a line that is not JSON gets a parse error whose id is null (the SDK
    /// alone answered with an id of its own invention), and the server goes on serving.
    @Test func aLineThatIsNotJSONGetsAParseErrorWithANullID() async throws {
        let world = try await JobWorld.make(register: false)
        let server = try MCPSession.spawn(world)
        defer {
            close(server.input)
            close(server.output)
            var status: Int32 = 0
            waitpid(server.pid, &status, 0)
            unlink(server.stderrPath)
        }
        let lines = Array("this is not json\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\n".utf8)
        #expect(lines.withUnsafeBytes { write(server.input, $0.baseAddress!, $0.count) } == lines.count)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.filter({ $0 == 0x0A }).count < 2 {
            let count = read(server.output, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        let answers = try String(decoding: received, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let parseError = try #require(answers.first { $0["error"] != nil }, "\(answers)")
        #expect(parseError["id"] is NSNull, "\(parseError)")
        #expect((parseError["error"] as? [String: Any])?["code"] as? Int == -32700)
        #expect(answers.contains { $0["id"] as? Int == 5 && $0["result"] != nil }, "the ping after it: \(answers)")
    }

    @Test func finishedJobsAreSweptAfterTheRetention() async throws {
        let world = try await JobWorld.make()
        let session = try await MCPSession.start(world, arguments: ["--retention", "2s"])
        let id = try #require(try await session.job("submit", ["command": "echo bye"]).string("job_id"))
        // A job the CLI started is not the server's to remove.
        let cliJob = try JobWorld.id(try await world.p("-n", "-d", "--", "true"))
        try await JobWorld.eventually("the server removed its finished job", timeout: .seconds(30)) {
            try world.records.load(id) == nil
        }
        #expect(try await !world.existsOnWorker(world.jobDirectory(id)))
        #expect(try world.records.load(cliJob) != nil)
        await session.stop()
    }
}
