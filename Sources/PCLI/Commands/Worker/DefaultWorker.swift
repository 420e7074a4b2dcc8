import ArgumentParser
import RemoteJobs

extension WorkerCommand {
    /// `p worker default NAME`.
    struct DefaultWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "default", abstract: "Make a worker the default one.")

        @Argument(help: "The worker's name.")
        var name: String

        func run() async throws {
            try await reportingErrors {
                try await EngineFactory.withEngine { engine in
                    try await engine.setDefaultWorker(name)
                    print("default worker: \(name)")
                    return 0
                }
            }
        }
    }
}
