import Foundation
import MCP
import RemoteJobs
import SSHTransport
import Synchronization

/// The `job` and `exec` tools over one long-lived `JobEngine`: what `p mcp` serves.
final class JobTools: Sendable {
    static let submitter = "mcp"

    let engine: JobEngine
    let configuration: JobServer.Configuration
    private let cap: LiveJobCap
    /// The ids of the jobs these tools started that run on (a submit's, a task's, an `exec`
    /// that outlived its limit), for the server's log messages.
    let startedJobs: AsyncStream<String>
    private let started: AsyncStream<String>.Continuation

    init(engine: JobEngine, configuration: JobServer.Configuration) {
        self.engine = engine
        self.configuration = configuration
        self.cap = LiveJobCap(limit: configuration.maxLiveJobs, submitter: Self.submitter)
        (startedJobs, started) = AsyncStream.makeStream()
    }

    /// Runs a tool call; every failure is a tool error with a message, never a crash.
    func call(_ name: String, _ arguments: [String: Value]?) async -> CallTool.Result {
        do {
            let arguments = ToolArguments(arguments)
            switch name {
            case "job": return try await job(arguments)
            case "exec": return try output(try await exec(arguments))
            case "job_poll": return try output(try await poll(arguments))
            case "job_list": return try output(ListOutput(jobs: try await list(arguments)))
            default: throw ToolError("there is no tool '\(name)'; the tools are job, job_poll, job_list and exec")
            }
        } catch {
            return Self.toolError("\(error)")
        }
    }

    private func job(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let action = try arguments.requiredString("action")
        switch action {
        case "submit": return try output(try await submit(arguments))
        case "poll": return try output(try await poll(arguments))
        case "cancel": return try output(try await cancel(arguments))
        case "pause", "resume": return try output(try await pause(arguments, pausing: action == "pause"))
        case "list": return try output(ListOutput(jobs: try await list(arguments)))
        case "pull": return try output(try await pullResults(arguments))
        default: throw ToolError("unknown action '\(action)'; use submit, poll, cancel, pause, resume, list or pull")
        }
    }

    /// The result as structured content, and as its JSON text for clients that read text.
    func output<T: Encodable>(_ value: T) throws -> CallTool.Result {
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
        let clientKey = try arguments.string("client_key")
        if let clientKey, clientKey.isEmpty || clientKey.utf8.count > 512 {
            throw ToolError("'client_key' must be 1 to 512 bytes")
        }
        let id = clientKey.map { JobRequest.jobID(forClientKey: $0) } ?? UUID().uuidString.lowercased()
        var request = JobRequest(
            command: command, worker: try Self.workerChoice(arguments), environment: environment,
            cwd: syncDirectory ?? FileManager.default.currentDirectoryPath,
            timeout: timeout.map { .seconds($0) }, syncDirectory: syncDirectory,
            submitter: Self.submitter, id: id, slurm: try Self.slurmRequest(arguments),
            after: try arguments.string("after").map { try JobRequest.parseDependencies($0) } ?? [],
            afterAnyOutcome: try arguments.bool("after_any") ?? false, clientKey: clientKey)
        request.onEnd = try arguments.string("on_end")
        request.pull = try arguments.stringList("pull") ?? []
        if let retries = try arguments.integer("retry", in: 1...100) {
            request.retry = try RetryPolicy.parse(count: retries, on: try arguments.string("retry_on"))
            request.retry?.lostAfter = try arguments.integer("lost_after_s", in: 1...(30 * 86_400))
        } else if try arguments.string("retry_on") != nil || arguments.values["lost_after_s"] != nil {
            throw ToolError("'retry_on' and 'lost_after_s' go with 'retry'")
        }
        if let directory = try arguments.string("pull_to") {
            guard directory.hasPrefix("/") else { throw ToolError("'pull_to' must be an absolute path: \(directory)") }
            request.pullTo = directory
        }
        request.separateStderr = try arguments.bool("separate_stderr") ?? false
        if let cap = arguments.values["max_log"] {
            if let bytes = cap.intValue, bytes > 0 {
                request.maxLog = UInt64(bytes)
            } else if let text = cap.stringValue, let bytes = try? ByteSize.parse(text) {
                request.maxLog = bytes
            } else {
                throw ToolError("'max_log' is a size: bytes, or a string such as \"10M\"")
            }
        }
        if let array = try Self.jobArray(arguments) {
            return try await submitArray(request, array: array)
        }
        try await cap.admit(id, engine: engine)
        let record: JobRecord
        do {
            record = try await engine.submit(request)
        } catch {
            await cap.release(id)
            throw error
        }
        await cap.release(id)
        started.yield(record.id)
        return SubmitOutput(
            job_id: record.id, host: record.worker, remote_pid: record.pid, started_at: Self.date(record.startedAt),
            status: record.status.name, client_key: record.clientKey)
    }

