import Foundation
import MCP
import RemoteJobs

/// Tells of jobs as log messages (`notifications/message`), for clients that show them: a
/// job the server's tools started (`info`), and the end of every followed job (`info` when
/// it succeeded, `warning` when it failed, was stopped or is lost). Ends are seen through a
/// status watch of their own (one long-lived exec per worker), each told once.
actor JobLogReporter {
    private let watch: JobStatusWatch
    private let announcements: AsyncStream<(LogLevel, String)>
    private let announce: AsyncStream<(LogLevel, String)>.Continuation

    init(engine: JobEngine) {
        watch = JobStatusWatch(engine: engine)
        (announcements, announce) = AsyncStream.makeStream()
    }

    /// Follows job `id` until it ends; with `announcing`, tells that it started.
    func follow(_ id: String, announcing: Bool) async {
        guard let record = try? await watch.watch(id) else { return }
        if announcing {
            let command = record.array?.command ?? record.command
            announce.yield((.info, "job \(record.id) started on \(record.worker): \(Self.shortened(command))"))
        }
        if !record.status.isActive {
            // Ended before it could be watched (a short job): its end is told now.
            await watch.unwatch(record.id)
            announce.yield((Self.level(of: record.status), Self.endLine(record)))
        }
    }

    /// Hands each message to `send` until cancelled.
    func run(send: @escaping @Sendable (LogLevel, String) async -> Void) async {
        let announcements = self.announcements
        let announcer = Task {
            for await (level, text) in announcements { await send(level, text) }
        }
        defer { announcer.cancel() }
        for await record in watch.changes() where !record.status.isActive {
            await watch.unwatch(record.id)
            await send(Self.level(of: record.status), Self.endLine(record))
        }
    }

    /// `job ID ended: exit N` (or the status, for a job with no exit code).
    static func endLine(_ record: JobRecord) -> String {
        let how: String
        switch record.status {
        case .done, .failed: how = record.status.reportedExitCode.map { "exit \($0)" } ?? record.status.display
        default: how = record.status.display
        }
        return "job \(record.id) ended: \(how)"
    }

    static func level(of status: JobStatus) -> LogLevel {
        if case .done = status { return .info }
        return .warning
    }

    private static func shortened(_ command: String) -> String {
        command.count <= 200 ? command : String(command.prefix(200)) + "…"
    }
}
