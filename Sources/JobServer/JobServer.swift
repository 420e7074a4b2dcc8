import Foundation
import MCP
import RemoteJobs
import Synchronization

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
    private let sweeper: RetentionSweep

    /// A server over `engine`.
    public init(engine: JobEngine, configuration: Configuration = Configuration()) {
        tools = JobTools(engine: engine, configuration: configuration)
        sweeper = RetentionSweep(engine: engine, retention: configuration.retention, submitter: JobTools.submitter)
    }

    /// Serves on `transport` (stdio for `p mcp`) until the client disconnects. Besides the
    /// tools, every job is a resource (`JobResources`); a client that subscribes to one is
    /// sent `notifications/resources/updated` when its status changes (`JobWatcher`), and,
    /// once it set a logging level, a `notifications/message` line when it ends.
    public func run(transport: any Transport) async throws {
        let server = Server(
            name: "p", version: "0.1.0",
            instructions:
                "Run long commands on remote machines (p's workers) as background jobs: submit returns a job id at once; "
                + "poll with `since` (a byte offset) and `wait_s` to read new output; cancel; list. "
                + "exec runs a short command to completion. "
                + "Subscribe to p://jobs/<id> to be told when a job's status changes.",
            capabilities: .init(
                logging: .init(), resources: .init(subscribe: true, listChanged: false),
                tools: .init(listChanged: false)))
        let tools = self.tools
        let resources = JobResources(engine: tools.engine)
        let watcher = JobWatcher(engine: tools.engine)
        let logging = LoggingLevel()
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: JobToolSchemas.all) }
        await server.withMethodHandler(CallTool.self) { call in await tools.call(call.name, call.arguments) }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: await resources.list())
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: JobResources.templates)
        }
        await server.withMethodHandler(ReadResource.self) { request in
            do {
                return ReadResource.Result(contents: try await resources.read(request.uri))
            } catch {
                throw JobResources.protocolError(error, uri: request.uri)
            }
        }
        await server.withMethodHandler(ResourceSubscribe.self) { request in
            do {
                try await watcher.subscribe(request.uri)
            } catch {
                throw JobResources.protocolError(error, uri: request.uri)
            }
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { request in
            await watcher.unsubscribe(request.uri)
            return Empty()
        }
        await server.withMethodHandler(SetLoggingLevel.self) { request in
            logging.set(request.level)
            return Empty()
        }
        let sweep = Task { await sweeper.run() }
        defer { sweep.cancel() }
        try await server.start(transport: transport)
        let watch = Task {
            await watcher.run { uri, ended in
                try? await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
                if let ended, logging.isEnabled, JobResources.parse(uri)?.output == false {
                    let code = ended.status.reportedExitCode.map { "exit \($0)" } ?? ended.status.name
                    try? await server.notify(
                        LogMessageNotification.message(
                            .init(level: .notice, logger: "p", data: .string("job \(ended.id) ended: \(code)"))))
                }
            }
        }
        defer { watch.cancel() }
        await server.waitUntilCompleted()
    }
}

/// The logging level a client set (`logging/setLevel`); nil until it sets one.
final class LoggingLevel: Sendable {
    private let level = Mutex<LogLevel?>(nil)

    func set(_ value: LogLevel) { level.withLock { $0 = value } }

    /// Whether job endings (notices) are to be sent.
    var isEnabled: Bool {
        level.withLock { current in
            guard let current else { return false }
            let order: [LogLevel] = [.debug, .info, .notice, .warning, .error, .critical, .alert, .emergency]
            return (order.firstIndex(of: current) ?? 0) <= (order.firstIndex(of: .notice) ?? 2)
        }
    }
}