    /// The array `array` or `each` asks for, if any.
    private static func jobArray(_ arguments: ToolArguments) throws -> JobArray? {
        let spec = try arguments.string("array")
        let words = try arguments.stringList("each")
        if spec != nil && words != nil { throw ToolError("give 'array' or 'each', not both") }
        if let spec { return try JobArray.parse(spec) }
        return try words.map { try JobArray.each($0) }
    }

    /// Starts a job array; each element counts against the cap on live jobs.
    private func submitArray(_ request: JobRequest, array: JobArray) async throws -> SubmitOutput {
        let placeholders = array.elements.map { "array-element-\($0.index)-" + UUID().uuidString }
        let submission: ArraySubmission
        do {
            for id in placeholders { try await cap.admit(id, engine: engine) }
            submission = try await engine.submitArray(request, array: array)
        } catch {
            for id in placeholders { await cap.release(id) }
            throw error
        }
        // The elements' records count from here on.
        for id in placeholders { await cap.release(id) }
        for record in submission.records { started.yield(record.id) }
        return SubmitOutput(
            job_id: submission.id, host: Set(submission.records.map(\.worker)).sorted().joined(separator: ","),
            remote_pid: nil, started_at: nil, status: "queued", client_key: nil, array_id: submission.id,
            elements: submission.records.map {
                ArrayElementOutput(job_id: $0.id, index: $0.array?.index ?? 0, host: $0.worker)
            },
            not_started: submission.failures.map { "element \($0.index) on \($0.worker): \($0.reason)" })
    }

    /// `host` (a worker's name) or `pool` (a label: the least busy worker carrying it).
    private static func workerChoice(_ arguments: ToolArguments) throws -> String? {
        let host = try arguments.string("host")
        let pool = try arguments.string("pool")
        if host != nil && pool != nil { throw ToolError("give 'host' or 'pool', not both") }
        if let pool {
            guard Worker.isValidLabel(pool) else { throw ToolError("'pool' is a worker label, not '\(pool)'") }
            return "@" + pool
        }
        return host
    }

    /// The Slurm options of a submit.
    private static func slurmRequest(_ arguments: ToolArguments) throws -> SlurmRequest {
        let options: [String]
        do {
            options = try (try arguments.string("sbatch_options")).map { try SlurmRequest.splitOptions($0) } ?? []
        } catch let error as RemoteJobsError {
            throw ToolError("'sbatch_options': \(error)")
        }
        return SlurmRequest(
            gpus: try arguments.string("gpus"), time: try arguments.string("time"),
            partition: try arguments.string("partition"), cpus: try arguments.integer("cpus", in: 1...100_000),
            memory: try arguments.string("mem"), extraOptions: options)
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
        let filter = try (try arguments.string("filter")).map { pattern throws(RemoteJobsError) in
            try LineFilter(pattern)
        }
        let streamName = try arguments.string("stream") ?? "stdout"
        guard let stream = LogStream(rawValue: streamName) else {
            throw ToolError("'stream' is \"stdout\" or \"stderr\", not '\(streamName)'")
        }
        let text =
            if let tail {
                try await engine.tailText(id, lines: tail, stream: stream, filter: filter)
            } else {
                try await engine.pollText(
                    id, since: since, maxBytes: maxBytes, stream: stream, wait: .seconds(wait), filter: filter)
            }
        var output = PollOutput(text)
        output.dropped_bytes = text.gap?.dropped
        return output
    }

    // MARK: cancel, list, exec

    private func cancel(_ arguments: ToolArguments) async throws -> CancelOutput {
        let id = try arguments.requiredString("job_id")
        let name = try arguments.string("signal") ?? "TERM"
        guard let signal = JobSignal(rawValue: name) else {
            throw ToolError("'signal' is a signal's name or number (TERM, INT, HUP, USR1, 10...), not '\(name)'")
        }
        let record = try await engine.cancel(id, signal: signal, grace: configuration.cancelGrace)
        return CancelOutput(job_id: record.id, signal_sent: signal.rawValue, status_after: record.status.name)
    }

    /// Brings back an ended job's results (`pull` at submit), into its results directory.
    private func pullResults(_ arguments: ToolArguments) async throws -> PullOutput {
        let pulled = try await engine.pullResults(try arguments.requiredString("job_id"))
        return PullOutput(
            job_id: pulled.job.id, directory: pulled.directory, pulled: pulled.pulled,
            refused: pulled.refused.map { "\($0.path): \($0.reason)" })
    }

