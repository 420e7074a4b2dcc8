import ArgumentParser

/// The `p` command: run jobs on remote workers over SSH.
public struct PCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "p",
        abstract: "Run commands on remote workers over SSH, keep them running, watch them.",
        discussion: """
            Examples:
              p worker register me@beefy    register a worker (the first is the default)
              p -- make test                run a job, stream its output
              p beefy -d -- ./train.py      start a job on a named worker, print its id
              p ls -a                       list jobs; p logs -f <id> follows one
            """,
        version: PVersion.current,
        subcommands: [
            Run.self, List.self, Logs.self, Stop.self, Wait.self, Pull.self, Remove.self, Prune.self,
            WorkerCommand.self, MCPServe.self,
            RemoteShell.self, FileTransfer.self, RunMany.self, Plan.self,
        ],
        defaultSubcommand: Run.self
    )

    public init() {}
}

/// The version `p --version` prints.
public enum PVersion {
    public static let current = "0.1.0"
}

/// The program's entry point, called from `main.swift`.
public enum PMain {
    /// Parses the command line and runs the command.
    public static func run() async {
        let command: any AsyncParsableCommand.Type = PCommand.self
        await command.main()
    }
}
