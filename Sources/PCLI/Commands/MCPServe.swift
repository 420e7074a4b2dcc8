import ArgumentParser
import Foundation

/// `p mcp`: serve p's jobs to programs and agents over the Model Context Protocol.
struct MCPServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve background-job tools to an agent over MCP (stdio).",
        discussion: """
            Speaks the Model Context Protocol on stdin and stdout until the client disconnects. \
            Tools: `job` (submit, poll, cancel, list) and `exec`. Jobs are the CLI's: `p ls` shows \
            them, and the server picks up where it left off after a restart. Finished jobs the \
            server started are removed (records and worker files) after --retention.

            A client configuration (Claude Desktop, for example):
              {"mcpServers": {"p": {"command": "p", "args": ["mcp"]}}}
            """
    )

    @Option(help: "Jobs started by this server that may run at once.")
    var maxJobs = 50

    @Option(help: "Keep finished jobs started by this server this long before removing them (30m, 1h, 2d).")
    var retention = DurationArgument(.seconds(3600))

    func validate() throws {
        if maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1.") }
    }

    /// Replaces this process with `p-server mcp`, installed beside p (same pid, same stdin and
    /// stdout, so the client talks to the server directly): p itself does not load the
    /// MCP SDK, whose libraries added about a third to every command's start-up.
    func run() async throws {
        try CompanionProgram.replaceProcess(
            withServer: "mcp", command: "p mcp",
            arguments: [
                "--max-jobs", String(maxJobs), "--retention-seconds", String(retention.duration.inSeconds),
                "--p", EngineFactory.selfExecutable ?? "p",
            ])
    }
}
