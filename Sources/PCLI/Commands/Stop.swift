import ArgumentParser
import Foundation
import RemoteJobs

extension JobSignal: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
}

/// `p stop <id>...`: stop running jobs.
struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop running jobs: TERM to the job's whole process group, KILL after a grace period."
    )

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids (all their elements), or ARRAY:INDEX.")
    var ids: [String]

    @Option(help: "How long to wait after the signal before KILL.")
    var grace = DurationArgument(.seconds(10))

    @Option(
        help: ArgumentHelp(
            "The signal to send first, by name or number as kill -s takes it: TERM, INT, HUP, USR1, 10, KILL (at once).",
            valueName: "signal"))
    var signal: JobSignal = .term

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to stop (see `p ls`).") }
    }

    func run() async throws {
        try await reportingErrors {
            return try await EngineFactory.withEngine { engine in
                return try await forEachJob(ids, in: engine) { id in
                    let record = try await engine.cancel(id, signal: signal, grace: grace.duration)
                    return "\(record.shortID)  \(record.status.display)"
                }
            }
        }
    }
}
