import Foundation
import MCP
import RemoteJobs

/// Tells of jobs as log messages (`notifications/message`), for clients that show them: a
/// job the server's tools started (`info`), and the end of every followed job (`info` when
/// it succeeded, `warning` when it failed, was stopped or is lost). Ends are seen through
/// the server's status watch (`JobWatchHub`), each told once.
actor JobLogReporter {
    private let hub: JobWatchHub
    private let messages: AsyncStream<(LogLevel, String)>
    private let message: AsyncStream<(LogLevel, String)>.Continuation
    /// The jobs whose end was told: an end may be seen twice (in the record `follow` gets and
    /// through the watch) and is told once. A job ends once, so an id here stays.
    private var told: Set<String> = []

    init(hub: JobWatchHub) {
        self.hub = hub
        (messages, message) = AsyncStream.makeStream()
    }

    /// Follows job `id` until it ends; with `announcing`, tells that it started.
    func follow(_ id: String, announcing: Bool) async {
        guard let record = try? await hub.follow(id, for: .log) else { return }
        if announcing {
            let command = record.array?.command ?? record.command
            message.yield((.info, "job \(record.id) started on \(record.worker): \(Self.shortened(command))"))
        }
        if !record.status.isActive {
            // Ended before it could be watched (a short job): its end is told now.
            await ended(record)
        }
    }

    /// A followed job ended: its line, once.
    func ended(_ record: JobRecord) async {
        guard told.insert(record.id).inserted else { return }
        message.yield((Self.level(of: record.status), Self.endLine(record)))
        await hub.release(record.id, for: .log)
    }

    /// Hands each message to `send`, in order, until cancelled.
    func run(send: @escaping @Sendable (LogLevel, String) async -> Void) async {
        for await (level, text) in messages { await send(level, text) }
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
