import Foundation
import Hummingbird
import RemoteJobs

/// The dashboard's HTTP interface: the page, its events, and the job actions. Every route
/// is behind `AccessGuard`.
///
///     GET  /                      the page
///     GET  /app.js, /app.css      its script and style
///     GET  /api/state             what the page shows when it opens (JSON)
///     GET  /api/events            that, then every change (server-sent events)
///     GET  /api/jobs              every job (JSON)
///     GET  /api/jobs/ID           a job's record, as `p ls --json` prints it
///     GET  /api/jobs/ID/log       its log, followed live (server-sent events; ?since=N)
///     POST /api/jobs/ID/stop      stop it (and pause, resume)
enum DashboardRoutes {
    static func add(to router: Router<BasicRequestContext>, hub: DashboardHub, engine: JobEngine, csrfToken: String) {
        router.get("/") { _, _ in
            page(PageFiles.index(csrfToken: csrfToken), type: "text/html; charset=utf-8")
        }
        router.get("/app.js") { _, _ in page(PageFiles.script, type: "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in page(PageFiles.style, type: "text/css; charset=utf-8") }
        router.get("/api/state") { _, _ in json(await hub.snapshot()) }
        router.get("/api/jobs") { _, _ in json(await hub.allJobs()) }
        router.get("/api/events") { _, _ in
            let events = await hub.open()
            let body = ResponseBody { writer in
                // The stream ends when the page goes: the next write fails, and dropping the
                // iterator ends the page's subscription.
                for await text in events { try await writer.write(ByteBuffer(string: text)) }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
        router.get("/api/jobs/:id") { _, context in
            try await answering {
                let record = try await engine.loadRecord(try context.parameters.require("id"))
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JobRecord.jsonEncoder.encode(record))))
            }
        }
        router.get("/api/jobs/:id/log") { request, context in
            try await answering {
                let since = try request.uri.queryParameters["since"].map { text -> UInt64 in
                    guard let offset = UInt64(text) else {
                        throw HTTPError(.badRequest, message: "since must be a byte offset")
                    }
                    return offset
                }
                return try await LogEvents.response(
                    engine: engine, id: try context.parameters.require("id"), since: since)
            }
        }
        for action in JobAction.allCases {
            router.post("/api/jobs/:id/\(action.rawValue)") { _, context in
                try await answering {
                    let id = try context.parameters.require("id")
                    let record = try await action.perform(on: id, engine: engine)
                    return json(JobView(record))
                }
            }
        }
    }

    /// What the buttons of a job's page do.
    enum JobAction: String, CaseIterable {
        case stop, pause, resume

        func perform(on id: String, engine: JobEngine) async throws -> JobRecord {
            switch self {
            case .stop: return try await engine.cancel(id)
            case .pause: return try await engine.pause(id)
            case .resume: return try await engine.resume(id)
            }
        }
    }

    /// `body`'s answer; p's own errors as JSON `{"error": ...}` with a status that says
    /// whose they are (404 for a job p does not know, 409 for one in the wrong state, 502
    /// for a worker that could not be reached).
    static func answering(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as RemoteJobsError {
            return json(["error": failure.description], status: status(of: failure))
        }
    }

    static func status(of failure: RemoteJobsError) -> HTTPResponse.Status {
        switch failure {
        case .unknownJob, .ambiguousJob: return .notFound
        case .jobNotRunning, .jobPreparing, .cannotPause, .jobRunning, .jobEnding, .jobNeeded: return .conflict
        case .invalidArgument: return .badRequest
        default: return .badGateway
        }
    }

    static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: DashboardJSON.data(value))))
    }

    static func page(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