    private func pause(_ arguments: ToolArguments, pausing: Bool) async throws -> CancelOutput {
        let id = try arguments.requiredString("job_id")
        let record = pausing ? try await engine.pause(id) : try await engine.resume(id)
        return CancelOutput(
            job_id: record.id, signal_sent: pausing ? JobSignal.stop.rawValue : JobSignal.cont.rawValue,
            status_after: record.status.name)
    }

    /// Every job p knows (not only this server's), oldest first, narrowed by `status` (a
    /// status name), `since` (submitted at or after: an ISO 8601 time, or seconds ago as a
    /// number) and `command` (a substring).
    private func list(_ arguments: ToolArguments) async throws -> [ListEntry] {
        let now = Date()
        let status = try arguments.string("status")
        let known = ["syncing", "queued", "running", "paused", "done", "failed", "stopped", "unknown"]
        if let status, !known.contains(status) {
            throw ToolError("'status' is one of \(known.joined(separator: ", ")), not '\(status)'")
        }
        var since: Date?
        if let seconds = arguments.values["since"]?.doubleValue ?? arguments.values["since"]?.intValue.map(Double.init)
        {
            since = now.addingTimeInterval(-seconds)
        } else if let text = try arguments.string("since") {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw ToolError(
                    "'since' is an ISO 8601 time (2026-12-01T10:00:00Z) or a number of seconds ago, not '\(text)'")
            }
            since = date
        }
        let command = try arguments.string("command")
        let clientKey = try arguments.string("client_key")
        return await engine.list(all: true).records.filter { record in
            (status == nil || record.status.name == status) && (since.map { record.submittedAt >= $0 } ?? true)
                && (command.map { record.command.contains($0) } ?? true)
                && (clientKey.map { record.clientKey == $0 } ?? true)
        }.map { record in
            ListEntry(
                job_id: record.id, host: record.worker, status: record.status.name,
                started_at: Self.date(record.startedAt ?? record.submittedAt),
                age_s: (now.timeIntervalSince(record.startedAt ?? record.submittedAt) * 1000).rounded() / 1000,
                exit_code: record.status.reportedExitCode, command: record.command, cwd: record.cwd,
                reason: record.status.reason, client_key: record.clientKey)
        }
    }

    /// `exec`: runs a command to completion. With `on_timeout: "detach"` (the default) it
    /// runs as a job (stderr kept apart), so a command that outlives `timeout_s` is handed
    /// back as a running job (`still_running`, `job_id`, the output so far and its offset)
    /// instead of being ended; one that ends in time leaves nothing behind. `"kill"` runs it
    /// on a plain exec channel and ends it at the timeout.
    private func exec(_ arguments: ToolArguments) async throws -> ExecOutput {
        switch try await runExec(arguments, within: nil) {
        case .ended(let output), .running(_, let output): return output
        }
    }

    /// How an `exec` went: it ended in time, or it runs on as job `id`.
    enum ExecRun {
        case ended(ExecOutput)
        case running(id: String, ExecOutput)
    }

    /// `exec`, followed for `limit` (else its `timeout_s`).
    func runExec(_ arguments: ToolArguments, within limit: Duration?) async throws -> ExecRun {
        let (request, timeout, onTimeout) = try execRequest(arguments)
        if onTimeout == "kill" {
            let result = try await engine.execute(request.command, worker: request.worker, timeout: .seconds(timeout))
            var signal: String?
            if case .signaled(let name, _) = result.status { signal = name }
            return .ended(
                ExecOutput(
                    stdout: result.stdoutText, stderr: result.stderrText, exit_code: result.status.shellCode,
                    signal: signal))
        }
        let id = request.id ?? UUID().uuidString.lowercased()
        try await cap.admit(id, engine: engine)
        defer { Task { await cap.release(id) } }
        switch try await engine.run(request, within: limit ?? .seconds(timeout)) {
        case .stillRunning(_, let stdoutSoFar):
            // Still running: the stream was detached, the job goes on.
            let piece = UTF8Chunk.take(stdoutSoFar[...], final: false)
            started.yield(id)
            return .running(
                id: id,
                ExecOutput(
                    still_running: true, job_id: id, output_so_far: piece.text, new_offset: UInt64(piece.byteCount)))
        case .ended(let ended, let stdout, let stderr):
            return .ended(Self.execOutput(ended, stdout: stdout, stderr: stderr))
        }
    }

    /// The job `exec`'s arguments describe, its `timeout_s` and its `on_timeout`.
    private func execRequest(_ arguments: ToolArguments) throws -> (JobRequest, Double, String) {
        if try arguments.bool("use_sudo") == true {
            throw ToolError("use_sudo is refused: see the job tool's description; write `sudo -n` in the command.")
        }
        let command = try arguments.requiredString("command")
        let timeout = try arguments.seconds("timeout_s", in: 1...600) ?? 60
        let onTimeout = try arguments.string("on_timeout") ?? "detach"
        guard ["detach", "kill"].contains(onTimeout) else {
            throw ToolError("'on_timeout' is detach or kill, not '\(onTimeout)'")
        }
        var request = JobRequest(
            command: command, worker: try arguments.string("host"), cwd: FileManager.default.currentDirectoryPath,
            submitter: Self.submitter, id: UUID().uuidString.lowercased())
        request.separateStderr = true
        return (request, timeout, onTimeout)
    }

    private static func execOutput(_ ended: JobRecord, stdout: [UInt8], stderr: [UInt8]) -> ExecOutput {
        var signal: String?
        if case .stopped(let name, _, _) = ended.status { signal = name }
        return ExecOutput(
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            exit_code: ended.status.reportedExitCode, signal: signal)
    }

    // MARK: tasks

    /// Starts `exec`'s command as a job and returns once it started (a task's start).
    /// - Returns: the job's id.
    func startExec(_ arguments: ToolArguments) async throws -> String {
        let (request, _, onTimeout) = try execRequest(arguments)
        guard onTimeout == "detach" else {
            throw ToolError("'on_timeout: kill' runs no job, so it cannot be a task; leave it out")
        }
        return try await start(request)
    }

    /// Starts `job`'s submit (one job, not an array) and returns once it started.
    /// - Returns: the job's id.
    func startSubmit(_ arguments: ToolArguments) async throws -> String {
        guard try arguments.requiredString("action") == "submit" else {
            throw ToolError("only the job tool's submit runs as a task")
        }
        guard arguments.values["array"] == nil, arguments.values["each"] == nil else {
            throw ToolError("a task runs one job: submit an array without a task and poll its elements")
        }
        return try await submit(arguments).job_id
    }

    private func start(_ request: JobRequest) async throws -> String {
        let id = request.id ?? UUID().uuidString.lowercased()
        try await cap.admit(id, engine: engine)
        defer { Task { await cap.release(id) } }
        let record = try await engine.submit(request)
        started.yield(record.id)
        return record.id
    }

    /// `exec`'s answer for its task's ended job, read from the job, which is then removed
    /// (an `exec` leaves nothing behind).
    func execOutcome(_ ended: JobRecord) async -> CallTool.Result {
        do {
            let stdout = try await engine.poll(ended.id, since: 0, maxBytes: Self.taskOutputLimit).chunk
            let stderr = (try? await engine.errorOutput(ended.id, maxBytes: Self.taskOutputLimit)) ?? []
            _ = try? await engine.remove(ended.id)
            return try output(Self.execOutput(ended, stdout: stdout, stderr: stderr))
        } catch {
            return Self.toolError("\(error)")
        }
    }

    /// A submit task's answer once its job ended: what `job_poll` says of it, with the last
    /// 100 lines of its output.
    func submitOutcome(_ ended: JobRecord) async -> CallTool.Result {
        await call("job_poll", ["job_id": .string(ended.id), "tail": .int(100)])
    }

    /// The most output a task's answer carries (stdout and stderr each).
    static let taskOutputLimit = 4 << 20

    static func toolError(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }

    static func date(_ date: Date?) -> String? {
        date.map {
            $0.formatted(
                .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        }
    }
}

