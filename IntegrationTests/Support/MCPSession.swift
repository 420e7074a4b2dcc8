import Foundation
import MCP
import SystemPackage

/// `p mcp` started with pipes for stdin and stdout, and an MCP client (the SDK's) talking
/// to it over them, as an agent would.
final class MCPSession: @unchecked Sendable {
    // Immutable after init.
    let pid: pid_t
    let client: Client
    private let stderrPath: String

    static func start(_ world: JobWorld, arguments: [String] = []) async throws -> MCPSession {
        let server = try spawn(world, arguments: arguments)
        let client = Client(name: "p-tests", version: "1")
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: server.output), output: FileDescriptor(rawValue: server.input))
        _ = try await client.connect(transport: transport)
        return MCPSession(pid: server.pid, client: client, stderrPath: server.stderrPath)
    }

    /// `p mcp` started with pipes, without a client: `input` is its stdin, `output` its stdout.
    static func spawn(_ world: JobWorld, arguments: [String] = []) throws -> (
        pid: pid_t, input: Int32, output: Int32, stderrPath: String
    ) {
        var toServer: [Int32] = [0, 0]
        var fromServer: [Int32] = [0, 0]
        guard pipe(&toServer) == 0, pipe(&fromServer) == 0 else { throw TestFailure("pipe failed") }
        let stderrPath = NSTemporaryDirectory() + "p-server-mcp-" + UUID().uuidString + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toServer[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromServer[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        for descriptor in toServer + fromServer { posix_spawn_file_actions_addclose(&actions, descriptor) }
        Spawn.closeInheritedDescriptors(&actions)
        let program = try Shell.pExecutable
        let argv = ([program, "mcp"] + arguments).map { strdup($0) } + [nil]
        let envp = world.environment.map { strdup("\($0)=\($1)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = Spawn.withDefaultSignals { posix_spawn(&pid, program, &actions, &$0, argv, envp) }
        close(toServer[0])
        close(fromServer[1])
        guard spawned == 0 else { throw TestFailure("cannot start p mcp: \(String(cString: strerror(spawned)))") }
        return (pid, toServer[1], fromServer[0], stderrPath)
    }

    private init(pid: pid_t, client: Client, stderrPath: String) {
        self.pid = pid
        self.client = client
        self.stderrPath = stderrPath
    }

    /// Calls a tool; returns its structured result (decoded from its JSON text) and whether
    /// it was a tool error, with the error's message.
    func call(_ name: String, _ arguments: [String: Value]) async throws -> ToolAnswer {
        let (content, isError) = try await client.callTool(name: name, arguments: arguments)
        guard case .text(let text, _, _) = content.first else { throw TestFailure("no text in the answer") }
        if isError == true { return ToolAnswer(values: [:], error: text) }
        let values = try JSONDecoder().decode([String: Value].self, from: Data(text.utf8))
        return ToolAnswer(values: values, error: nil)
    }

    /// `job` with `action` and more arguments.
    func job(_ action: String, _ arguments: [String: Value] = [:]) async throws -> ToolAnswer {
        try await call("job", arguments.merging(["action": .string(action)]) { $1 })
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Ends the server (as a client that goes away would) and waits for it.
    func stop() async {
        await client.disconnect()
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<200 {
            if waitpid(pid, &status, WNOHANG) == pid { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        unlink(stderrPath)
    }
}

/// A tool's answer.
struct ToolAnswer {
    var values: [String: Value]
    var error: String?

    subscript(_ key: String) -> Value? { values[key] }
    func string(_ key: String) -> String? { values[key]?.stringValue }
    func int(_ key: String) -> Int? { values[key]?.intValue }
    func bool(_ key: String) -> Bool? { values[key]?.boolValue }
}
