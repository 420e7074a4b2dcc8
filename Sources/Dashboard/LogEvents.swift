import Foundation
import Hummingbird
import RemoteJobs

/// A job's log as server-sent events, followed live from a byte offset (`GET
/// /api/jobs/ID/log?since=N`): `output` (`offset`, `text`; `stderr: true` for a job that
/// keeps stderr apart), `gap` (`from`, `to`: bytes a capped log dropped), `skipped`
/// (`to`: the page asked for the end of a long log), then `end` (the job as the list shows
/// it). Text is cut only between whole UTF-8 characters.
enum LogEvents {
    /// How much of a log the page shows when it opens without an offset: its end.
    static let tailBytes: UInt64 = 256 * 1024

    static func response(engine: JobEngine, id: String, since: UInt64?) async throws -> Response {
        let record = try await engine.loadRecord(id)
        var start = since ?? 0
        var skipped: UInt64?
        if since == nil {
            let size = try await engine.poll(record.id, since: 0, maxBytes: 0).logSize
            if size > tailBytes {
                start = size - tailBytes
                skipped = start
            }
        }
        let body = ResponseBody { [start, skipped] writer in
            if let skipped { try await writer.write(event("skipped", ["to": skipped])) }
            var offset = start
            var pending: [UInt8] = []
            var pendingError: [UInt8] = []
            do {
                for try await event in engine.events(of: record.id, from: start) {
                    switch event {
                    case .output(let bytes):
                        pending += bytes
                        let (text, count) = UTF8Chunk.take(pending[...], final: false)
                        if count > 0 {
                            try await writer.write(self.event("output", TextChunk(offset: offset, text: text)))
                            offset += UInt64(count)
                            pending.removeFirst(count)
                        }
                    case .errorOutput(let bytes):
                        pendingError += bytes
                        let (text, count) = UTF8Chunk.take(pendingError[...], final: false)
                        if count > 0 {
                            try await writer.write(self.event("output", TextChunk(text: text, stderr: true)))
                            pendingError.removeFirst(count)
                        }
                    case .gap(let gap, let stderr):
                        if !stderr {
                            offset = gap.to
                            pending = []
                        }
                        try await writer.write(self.event("gap", GapView(from: gap.from, to: gap.to, stderr: stderr)))
                    case .ended(let ended):
                        if !pending.isEmpty {
                            let (text, _) = UTF8Chunk.take(pending[...], final: true)
                            try await writer.write(self.event("output", TextChunk(offset: offset, text: text)))
                        }
                        try await writer.write(self.event("end", JobView(ended)))
                    }
                }
            } catch let failure as RemoteJobsError {
                try await writer.write(self.event("failure", ["error": failure.description]))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: body)
    }

    private struct TextChunk: Encodable {
        var offset: UInt64?
        var text: String
        var stderr: Bool?
    }

    private struct GapView: Encodable {
        var from: UInt64
        var to: UInt64
        var stderr: Bool
    }

    private static func event<Value: Encodable>(_ name: String, _ value: Value) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(String(decoding: DashboardJSON.data(value), as: UTF8.self))\n\n")
    }
}