struct SubmitOutput: Codable {
    var job_id: String
    var host: String
    var remote_pid: Int?
    var started_at: String?
    var status: String
    var client_key: String?
    /// For an array: its id (also in job_id), its elements, and those not started.
    var array_id: String? = nil
    var elements: [ArrayElementOutput]? = nil
    var not_started: [String]? = nil
}

struct PullOutput: Codable {
    var job_id: String
    var directory: String
    var pulled: [String]
    var refused: [String]
}

struct ArrayElementOutput: Codable {
    var job_id: String
    var index: Int
    var host: String
}

struct PollOutput: Codable {
    var status: String
    var exit_code: Int32?
    var output_chunk: String
    var new_offset: UInt64
    var more: Bool
    var finished_at: String?
    var total_bytes: UInt64
    /// Set when `since` fell in the part a capped log dropped: how many bytes were
    /// skipped (the chunk is then the notice, and new_offset the first byte kept after).
    var dropped_bytes: UInt64?

    init(_ poll: TextPoll) {
        total_bytes = poll.logSize
        status = poll.record.status.name
        exit_code = poll.record.status.reportedExitCode
        output_chunk = poll.text
        new_offset = poll.newOffset
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
    var command: String
    var cwd: String
    var reason: String?
    var client_key: String?
}

struct ExecOutput: Codable {
    var stdout: String?
    var stderr: String?
    var exit_code: Int32?
    var signal: String?
    /// Set when `timeout_s` passed and the command goes on as a job.
    var still_running: Bool?
    var job_id: String?
    var output_so_far: String?
    var new_offset: UInt64?
}
