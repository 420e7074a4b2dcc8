import ArgumentParser
import Foundation
import RemoteJobs

/// `p rm <id>...`: remove jobs and their files on the worker.
struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove jobs: their records here and their files on the worker."
    )

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids (all their elements), or ARRAY:INDEX.")
    var ids: [String]

    @Flag(
        name: [.short, .long],
        help:
            "Stop a job that may still run (queued, running, paused) first instead of refusing; end an --on-end command that still runs."
    )
    var force = false

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to remove (see `p ls -a`).") }
    }

    func run() async throws {
        try await reportingErrors {
            return try await EngineFactory.withEngine { engine in
                return try await forEachJob(ids, in: engine, includingReplaced: true) { id in
                    "removed \(try await engine.remove(id, force: force).shortID)"
                }
            }
        }
    }
}
