// `p-mcp`: the Model Context Protocol server behind `p mcp`, a program of its own so that
// p itself does not load the MCP SDK (and, through its networking, libcurl and some thirty
// libraries): that cut the start-up every p command pays by about a third. `p mcp` checks its options
// and replaces itself with this program (same process, same stdin and stdout), passing
// `--max-jobs N --retention-seconds S --p PATH`.
import Foundation
import JobServer
import RemoteJobs

/// The options `p mcp` passes on, already checked.
struct ServerArguments {
    var maxJobs = 50
    var retentionSeconds = 3600.0
    /// p itself: the local rsync's remote shell (`p _exec`).
    var p: String?

    init(_ words: [String]) throws {
        var rest = words[...]
        while let word = rest.popFirst() {
            guard let value = rest.popFirst() else { throw Failure("\(word) needs a value") }
            switch word {
            case "--max-jobs":
                guard let number = Int(value), number >= 1 else { throw Failure("--max-jobs \(value)") }
                maxJobs = number
            case "--retention-seconds":
                guard let seconds = Double(value), seconds >= 0, seconds.isFinite else {
                    throw Failure("--retention-seconds \(value)")
                }
                retentionSeconds = seconds
            case "--p": p = value
            default: throw Failure("unknown option \(word)")
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

do {
    let arguments = try ServerArguments(Array(CommandLine.arguments.dropFirst()))
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
        FileHandle.standardError.write(Data("p: \(error)\n".utf8))
    }
    await engine.close()
} catch {
    FileHandle.standardError.write(Data("p-mcp: \(error) (it is started by `p mcp`, which checks its options)\n".utf8))
    exit(1)
}
