import ArgumentParser

/// `p worker ...`: manage the registered workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Register, list, check, change and remove workers.",
        subcommands: [Register.self, ListWorkers.self, SetWorker.self, RemoveWorker.self, DefaultWorker.self]
    )
}
