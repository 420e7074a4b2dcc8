import Foundation
import Testing

/// The guide for agents (`docs/agents.md`) and the skill file agents load
/// (`docs/skills/p-remote-jobs/SKILL.md`) say only what works: every `sh` block runs, in
/// order, in one bash with `set -euo pipefail`, and every `json` block is sent, in order,
/// as a JSON-RPC request to one `p mcp`, against a real sshd. `$JOB_ID` and `$TASK_ID` in a
/// request stand for the job and the task the requests before it made.
@Suite("The guide for agents runs as written", .timeLimit(.minutes(10)), .throttled)
struct AgentGuideTests {
    static let documents = ["docs/agents.md", "docs/skills/p-remote-jobs/SKILL.md"]

    static func text(of document: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
    }

    /// The bodies of the fenced blocks of `language`, in order.
    static func blocks(_ language: String, in text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let lines = current {
                if line.hasPrefix("```") {
                    blocks.append(lines.joined(separator: "\n"))
                    current = nil
                } else {
                    current = lines + [line]
                }
            } else if line == "```" + language {
                current = []
            }
        }
        return blocks
    }

    @Test(arguments: documents) func itsShellBlocksRun(document: String) async throws {
        let blocks = Self.blocks("sh", in: try Self.text(of: document))
        #expect(!blocks.isEmpty)
        let world = try await JobWorld.make()
        let directory = try TestSSHD.makeTemporaryDirectory()
        let script = directory + "/guide.sh"
        try ("exec 2>&1\nset -euo pipefail\ncd " + directory + "/work\n" + blocks.joined(separator: "\n") + "\n")
            .write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
        var environment = world.environment
        let programs = URL(fileURLWithPath: try Shell.pExecutable).deletingLastPathComponent().path
        environment["PATH"] = programs + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let output = try Shell.runWithEnvironment("bash", [script], environment)
        // The watch ran to the job's end, after its last line.
        let ends = output.split(separator: "\n").filter { $0.contains("\"exit_code\":0") && $0.contains("\"done\"") }
        #expect(!ends.isEmpty, "\(output)")
        #expect(output.contains("\"line\":\"finished\"") || output.contains("\"line\":\"passed\""), "\(output)")
    }

    @Test(arguments: documents) func itsRequestsAreAnswered(document: String) async throws {
        let requests = Self.blocks("json", in: try Self.text(of: document))
        guard !requests.isEmpty else { return }
        let world = try await JobWorld.make()
        let client = try RawMCPClient(world)
        defer { client.stop() }
        _ = try client.initialize()
        var jobID = ""
        var taskID = ""
        for request in requests {
            let text = request.replacingOccurrences(of: "$JOB_ID", with: jobID)
                .replacingOccurrences(of: "$TASK_ID", with: taskID)
            let message = try #require(
                try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
            let method = try #require(message["method"] as? String)
            let answer = try client.request(method, message["params"] as? [String: Any] ?? [:])
            let result = try #require(answer["result"] as? [String: Any], "\(text) → \(answer)")
            #expect(result["isError"] as? Bool != true, "\(text) → \(result)")
            if let id = (result["structuredContent"] as? [String: Any])?["job_id"] as? String { jobID = id }
            if let id = (result["task"] as? [String: Any])?["taskId"] as? String { taskID = id }
            if method == "tasks/result" {
                #expect((result["structuredContent"] as? [String: Any])?["stdout"] as? String == "built\n")
            }
        }
        #expect(!jobID.isEmpty && !taskID.isEmpty)
    }
}
