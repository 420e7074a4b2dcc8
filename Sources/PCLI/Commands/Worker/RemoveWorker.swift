import ArgumentParser
import RemoteJobs

extension WorkerCommand {
    /// `p worker rm NAME`.
    struct RemoveWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Unregister a worker (refused while it has running jobs).")

        @Argument(help: "The worker's name.")
        var name: String

        func run() async throws {
            try await reportingErrors {
                return try await EngineFactory.withEngine(connectTimeout: .seconds(5)) { engine in
                    try await engine.unregister(name)
                    print("removed worker '\(name)'")
                    return 0
                }
            }
        }
    }
}
