import ArgumentParser
import Foundation
import RemoteJobs

extension JobSignal: ExpressibleByArgument {
    public init?(argument: String) {
        let name = argument.uppercased()
        self.init(rawValue: name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name)
    }
}

/// `p stop <id>...`: stop running jobs.
struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop running jobs: TERM to the job's whole process group, KILL after a grace period."
    )

    @Argument(help: "The jobs' ids (unique prefixes).")
    var ids: [String]

    @Option(help: "How long to wait after the signal before KILL.")
    var grace = DurationArgument(.seconds(10))

    @Option(help: "The signal to send first: TERM, INT, HUP, or KILL (at once).")
    var signal: JobSignal = .term

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to stop (see `p ls`).") }
    }

    func run() async throws {
        try await reportingErrors {
            return try await EngineFactory.withEngine { engine in
                return try await forEachJob(ids) { id in
                    let record = try await engine.cancel(id, signal: signal, grace: grace.duration)
                    return "\(record.shortID)  \(record.status.display)"
                }
            }
        }
    }
}
