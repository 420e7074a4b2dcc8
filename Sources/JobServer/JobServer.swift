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
    /// sent `notifications/resources/updated` when its status changes (`JobWatcher`). A long
    /// `exec` or a waiting `submit` may be a task (`JobTasks`). Each job the tools start, and
    /// each subscribed job, is told of as a log message when it starts and when it ends
    /// (`JobLogReporter`).
    public func run(transport: any Transport) async throws {
        let server = Server(
            name: "p", version: "0.1.0",
            instructions:
                "Run long commands on remote machines (p's workers) as background jobs: submit returns a job id at once; "
                + "poll with `since` (a byte offset) and `wait_s` to read new output; cancel; list. "
                + "exec runs a short command to completion. "
                + "Subscribe to p://jobs/<id> to be told when a job's status changes. "
                + "exec and job's submit run as tasks for clients that ask (tasks/get, tasks/result).",
            capabilities: .init(
                logging: .init(), resources: .init(subscribe: true, listChanged: false),
                tools: .init(listChanged: false)))
        let tools = self.tools
        let resources = JobResources(engine: tools.engine)
        let hub = JobWatchHub(engine: tools.engine)
        let watcher = JobWatcher(hub: hub)
        let logging = LoggingLevel()
        let tasks = JobTasks(tools: tools, hub: hub, ttl: tools.configuration.retention)
        let reporter = JobLogReporter(hub: hub)
        await server.withMethodHandler(ToolListWithExecution.self) { _ in try JobToolSchemas.listing() }
        await server.withMethodHandler(TaskAwareCallTool.self) { parameters in try await tasks.call(parameters) }
        await server.withMethodHandler(GetTaskMethod.self) { parameters in try await tasks.get(parameters) }
        await server.withMethodHandler(TaskResultMethod.self) { parameters in try await tasks.result(parameters) }
        await server.withMethodHandler(ListTasksMethod.self) { _ in await tasks.list() }
        await server.withMethodHandler(CancelTaskMethod.self) { parameters in try await tasks.cancel(parameters) }
        await server.withMethodHandler(UpdateTaskMethod.self) { _ in .object(["resultType": .string("complete")]) }
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
                let id = try await watcher.subscribe(request.uri)
                await reporter.follow(id, announcing: false)
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
        try await server.start(transport: TaskCapabilityTransport(transport))
        await tasks.reportChanges { task in try? await server.notify(TaskStatusNotification.message(task)) }
        // One watch for everything that follows jobs; each change goes where it is wanted.
        let watch = Task {
            await hub.run { record, following in
                if following.contains(.subscription) {
                    for uri in await watcher.uris(of: record.id) {
                        try? await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
                    }
                }
                if following.contains(.task) { await tasks.update(record) }
                if following.contains(.log) && !record.status.isActive { await reporter.ended(record) }
            }
        }
        defer { watch.cancel() }
        let started = Task {
            for await id in tools.startedJobs { await reporter.follow(id, announcing: true) }
        }
        defer { started.cancel() }
        let log = Task {
            await reporter.run { level, text in
                guard logging.allows(level) else { return }
                try? await server.notify(
                    LogMessageNotification.message(.init(level: level, logger: "p", data: .string(text))))
            }
        }
        defer { log.cancel() }
        await server.waitUntilCompleted()
    }
}

/// The logging level a client set (`logging/setLevel`): messages below it are not sent;
/// until a client sets one, `info` and above are.
final class LoggingLevel: Sendable {
    private let level = Mutex<LogLevel>(.info)

    func set(_ value: LogLevel) { level.withLock { $0 = value } }

    /// Whether a message at `messageLevel` is to be sent.
    func allows(_ messageLevel: LogLevel) -> Bool {
        let order: [LogLevel] = [.debug, .info, .notice, .warning, .error, .critical, .alert, .emergency]
        let current = level.withLock { $0 }
        return (order.firstIndex(of: messageLevel) ?? 0) >= (order.firstIndex(of: current) ?? 0)
    }
}
