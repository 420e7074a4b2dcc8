import ArgumentParser
import Foundation
import RemoteJobs

/// `p prune`: remove every finished job.
struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove every finished job (done, failed, stopped) and its files on the worker.",
        discussion: """
            Jobs that may still run (queued, running, paused) or are being prepared are never pruned, \
            and a job whose --on-end command still runs on the worker is kept until it ends, as is \
            one that a queued job runs after (--after), until that one starts.
            """
    )

    @Flag(help: "Only list what would be removed.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Also remove jobs whose status is unknown.")
    var force = false

    func run() async throws {
        try await reportingErrors {
            return try await EngineFactory.withEngine(connectTimeout: .seconds(5)) { engine in
                let result = await engine.prune(includeUnknown: force, dryRun: dryRun)
                for record in result.removed {
                    print(
                        "\(dryRun ? "would remove" : "removed") \(record.shortID)  \(record.status.display)  \(JobFormatting.oneLine(record.command))"
                    )
                }
                for kept in result.kept {
                    Report.note("kept \(kept.record.shortID)  \(kept.record.status.display)  \(kept.reason)")
                }
                for (worker, reason) in result.failures.sorted(by: { $0.key < $1.key }) {
                    Report.error("kept the jobs of worker '\(worker)': \(reason.detailForWorker)")
                }
                if result.removed.isEmpty && result.kept.isEmpty && result.failures.isEmpty {
                    Report.note("nothing to prune")
                }
                return result.failures.isEmpty ? 0 : 255
            }
        }
    }
}
