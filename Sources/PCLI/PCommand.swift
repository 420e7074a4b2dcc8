import ArgumentParser

/// The `p` command: run jobs on remote workers over SSH.
public struct PCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "p",
        abstract: "Run commands on remote workers over SSH, keep them running, watch them.",
        discussion: """
            Run a command as a job:      p -- make test        (p <worker> -- ..., p -d -- ... to detach)
            Register a worker first:     p worker register user@host
            """,
        version: PVersion.current,
        subcommands: [
            Run.self, List.self, Logs.self, Stop.self, Pull.self, Remove.self, Prune.self, WorkerCommand.self,
            RemoteShell.self, FileTransfer.self, RunMany.self,
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
