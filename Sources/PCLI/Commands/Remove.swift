import ArgumentParser
import Foundation
import RemoteJobs

/// `p rm <id>...`: remove jobs and their files on the worker.
struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove jobs: their records here and their files on the worker."
    )

    @Argument(help: "The jobs' ids (unique prefixes).")
    var ids: [String]

    @Flag(name: [.short, .long], help: "Stop a running job first instead of refusing.")
    var force = false

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to remove (see `p ls -a`).") }
    }

    func run() async throws {
        try await reportingErrors {
            let engine = EngineFactory.make()
            defer { Task { await engine.close() } }
            return try await forEachJob(ids) { id in
                "removed \(try await engine.remove(id, force: force).shortID)"
            }
        }
    }
}

/// `p prune`: remove every finished job.
struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove every finished job (done, failed, stopped) and its files on the worker."
    )

    @Flag(help: "Only list what would be removed.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Also remove jobs whose status is unknown.")
    var force = false

    func run() async throws {
        try await reportingErrors {
            let engine = EngineFactory.make(connectTimeout: .seconds(5))
            defer { Task { await engine.close() } }
            let result = await engine.prune(includeUnknown: force, dryRun: dryRun)
            for record in result.removed {
                print(
                    "\(dryRun ? "would remove" : "removed") \(record.shortID)  \(record.status.display)  \(JobFormatting.oneLine(record.command))"
                )
            }
            for (worker, reason) in result.failures.sorted(by: { $0.key < $1.key }) {
                Report.error("kept the jobs of worker '\(worker)': \(reason)")
            }
            if result.removed.isEmpty && result.failures.isEmpty { Report.note("nothing to prune") }
            return result.failures.isEmpty ? 0 : 255
        }
    }
}
