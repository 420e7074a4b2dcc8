import Dashboard
import Foundation
import RemoteJobs

/// `p-server ui`: the web dashboard behind `p ui`. `p ui` checks its options and passes
/// `--port N --interval-seconds S` (and `--any-port-if-busy` when the port is p's default,
/// `--open` to open a browser). The token is made here, never passed on a command line.
enum UIMain {
    /// The options `p ui` passes on, already checked.
    struct Arguments {
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
                        throw ServerFailure("--port needs a port number")
                    }
                    port = number
                case "--interval-seconds":
                    guard let value = rest.popFirst(), let seconds = Double(value), seconds >= 1, seconds.isFinite
                    else {
                        throw ServerFailure("--interval-seconds needs a number of seconds, at least 1")
                    }
                    intervalSeconds = seconds
                case "--any-port-if-busy": anyPortIfBusy = true
                case "--open": open = true
                default: throw ServerFailure("unknown option \(word)")
                }
            }
        }
    }

    /// Opens `url` in the desktop's browser, if this machine has a way to.
    static func openBrowser(_ url: String) {
        #if os(macOS)
            let opener = "/usr/bin/open"
        #else
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            let candidates = path.split(separator: ":").map { String($0) + "/xdg-open" }
            let opener = candidates.first(where: { access($0, X_OK) == 0 }) ?? ""
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
    static func stopOnSignals() -> [any DispatchSourceSignal] {
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

    static func run(_ words: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(words)
        } catch {
            complain("p-server ui: \(error) (it is started by `p ui`, which checks its options)")
            return 1
        }
        let signalSources = stopOnSignals()
        defer { signalSources.forEach { $0.cancel() } }
        // No terminal to ask on: the configured host-key policy, no prompts; short timeouts,
        // since a worker that does not answer is shown as such and asked again at the next look.
        let engine = JobEngine(options: SSHSessionOptions(connectTimeout: .seconds(5), setupTimeout: .seconds(10)))
        var port = arguments.port
        while true {
            let server = DashboardServer(
                engine: engine, port: port, probeInterval: .seconds(arguments.intervalSeconds))
            do {
                try await server.run { url in
                    say("p ui: the dashboard is at \(url)")
                    say("p ui: Ctrl+C stops it")
                    if arguments.open { openBrowser(url) }
                }
                return 0
            } catch {
                let text = "\(error)"
                let busy =
                    text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98")
                if busy && arguments.anyPortIfBusy && port != 0 {
                    complain("p ui: port \(port) is in use; taking a free one")
                    port = 0
                    continue
                }
                complain(
                    busy
                        ? "p ui: port \(port) is in use: choose another with --port N (--port 0 takes any free port)"
                        : "p ui: cannot serve on 127.0.0.1:\(port): \(error)")
                return 1
            }
        }
    }
}
