// `p-ui`: the web dashboard behind `p ui`, a program of its own so that p itself does not
// load an HTTP server (SwiftNIO and Hummingbird) at every command's start-up, as `p-mcp`
// keeps the MCP SDK apart. `p ui` checks its options and replaces itself with this program,
// passing `--port N --interval-seconds S` (and `--any-port-if-busy` when the port is p's default, `--open` to
// open a browser). The token is made here, never passed on a command line.
import Dashboard
import Foundation
import RemoteJobs

/// The options `p ui` passes on, already checked.
struct UIArguments {
    var port = 8787
    var anyPortIfBusy = false
    var open = false
    var intervalSeconds = 5.0

    init(_ words: [String]) throws {
        var rest = words[...]
        while let word = rest.popFirst() {
            switch word {
            case "--port":
                guard let value = rest.popFirst(), let number = Int(value), (0...65535).contains(number) else {
                    throw Failure("--port needs a port number")
                }
                port = number
            case "--interval-seconds":
                guard let value = rest.popFirst(), let seconds = Double(value), seconds >= 1, seconds.isFinite else {
                    throw Failure("--interval-seconds needs a number of seconds, at least 1")
                }
                intervalSeconds = seconds
            case "--any-port-if-busy": anyPortIfBusy = true
            case "--open": open = true
            default: throw Failure("unknown option \(word)")
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Writes a line to stdout at once (a program reading the URL gets it at once).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes a line to stderr.
func complain(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Opens `url` in the desktop's browser, if this machine has a way to.
func openBrowser(_ url: String) {
    #if os(macOS)
        let opener = "/usr/bin/open"
    #else
        let opener =
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { String($0) + "/xdg-open" }.first { access($0, X_OK) == 0 } ?? ""
    #endif
    guard !opener.isEmpty else {
        complain("p ui: no xdg-open here to open a browser with; open the URL above yourself")
        return
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: opener)
    process.arguments = [url]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { complain("p ui: could not run \(opener): \(error)") }
}

/// Ends the process on Ctrl+C or TERM, saying so: the server has nothing to save (the jobs
/// run on, their records are written as they change), and the workers' execs end with the
/// connections.
func stopOnSignals() -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
        source.setEventHandler {
            say("p ui: stopped")
            exit(0)
        }
        source.resume()
        return source
    }
}

let arguments: UIArguments
do {
    arguments = try UIArguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    complain("p-ui: \(error) (it is started by `p ui`, which checks its options)")
    exit(1)
}
let signalSources = stopOnSignals()
// No terminal to ask on: the configured host-key policy, no prompts; short timeouts, since
// a worker that does not answer is shown as such and asked again at the next look.
let engine = JobEngine(options: SSHSessionOptions(connectTimeout: .seconds(5), setupTimeout: .seconds(10)))
var port = arguments.port
while true {
    let server = DashboardServer(engine: engine, port: port, probeInterval: .seconds(arguments.intervalSeconds))
    do {
        try await server.run { url in
            say("p ui: the dashboard is at \(url)")
            say("p ui: Ctrl+C stops it")
            if arguments.open { openBrowser(url) }
        }
        break
    } catch {
        let text = "\(error)"
        let busy = text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98")
        if busy && arguments.anyPortIfBusy && port != 0 {
            complain("p ui: port \(port) is in use; taking a free one")
            port = 0
            continue
        }
        complain(
            busy
                ? "p ui: port \(port) is in use: choose another with --port N (--port 0 takes any free port)"
                : "p ui: cannot serve on 127.0.0.1:\(port): \(error)")
        exit(1)
    }
}
