import ArgumentParser
import Foundation

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
              p @gpu --array 1-20 -- ./train.py --seed {}   a sweep over the gpu workers
            """,
        version: PVersion.current,
        subcommands: [
            Run.self, List.self, Logs.self, Watch.self, Stop.self, Pause.self, Resume.self, Wait.self, Pull.self,
            Remove.self,
            Prune.self,
            WorkerCommand.self, KeeperCommand.self, MCPServe.self, UIServe.self,
            RemoteShell.self, KeeperServe.self, FileTransfer.self, RunMany.self, Plan.self, Place.self,
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
    ///
    /// A usage error exits with 1, as SPEC.md says of every usage or state error
    /// (ArgumentParser's own code for it is 64).
    public static func run() async {
        // Swift decodes arguments leniently, turning bytes that are not UTF-8 into U+FFFD:
        // a command or a value would reach the worker altered. Refuse instead.
        for index in 1..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index], String(validatingCString: argument) == nil else {
                continue
            }
            FileDescriptorWriter.write(
                Array(
                    "p: argument \(index) is not valid UTF-8; p carries commands, variables and paths as UTF-8 text and will not alter them.\n"
                        .utf8), to: STDERR_FILENO)
            PCommand.exit(withError: ExitCode(1))
        }
        do {
            var command = try PCommand.parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if PCommand.exitCode(for: error) == .validationFailure {
                FileDescriptorWriter.write(Array((PCommand.fullMessage(for: error) + "\n").utf8), to: STDERR_FILENO)
                PCommand.exit(withError: ExitCode(1))
            }
            PCommand.exit(withError: error)
        }
    }
}
