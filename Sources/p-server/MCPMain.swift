import Foundation
import JobServer
import RemoteJobs

/// `p-server mcp`: the Model Context Protocol server behind `p mcp`, on stdin and stdout.
/// `p mcp` checks its options and passes `--max-jobs N --retention-seconds S --p PATH`.
enum MCPMain {
    /// The options `p mcp` passes on, already checked.
    struct Arguments {
        var maxJobs = 50
        var retentionSeconds = 3600.0
        /// p itself: the local rsync's remote shell (`p _exec`).
        var p: String?

        init(_ words: [String]) throws {
            var rest = words[...]
            while let word = rest.popFirst() {
                guard let value = rest.popFirst() else { throw ServerFailure("\(word) needs a value") }
                switch word {
                case "--max-jobs":
                    guard let number = Int(value), number >= 1 else { throw ServerFailure("--max-jobs \(value)") }
                    maxJobs = number
                case "--retention-seconds":
                    guard let seconds = Double(value), seconds >= 0, seconds.isFinite else {
                        throw ServerFailure("--retention-seconds \(value)")
                    }
                    retentionSeconds = seconds
                case "--p": p = value
                default: throw ServerFailure("unknown option \(word)")
                }
            }
        }
    }

    static func run(_ words: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(words)
        } catch {
            complain("p-server mcp: \(error) (it is started by `p mcp`, which checks its options)")
            return 1
        }
        // No terminal to ask on (stdin is the client's): the configured host-key policy, no
        // prompts; the CLI's timeouts. A long-lived server keeps its own pool warm: no keeper.
        let engine = JobEngine(
            options: SSHSessionOptions(connectTimeout: .seconds(10), setupTimeout: .seconds(20)),
            rsyncRemoteShell: arguments.p.map { [$0, "_exec"] })
        let server = JobServer(
            engine: engine,
            configuration: JobServer.Configuration(
                maxLiveJobs: arguments.maxJobs, retention: .seconds(arguments.retentionSeconds)))
        do {
            try await server.run(transport: LineTransport())
        } catch {
            complain("p: \(error)")
        }
        await engine.close()
        return 0
    }
}
