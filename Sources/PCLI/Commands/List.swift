import ArgumentParser
import Foundation
import RemoteJobs

/// `p ls`: the jobs, like `docker ps`.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List running jobs (all jobs with -a).",
        discussion: """
            Touches no network unless a job is recorded as running; then asks each of those \
            workers once, in parallel. A worker that cannot be reached is shown as \
            `unreachable` and its records are left as they were.
            """
    )

    @Flag(name: [.short, .long], help: "Also show finished jobs: done, failed, stopped, unknown.")
    var all = false

    @Flag(name: [.short, .customLong("quiet")], help: "Print only the ids.")
    var quiet = false

    @Flag(help: "Print the records as JSON (an array's elements each as a record, with array_id and array_index).")
    var json = false

    @Flag(name: [.short, .long], help: "List each element of an array (ARRAY:INDEX) instead of one line per array.")
    var expand = false

    func run() async throws {
        try await reportingErrors {
            let engine = await EngineFactory.make(connectTimeout: .seconds(5))
            let listing = await engine.list(all: all)
            await engine.close()
            for problem in listing.problems { Report.error("\(problem)") }
            for (worker, reason) in listing.unreachable.sorted(by: { $0.key < $1.key }) {
                Report.error(
                    "worker '\(worker)' is unreachable; its jobs are shown as last known (\(reason.detailForWorker))")
            }
            if json {
                let listed = listing.records.map {
                    ListedJob(record: $0, reachable: listing.unreachable[$0.worker] == nil)
                }
                print(String(decoding: try JobRecord.jsonEncoder.encode(listed), as: UTF8.self))
            } else if quiet {
                for record in listing.records { print(record.id) }
            } else {
                let table = JobFormatting.table(
                    listing.records, unreachable: Set(listing.unreachable.keys), expand: expand)
                print(table.render(width: JobFormatting.terminalWidth).joined(separator: "\n"))
            }
            return 0
        }
    }
}

/// A record in `p ls --json`, with whether its worker answered.
struct ListedJob: Encodable {
    var record: JobRecord
    var reachable: Bool

    enum Keys: String, CodingKey { case workerReachable = "worker_reachable" }

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(reachable, forKey: .workerReachable)
    }
}
