import Foundation
import MCP
import RemoteJobs
import SSHTransport

/// MCP tasks over p's jobs: a long `exec`, or a `submit` whose answer is the job's end,
/// answered with a task that the client polls instead of a result it waits for. The task's
/// id is the job's, its TTL the server's retention of finished jobs; cancelling the task
/// stops the job. Two forms are served side by side, each task answering in the form it was
/// asked in:
/// - MCP 2025-11-25 (experimental tasks): the client asks with `task` in `tools/call`; the
///   answer is `{task}` at once; `tasks/get`, `tasks/result` (waits for the end), `tasks/list`
///   and `tasks/cancel`; a tool error ends the task `failed`.
/// - SEP-2663 (the `io.modelcontextprotocol/tasks` extension): the client offers the
///   extension in the request's `_meta`; p decides: an `exec` still running after a second
///   becomes a task (`resultType: "task"`), a shorter one is answered as usual; `tasks/get`
///   carries the result once `completed` (tool errors included, as the extension says), and
///   `tasks/cancel` and `tasks/update` are acknowledged.
///
/// Tasks live in this server's memory: after a restart the jobs are still there (their ids,
/// `client_key`, `job_poll`), the tasks are not.
actor JobTasks {
    /// The form a task was asked in, and answers in.
    enum Form: Sendable {
        case core
        case tasksExtension
    }

    /// What a task's job was started by.
    enum Kind: Sendable {
        case exec
        case submit
    }

    private struct Entry {
        let kind: Kind
        let form: Form
        let createdAt: Date
        var lastUpdatedAt: Date
        var status = "working"
        var statusMessage: String?
        /// The call's answer, once the task ended.
        var result: CallTool.Result?

        var isTerminal: Bool { status != "working" }
    }

    /// The extension's identifier (SEP-2663).
    static let extensionID = "io.modelcontextprotocol/tasks"
    /// How often a client is asked to poll.
    static let pollInterval = 500
    /// How long an `exec` offered the extension runs before it becomes a task.
    static let extensionThreshold: Duration = .seconds(1)

    private let tools: JobTools
    private let hub: JobWatchHub
    private let ttl: Duration
    private var entries: [String: Entry] = [:]
    private var finishing: Set<String> = []
    /// Tasks whose job is being stopped by `tasks/cancel`: their end is the cancel's to settle.
    private var cancelling: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var notify: (@Sendable (Value) async -> Void)?

    init(tools: JobTools, hub: JobWatchHub, ttl: Duration) {
        self.tools = tools
        self.hub = hub
        self.ttl = ttl
    }

    /// Sends each later change of a task through `notify` (as `notifications/tasks/status`).
    func reportChanges(through notify: @escaping @Sendable (Value) async -> Void) {
        self.notify = notify
    }

    // MARK: tools/call

    /// A `tools/call`: a task when the client asks for one (or offers the extension and the
    /// call is long), else the tool's answer.
    func call(_ parameters: Value) async throws -> Value {
        guard let name = parameters[member: "name"]?.stringValue else {
            throw MCPError.invalidParams("tools/call needs the tool's name")
        }
        let arguments = ToolArguments(parameters[member: "arguments"]?.objectValue)
        if parameters[member: "task"] != nil {
            let kind: Kind
            switch name {
            case "exec": kind = .exec
            case "job": kind = .submit
            default:
                throw MCPError.methodNotFound("the tool \(name) does not run as a task (its taskSupport is forbidden)")
            }
            let id = try await starting {
                kind == .exec ? try await tools.startExec(arguments) : try await tools.startSubmit(arguments)
            }
            let entry = await begin(id, kind: kind, form: .core)
            return .object(["task": taskValue(id, entry)])
        }
        if name == "exec" && Self.offersExtension(parameters) && (try? arguments.string("on_timeout")) != "kill" {
            let run = try await starting { try await tools.runExec(arguments, within: Self.extensionThreshold) }
            switch run {
            case .ended(let output):
                return try Self.marked(try Value.encoding(tools.output(output)), as: "complete")
            case .running(let id, _):
                let entry = await begin(id, kind: .exec, form: .tasksExtension)
                return try Self.marked(taskValue(id, entry), as: "task")
            }
        }
        var answer = try Value.encoding(await tools.call(name, parameters[member: "arguments"]?.objectValue))
        if Self.offersExtension(parameters) { answer = try Self.marked(answer, as: "complete") }
        return answer
    }

    /// Runs a task's start; a refusal is the call's error (no task was made).
    private func starting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ToolError {
            throw MCPError.invalidParams(error.description)
        } catch let error as RemoteJobsError {
            if case .invalidArgument(let message) = error { throw MCPError.invalidParams(message) }
            throw MCPError.internalError("\(error)")
        } catch {
            throw MCPError.internalError("\(error)")
        }
    }

    private static func offersExtension(_ parameters: Value) -> Bool {
        parameters[member: "_meta"]?[member: "io.modelcontextprotocol/clientCapabilities"]?[member: "extensions"]?[
            member: extensionID] != nil
    }

    private static func marked(_ value: Value, as resultType: String) throws -> Value {
        guard case .object(var members) = value else { return value }
        members["resultType"] = .string(resultType)
        return .object(members)
    }

    /// Registers job `id`'s task (or finds it: a submit with a `client_key` already made).
    private func begin(_ id: String, kind: Kind, form: Form) async -> Entry {
        prune()
        if let entry = entries[id] { return entry }
        let now = Date()
        entries[id] = Entry(kind: kind, form: form, createdAt: now, lastUpdatedAt: now)
        if let record = try? await hub.follow(id, for: .task), !record.status.isActive {
            await update(record)
        }
        return entries[id]!
    }

    // MARK: changes

    /// A change of a task's job: an end settles the task.
    func update(_ record: JobRecord) async {
        guard var entry = entries[record.id], !entry.isTerminal, !finishing.contains(record.id),
            !cancelling.contains(record.id)
        else { return }
        entry.lastUpdatedAt = Date()
        entry.statusMessage = "\(record.status.display) on \(record.worker)"
        guard !record.status.isActive else {
            entries[record.id] = entry
            await send(record.id)
            return
        }
        finishing.insert(record.id)
        let result: CallTool.Result
        if case .unknown(let reason) = record.status {
            result = JobTools.toolError("job \(record.id) is lost: \(reason)")
        } else {
            result = entry.kind == .exec ? await tools.execOutcome(record) : await tools.submitOutcome(record)
        }
        finishing.remove(record.id)
        await hub.release(record.id, for: .task)
        guard var ended = entries[record.id], !ended.isTerminal else { return }
        ended.lastUpdatedAt = Date()
        ended.statusMessage = entry.statusMessage
        ended.result = result
        ended.status = result.isError == true && ended.form == .core ? "failed" : "completed"
        entries[record.id] = ended
        settle(record.id)
        await send(record.id)
    }

    private func settle(_ id: String) {
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume() }
    }

    private func send(_ id: String) async {
        guard let entry = entries[id], let notify else { return }
        await notify(detailed(id, entry))
    }

    /// Forgets ended tasks older than the TTL.
    private func prune() {
        let now = Date()
        entries = entries.filter { !$0.value.isTerminal || now.timeIntervalSince($0.value.createdAt) < ttl.inSeconds }
    }

    // MARK: tasks/*

    /// `tasks/get`.
    func get(_ parameters: Value) throws -> Value {
        let (id, entry) = try task(parameters)
        guard entry.form == .tasksExtension else { return taskValue(id, entry) }
        return (try? Self.marked(detailed(id, entry), as: "complete")) ?? detailed(id, entry)
    }

    /// `tasks/result`: waits until the task ended; what the call would have answered.
    func result(_ parameters: Value) async throws -> Value {
        let (id, entry) = try task(parameters)
        if !entry.isTerminal {
            await withCheckedContinuation { waiters[id, default: []].append($0) }
        }
        guard var result = entries[id]?.result else {
            throw MCPError.invalidParams("task \(id) is gone (its time to live passed)")
        }
        var meta = result._meta ?? Metadata()
        meta.fields["io.modelcontextprotocol/related-task"] = .object(["taskId": .string(id)])
        result._meta = meta
        return try Value.encoding(result)
    }

    /// `tasks/list`: every task this server holds, oldest first.
    func list() -> Value {
        prune()
        let tasks = entries.sorted { $0.value.createdAt < $1.value.createdAt }.map { taskValue($0.key, $0.value) }
        return .object(["tasks": .array(tasks)])
    }

    /// `tasks/cancel`: stops the task's job.
    func cancel(_ parameters: Value) async throws -> Value {
        let id = parameters[member: "taskId"]?.stringValue ?? ""
        guard let entry = entries[id] else {
            throw MCPError.invalidParams("no task \(id)")
        }
        let acknowledgement = Value.object(["resultType": .string("complete")])
        if entry.isTerminal {
            if entry.form == .tasksExtension { return acknowledgement }
            throw MCPError.invalidParams("Cannot cancel task in terminal state '\(entry.status)'")
        }
        guard !finishing.contains(id) else {
            // It ended just now; its end is being settled.
            return entry.form == .core ? taskValue(id, entry) : acknowledgement
        }
        cancelling.insert(id)
        defer { cancelling.remove(id) }
        let record = try await starting {
            try await tools.engine.cancel(id, signal: .term, grace: tools.configuration.cancelGrace)
        }
        guard var cancelled = entries[id], !cancelled.isTerminal else {
            return entry.form == .core ? taskValue(id, entries[id] ?? entry) : acknowledgement
        }
        await hub.release(id, for: .task)
        cancelled.status = "cancelled"
        cancelled.statusMessage = "stopped by tasks/cancel (\(record.status.display))"
        cancelled.lastUpdatedAt = Date()
        cancelled.result = JobTools.toolError("task \(id) was cancelled: its job was stopped")
        entries[id] = cancelled
        settle(id)
        await send(id)
        return entry.form == .core ? taskValue(id, cancelled) : acknowledgement
    }

    private func task(_ parameters: Value) throws -> (String, Entry) {
        prune()
        let id = parameters[member: "taskId"]?.stringValue ?? ""
        guard let entry = entries[id] else { throw MCPError.invalidParams("no task \(id)") }
        return (id, entry)
    }

    // MARK: the task's shape

    /// The task as the form it was asked in writes it.
    private func taskValue(_ id: String, _ entry: Entry) -> Value {
        var members: [String: Value] = [
            "taskId": .string(id), "status": .string(entry.status),
            "createdAt": .string(JobTools.date(entry.createdAt) ?? ""),
            "lastUpdatedAt": .string(JobTools.date(entry.lastUpdatedAt) ?? ""),
        ]
        if let message = entry.statusMessage { members["statusMessage"] = .string(message) }
        switch entry.form {
        case .core:
            members["ttl"] = .int(Int(ttl.inSeconds * 1000))
            members["pollInterval"] = .int(Self.pollInterval)
        case .tasksExtension:
            members["ttlSeconds"] = .int(Int(ttl.inSeconds))
            members["pollIntervalMilliseconds"] = .int(Self.pollInterval)
        }
        return .object(members)
    }

    /// The task with its result inlined once completed (the extension's `tasks/get` and
    /// both forms' status notifications).
    private func detailed(_ id: String, _ entry: Entry) -> Value {
        guard case .object(var members) = taskValue(id, entry) else { return taskValue(id, entry) }
        if entry.status == "completed", let result = entry.result, let value = try? Value.encoding(result) {
            members["result"] = value
        }
        return .object(members)
    }
}
