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

/// The resources a client subscribed to, followed through the server's status watch
/// (`JobWatchHub`): each change of a subscribed job's status is reported under the URIs
/// that name it.
actor JobWatcher {
    private let hub: JobWatchHub
    /// Subscribed URI → the full id of its job.
    private var ids: [String: String] = [:]

    init(hub: JobWatchHub) {
        self.hub = hub
    }

    /// Starts reporting changes of the resource at `uri`.
    /// - Returns: the full id of its job.
    @discardableResult
    func subscribe(_ uri: String) async throws -> String {
        guard let (prefix, _) = JobResources.parse(uri) else {
            throw MCPError.invalidParams("not a resource of p: \(uri)")
        }
        let id = try await hub.follow(prefix, for: .subscription).id
        ids[uri] = id
        return id
    }

    /// Stops reporting changes of the resource at `uri`.
    func unsubscribe(_ uri: String) async {
        guard let id = ids.removeValue(forKey: uri) else { return }
        if !ids.values.contains(id) { await hub.release(id, for: .subscription) }
    }

    /// The subscribed URIs that name job `id`.
    func uris(of id: String) -> [String] {
        ids.filter { $0.value == id }.map(\.key)
    }
}
