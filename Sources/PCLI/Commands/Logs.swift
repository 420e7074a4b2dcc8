import ArgumentParser
import Foundation
import RemoteJobs

/// `p logs <id>`: a job's output.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a job's output so far, or follow it with -f.",
        discussion: """
            Output is byte-exact (binary output and invalid UTF-8 pass through unchanged). \
            With -f, following a job whose earlier stream was cut (a dropped network, or \
            Ctrl+C) resumes where that stream stood; Ctrl+C stops following, not the job.
            """
    )

    @Argument(help: "The job's id (any unique prefix of at least 4 characters).")
    var id: String

    @Flag(name: [.short, .long], help: "Follow the output until the job ends.")
    var follow = false

    @Option(name: .long, help: "Print only the last N lines (then follow, with -f).")
    var tail: Int?

    @Flag(help: "The job's stderr, for a job started with --separate-stderr (its own byte offsets).")
    var stderr = false

    func validate() throws {
        if let tail, tail < 1 { throw ValidationError("--tail needs a number of lines of at least 1.") }
    }

    func run() async throws {
        try await reportingErrors { try await execute() }
    }

    private func execute() async throws -> Int32 {
        return try await EngineFactory.withEngine { engine in
            let write: ([UInt8]) async -> Void = { await FileDescriptorWriter.writeAsync($0, to: STDOUT_FILENO) }
            let stream: LogStream = stderr ? .stderr : .stdout
            var start: UInt64?
            if let tail {
                let poll = try await engine.tail(id, lines: tail, stream: stream)
                await write(poll.chunk)
                guard follow, poll.record.status.isActive else { return 0 }
                start = poll.newOffset
            }
            guard follow else {
                _ = try await engine.output(id, stream: stream, output: write)
                return 0
            }
            let record = try await engine.loadRecord(id)
            if start == nil, !stderr, let resume = record.resumeOffset, resume > 0 {
                Report.note(
                    "[Resuming job \(record.shortID) at byte \(resume), where the last stream stopped; `p logs \(record.shortID)` shows all]"
                )
            }
            let from = start
            let id = record.id
            let both = !stderr && record.separateStderr
            do {
                let ended = try await InterruptWatcher.run {
                    // A job that keeps stderr apart: its stderr to p's, beside its output.
                    both
                        ? try await engine.follow(
                            id, from: from,
                            output: { await FileDescriptorWriter.writeAsync($0, to: STDOUT_FILENO) },
                            errorOutput: { await FileDescriptorWriter.writeAsync($0, to: STDERR_FILENO) })
                        : try await engine.follow(id, from: from, stream: stream) {
                            await FileDescriptorWriter.writeAsync($0, to: STDOUT_FILENO)
                        }
                }
                Report.note(JobFormatting.endLine(ended))
                return await ResultsReport.pullDue([ended], engine: engine) ? 0 : 1
            } catch is CancellationError {
                Report.note(
                    "\n[Stopped following job \(record.shortID); it keeps running]\n"
                        + JobFormatting.resumeHints(record))
                return 130
            }
        }
    }
}
