import ArgumentParser
import SSHTransport

/// `p _run-many`: runs one command N times at once through a session pool (benchmarks).
struct RunMany: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_run-many",
        abstract: "Run a command many times at once through p's session pool.",
        shouldDisplay: false
    )

    @OptionGroup var connection: TargetOptions

    @Option(name: .customShort("n"), help: "How many times.")
    var count = 100

    @Argument(help: "The host or alias.")
    var host: String

    @Argument(parsing: .captureForPassthrough, help: "The command.")
    var command: [String] = []

    func run() async throws {
        try await reportingErrors {
            let target = try connection.resolve(host)
            let pool = SSHSessionPool()
            let line = command.joined(separator: " ")
            let failures = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<count { group.addTask { try await pool.run(line, on: target).status.shellCode ?? 255 } }
                return try await group.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
            }
            await pool.close()
            return failures == 0 ? 0 : 1
        }
    }
}
