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
            var stdout = TextReader(offset: start)
            var stderr = TextReader(offset: 0)
            do {
                for try await event in engine.events(of: record.id, from: start) {
                    switch event {
                    case .output(let bytes):
                        if let (text, offset) = stdout.read(bytes) {
                            try await writer.write(self.event("output", TextChunk(offset: offset, text: text)))
                        }
                    case .errorOutput(let bytes):
                        if let (text, _) = stderr.read(bytes) {
                            try await writer.write(self.event("output", TextChunk(text: text, stderr: true)))
                        }
                    case .gap(let gap, let isStderr):
                        if !isStderr { stdout.skip(to: gap.to) }
                        try await writer.write(
                            self.event("gap", GapView(from: gap.from, to: gap.to, stderr: isStderr)))
                    case .ended(let ended):
                        if let (text, offset) = stdout.read([], final: true) {
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

    /// One log's bytes as text: a character cut at a chunk's end waits for the next chunk.
    private struct TextReader {
        /// The log's offset of the first byte not handed over yet.
        var offset: UInt64
        private var pending: [UInt8] = []

        init(offset: UInt64) {
            self.offset = offset
        }

        /// The text `bytes` complete (all of it when `final`) and the offset it starts at;
        /// nil when they complete none.
        mutating func read(_ bytes: [UInt8], final: Bool = false) -> (text: String, offset: UInt64)? {
            pending += bytes
            let (text, count) = UTF8Chunk.take(pending[...], final: final)
            guard count > 0 else { return nil }
            defer {
                offset += UInt64(count)
                pending.removeFirst(count)
            }
            return (text, offset)
        }

        /// Bytes a capped log dropped: reading goes on at `to`.
        mutating func skip(to: UInt64) {
            offset = to
            pending = []
        }
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
        ByteBuffer(string: DashboardJSON.event(name, value))
    }
}
