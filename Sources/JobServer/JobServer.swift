import Foundation
import MCP
import RemoteJobs

/// A Model Context Protocol server of background-job tools (`p mcp`): `job` (submit, poll,
/// cancel, list) and `exec`, over one long-lived `JobEngine`, so every call after the first
/// reuses the pooled SSH sessions. State lives in the same job records as the CLI's, so it
/// survives a restart of the server.
public final class JobServer: Sendable {
    /// Limits of a server.
    public struct Configuration: Sendable {
        /// Jobs started by this server that may run at once (default 50).
        public var maxLiveJobs: Int
        /// How long finished jobs started by this server are kept, records and worker files,
        /// before the sweep removes them (default 1 hour).
        public var retention: Duration
        /// Time between TERM and KILL when a job is cancelled with TERM.
        public var cancelGrace: Duration

        /// A configuration.
        public init(maxLiveJobs: Int = 50, retention: Duration = .seconds(3600), cancelGrace: Duration = .seconds(10)) {
            self.maxLiveJobs = max(1, maxLiveJobs)
            self.retention = retention
            self.cancelGrace = cancelGrace
        }
    }

    let tools: JobTools
    private let sweeper: RetentionSweeper

    /// A server over `engine`.
    public init(engine: JobEngine, configuration: Configuration = Configuration()) {
        tools = JobTools(engine: engine, configuration: configuration)
        sweeper = RetentionSweeper(engine: engine, retention: configuration.retention, submitter: JobTools.submitter)
    }

    /// Serves on `transport` (stdio for `p mcp`) until the client disconnects.
    public func run(transport: any Transport) async throws {
        let server = Server(
            name: "p", version: "0.1.0",
            instructions:
                "Run long commands on remote machines (p's workers) as background jobs: submit returns a job id at once; poll with `since` (a byte offset) and `wait_s` to read new output; cancel; list. exec runs a short command to completion.",
            capabilities: .init(tools: .init(listChanged: false)))
        let tools = self.tools
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: JobToolSchemas.all) }
        await server.withMethodHandler(CallTool.self) { call in await tools.call(call.name, call.arguments) }
        let sweep = Task { await sweeper.run() }
        defer { sweep.cancel() }
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
    }
}

/// Removes the finished jobs a server started once they are older than the retention time:
/// records and worker files, as `p rm` does. Runs at start, then every minute (or sooner
/// for short retentions).
struct RetentionSweeper: Sendable {
    let engine: JobEngine
    let retention: Duration
    let submitter: String

    func run() async {
        let period = min(.seconds(60), max(.seconds(1), retention / 4))
        while !Task.isCancelled {
            await sweep(now: Date())
            try? await Task.sleep(for: period)
        }
    }

    func sweep(now: Date) async {
        // Jobs recorded as running may have ended since: ask their workers first.
        _ = await engine.list()
        let limit = Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
        for record in engine.records.loadAll().records where record.submitter == submitter {
            guard let ended = record.status.endedAt ?? (record.status.isRunning ? nil : record.submittedAt),
                now.timeIntervalSince(ended) > limit
            else { continue }
            _ = try? await engine.remove(record.id)
        }
    }
}
