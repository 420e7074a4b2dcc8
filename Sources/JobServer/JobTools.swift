import Foundation
import MCP
import RemoteJobs

/// The `job` and `exec` tools over one long-lived `JobEngine`: what `p mcp` serves.
final class JobTools: Sendable {
    static let submitter = "mcp"

    let engine: JobEngine
    let configuration: JobServer.Configuration
    private let gate: SubmitGate

    init(engine: JobEngine, configuration: JobServer.Configuration) {
        self.engine = engine
        self.configuration = configuration
        self.gate = SubmitGate(limit: configuration.maxLiveJobs)
    }

    /// Runs a tool call; every failure is a tool error with a message, never a crash.
    func call(_ name: String, _ arguments: [String: Value]?) async -> CallTool.Result {
        do {
            let arguments = ToolArguments(arguments)
            switch name {
            case "job": return try await job(arguments)
            case "exec": return try output(try await exec(arguments))
            default: throw ToolError("there is no tool '\(name)'; the tools are 'job' and 'exec'")
            }
        } catch {
            let message = (error as? CustomStringConvertible)?.description ?? "\(error)"
            return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    private func job(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let action = try arguments.requiredString("action")
        switch action {
        case "submit": return try output(try await submit(arguments))
        case "poll": return try output(try await poll(arguments))
        case "cancel": return try output(try await cancel(arguments))
        case "list": return try output(ListOutput(jobs: try await list()))
        default: throw ToolError("unknown action '\(action)'; use submit, poll, cancel or list")
        }
    }

    /// The result as structured content, and as its JSON text for clients that read text.
    private func output<T: Encodable>(_ value: T) throws -> CallTool.Result {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        let structured = try JSONDecoder().decode(Value.self, from: data)
        return CallTool.Result(
            content: [.text(text: String(decoding: data, as: UTF8.self), annotations: nil, _meta: nil)],
            structuredContent: Value?.some(structured))
    }

    // MARK: submit

    private func submit(_ arguments: ToolArguments) async throws -> SubmitOutput {
        if try arguments.bool("use_sudo") == true {
            throw ToolError(
                "use_sudo is refused: p never types a password into a job or puts one on a command line. Run the command as the worker's SSH user, or allow that user passwordless sudo for what it needs on the worker and write `sudo -n <command>` in the command itself."
            )
        }
        let command = try arguments.requiredString("command")
        let environment = try arguments.stringMap("env").map { entry throws in
            do {
                return try JobRequest.parseEnvironment(entry.key + "=" + entry.value)
            } catch {
                throw ToolError(
                    "'env' key '\(entry.key)' is not a variable name (letters, digits and _, not first a digit)")
            }
        }
        var syncDirectory: String?
        if let directory = try arguments.string("sync_dir") {
            var isDirectory: ObjCBool = false
            guard directory.hasPrefix("/"),
                FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
                isDirectory.boolValue
            else { throw ToolError("'sync_dir' must be an absolute path to a directory on this machine: \(directory)") }
            syncDirectory = directory
        }
        let timeout = try arguments.seconds("timeout_s", in: 1...(30 * 86_400))
        let id = UUID().uuidString.lowercased()
        let request = JobRequest(
            command: command, worker: try arguments.string("host"), environment: environment,
            cwd: syncDirectory ?? FileManager.default.currentDirectoryPath,
            timeout: timeout.map { .milliseconds(Int64($0 * 1000)) }, syncDirectory: syncDirectory,
            submitter: Self.submitter, id: id)
        try await gate.reserve(id, engine: engine)
        let record: JobRecord
        do {
            record = try await engine.submit(request)
        } catch {
            await gate.release(id)
            throw error
        }
        await gate.release(id)
        return SubmitOutput(
            job_id: record.id, host: record.worker, remote_pid: record.pid, started_at: Self.date(record.startedAt),
            status: record.status.name)
    }

    // MARK: poll

    private func poll(_ arguments: ToolArguments) async throws -> PollOutput {
        let id = try arguments.requiredString("job_id")
        if let since = arguments.values["since"]?.intValue, since < 0 {
            throw ToolError("'since' must be a byte offset of 0 or more, not \(since)")
        }
        let since = UInt64(try arguments.integer("since", in: 0...Int.max) ?? 0)
        let maxBytes = try arguments.integer("max_bytes", in: 4...(1 << 20)) ?? 65_536
        let tail = try arguments.integer("tail", in: 1...1_000_000)
        let wait = try arguments.seconds("wait_s", in: 0...30) ?? 0
        if let tail {
            let result = try await engine.tail(id, lines: tail)
            return PollOutput(
                result, text: UTF8Chunk.take(result.chunk[...], final: true).text, newOffset: result.newOffset)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        while true {
            let result = try await engine.poll(id, since: since, maxBytes: maxBytes)
            let running = result.record.status.isRunning
            let piece = UTF8Chunk.take(result.chunk[...], final: !running && !result.more)
            if piece.byteCount > 0 || !running || ContinuousClock.now >= deadline {
                var output = PollOutput(result, text: piece.text, newOffset: since + UInt64(piece.byteCount))
                output.more = result.more || piece.byteCount < result.chunk.count
                return output
            }
            try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
        }
    }

    // MARK: cancel, list, exec

    private func cancel(_ arguments: ToolArguments) async throws -> CancelOutput {
        let id = try arguments.requiredString("job_id")
        let name = (try arguments.string("signal") ?? "TERM").uppercased()
        guard let signal = JobSignal(rawValue: name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name),
            signal == .term || signal == .kill
        else { throw ToolError("'signal' must be TERM or KILL, not \(name)") }
        let record = try await engine.cancel(id, signal: signal, grace: configuration.cancelGrace)
        return CancelOutput(job_id: record.id, signal_sent: signal.rawValue, status_after: record.status.name)
    }

    private func list() async throws -> [ListEntry] {
        let now = Date()
        return await engine.list(all: true).records.map { record in
            ListEntry(
                job_id: record.id, host: record.worker, status: record.status.name,
                started_at: Self.date(record.startedAt ?? record.submittedAt),
                age_s: (now.timeIntervalSince(record.startedAt ?? record.submittedAt) * 1000).rounded() / 1000,
                exit_code: record.status.exitCode)
        }
    }

    private func exec(_ arguments: ToolArguments) async throws -> ExecOutput {
        if try arguments.bool("use_sudo") == true {
            throw ToolError("use_sudo is refused: see the job tool's description; write `sudo -n` in the command.")
        }
        let command = try arguments.requiredString("command")
        let timeout = try arguments.seconds("timeout_s", in: 1...600) ?? 60
        let result = try await engine.execute(
            command, worker: try arguments.string("host"), timeout: .milliseconds(Int64(timeout * 1000)))
        var signal: String?
        if case .signaled(let name, _) = result.status { signal = name }
        return ExecOutput(
            stdout: result.stdoutText, stderr: result.stderrText, exit_code: result.status.shellCode, signal: signal)
    }

    static func date(_ date: Date?) -> String? {
        date.map {
            $0.formatted(
                .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        }
    }
}

/// Admits submits under the live-job cap. A job counts from the moment its submit is
/// admitted (its id is known before its record exists) until its record says it ended;
/// records say "running" until someone asks the worker, so before refusing, the gate has the
/// engine ask.
actor SubmitGate {
    private let limit: Int
    private var inFlight: Set<String> = []

    init(limit: Int) { self.limit = limit }

    func reserve(_ id: String, engine: JobEngine) async throws(ToolError) {
        if live(engine) >= limit { _ = await engine.list() }
        let count = live(engine)
        guard count < limit else {
            throw ToolError(
                "\(count) jobs started here are still running, the limit (p mcp --max-jobs \(limit)); wait for some to end or cancel them"
            )
        }
        inFlight.insert(id)
    }

    func release(_ id: String) { inFlight.remove(id) }

    private func live(_ engine: JobEngine) -> Int {
        let running = engine.records.loadAll().records.filter {
            $0.submitter == JobTools.submitter && $0.status.isRunning && !inFlight.contains($0.id)
        }
        return running.count + inFlight.count
    }
}

struct SubmitOutput: Codable {
    var job_id: String
    var host: String
    var remote_pid: Int?
    var started_at: String?
    var status: String
}

struct PollOutput: Codable {
    var status: String
    var exit_code: Int32?
    var output_chunk: String
    var new_offset: UInt64
    var more: Bool
    var finished_at: String?

    init(_ poll: JobPoll, text: String, newOffset: UInt64) {
        status = poll.record.status.name
        exit_code = poll.record.status.exitCode
        output_chunk = text
        new_offset = newOffset
        more = poll.more
        finished_at = JobTools.date(poll.record.status.endedAt)
    }
}

struct CancelOutput: Codable {
    var job_id: String
    var signal_sent: String
    var status_after: String
}

struct ListOutput: Codable {
    var jobs: [ListEntry]
}

struct ListEntry: Codable {
    var job_id: String
    var host: String
    var status: String
    var started_at: String?
    var age_s: Double
    var exit_code: Int32?
}

struct ExecOutput: Codable {
    var stdout: String
    var stderr: String
    var exit_code: Int32?
    var signal: String?
}
