import ArgumentParser

/// The `p` command: run jobs on remote workers over SSH.
public struct PCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "p",
        abstract: "Run commands on remote workers over SSH, keep them running, watch them.",
        version: PVersion.current,
        subcommands: [RemoteShell.self, FileTransfer.self, RunMany.self]
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
