import Foundation
import MCP
import RemoteJobs

/// Every job as two MCP resources: `p://jobs/<id>` (its status as JSON) and
/// `p://jobs/<id>/output` (the last 64 KB of its output).
struct JobResources: Sendable {
    let engine: JobEngine

    static let outputTail = 65_536

    /// The templates `resources/templates/list` offers.
    static let templates = [
        Resource.Template(
            uriTemplate: "p://jobs/{job_id}", name: "job", description: "A job's status, as JSON.",
            mimeType: "application/json"),
        Resource.Template(
            uriTemplate: "p://jobs/{job_id}/output", name: "job output",
            description: "The last 64 KB of a job's output (stdout and stderr together).", mimeType: "text/plain"),
    ]

    static func statusURI(_ id: String) -> String { "p://jobs/\(id)" }
    static func outputURI(_ id: String) -> String { "p://jobs/\(id)/output" }

    /// The job id (or prefix) a URI names, and whether it is the output.
    static func parse(_ uri: String) -> (id: String, output: Bool)? {
        guard uri.hasPrefix("p://jobs/") else { return nil }
        let rest = uri.dropFirst("p://jobs/".count)
        let output = rest.hasSuffix("/output")
        let id = output ? rest.dropLast("/output".count) : rest
        guard !id.isEmpty, !id.contains("/") else { return nil }
        return (String(id), output)
    }

    /// MCP's code for a resource that does not exist.
    static let resourceNotFound = -32002

    /// An error of reading or subscribing to `uri` as the protocol states it: a job p does
    /// not know is "resource not found" (MCP's -32002), anything else an internal error with
    /// p's own message, never a type's name and number.
    static func protocolError(_ error: any Error, uri: String) -> MCPError {
        switch error {
        case let error as MCPError:
            return error
        case let error as RemoteJobsError:
            switch error {
            case .unknownJob, .ambiguousJob, .invalidJobID:
                return .serverError(code: resourceNotFound, message: "Resource not found: \(uri): \(error)")
            default:
                return .internalError("\(error)")
            }
        default:
            return .internalError("\(error)")
        }
    }

    /// Both resources of every job p knows, newest first.
    func list() async -> [Resource] {
        await engine.list(all: true).records.reversed().flatMap { record in
            [
                Resource(
                    name: "job \(record.shortID) (\(record.status.name))", uri: Self.statusURI(record.id),
                    description: "\(record.command) on \(record.worker)", mimeType: "application/json"),
                Resource(
                    name: "output of job \(record.shortID)", uri: Self.outputURI(record.id),
                    description: "The last 64 KB of the output of: \(record.command)", mimeType: "text/plain"),
            ]
        }
    }

    /// A resource's content, read now from the worker.
    func read(_ uri: String) async throws -> [Resource.Content] {
        guard let (id, output) = Self.parse(uri) else {
            throw MCPError.invalidParams("not a resource of p: \(uri) (p://jobs/<id> or p://jobs/<id>/output)")
        }
        let head = try await engine.poll(id, since: 0, maxBytes: 0)
        if output {
            let start = head.logSize > UInt64(Self.outputTail) ? head.logSize - UInt64(Self.outputTail) : 0
            var piece = try await engine.poll(id, since: start, maxBytes: Self.outputTail)
            if let gap = piece.gap {
                // A capped log dropped where the tail would start: its kept end is shorter.
                piece = try await engine.poll(id, since: gap.to, maxBytes: Self.outputTail)
            }
            return [
                .text(
                    UTF8Chunk.take(piece.chunk[...], final: true).text, uri: Self.outputURI(head.record.id),
                    mimeType: "text/plain")
            ]
        }
        let status = JobStatusResource(head.record, totalBytes: head.logSize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [
            .text(
                String(decoding: try encoder.encode(status), as: UTF8.self), uri: Self.statusURI(head.record.id),
                mimeType: "application/json")
        ]
    }
}

/// What `p://jobs/<id>` holds.
struct JobStatusResource: Codable {
    var job_id: String
    var host: String
    var command: String
    var cwd: String
    var status: String
    var reason: String?
    var exit_code: Int32?
    var started_at: String?
    var finished_at: String?
    var total_bytes: UInt64

    init(_ record: JobRecord, totalBytes: UInt64) {
        job_id = record.id
        host = record.worker
        command = record.command
        cwd = record.cwd
        status = record.status.name
        reason = record.status.reason
        exit_code = record.status.reportedExitCode
        started_at = JobTools.date(record.startedAt)
        finished_at = JobTools.date(record.status.endedAt)
        total_bytes = totalBytes
    }
}

/// Watches the jobs a client subscribed to and reports each change of status (queued,
/// running, ended) as soon as it is seen: every 250 ms it asks about the subscribed jobs
/// that have not ended, the workers in parallel, each worker's jobs one after another
/// through the engine's poll server (one long-lived exec per worker, one round trip per
/// job on it), never a new connection per job.
actor JobWatcher {
    private let engine: JobEngine
    /// Subscribed URI → the full id of its job.
    private var ids: [String: String] = [:]
    /// Full job id → the last status seen, and its worker.
    private var lastStatus: [String: String] = [:]
    private var workerOf: [String: String] = [:]

    init(engine: JobEngine) {
        self.engine = engine
    }

    /// Starts reporting changes of the resource at `uri`.
    func subscribe(_ uri: String) async throws {
        guard let (prefix, _) = JobResources.parse(uri) else {
            throw MCPError.invalidParams("not a resource of p: \(uri)")
        }
        let head = try await engine.poll(prefix, since: 0, maxBytes: 0)
        ids[uri] = head.record.id
        workerOf[head.record.id] = head.record.worker
        lastStatus[head.record.id] = lastStatus[head.record.id] ?? head.record.status.name
    }

    /// Stops reporting changes of the resource at `uri`.
    func unsubscribe(_ uri: String) {
        ids[uri] = nil
    }

    /// The subscribed jobs that have not ended, by worker.
    private func watchedByWorker() -> [String: [String]] {
        let active = Set(ids.values).filter {
            ["syncing", "queued", "running", "paused", "unknown"].contains(lastStatus[$0] ?? "")
        }
        return Dictionary(grouping: active, by: { workerOf[$0] ?? "" })
    }

    /// Records a status seen; returns the URIs to report when it changed.
    private func saw(_ record: JobRecord) -> [String] {
        guard lastStatus[record.id] != record.status.name else { return [] }
        lastStatus[record.id] = record.status.name
        return ids.filter { $0.value == record.id }.map(\.key)
    }

    /// Runs until cancelled, handing each change to `report` as it is seen.
    func run(report: @escaping @Sendable (String, JobRecord?) async -> Void) async {
        let engine = self.engine
        while !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                for jobs in watchedByWorker().values {
                    group.addTask {
                        for id in jobs {
                            guard let poll = try? await engine.poll(id, since: 0, maxBytes: 0) else { continue }
                            for uri in await self.saw(poll.record) {
                                await report(uri, poll.record.status.isActive ? nil : poll.record)
                            }
                        }
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
