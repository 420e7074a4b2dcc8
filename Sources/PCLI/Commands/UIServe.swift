import ArgumentParser
import Foundation

/// `p ui`: the workers and their jobs in a browser, live.
struct UIServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Show the workers and jobs in a browser, live (a local web page).",
        discussion: """
            Serves a page on 127.0.0.1 only and prints its URL, which carries a random token (as \
            Jupyter's does): open it in a browser on this machine (over SSH: ssh -L PORT:127.0.0.1:PORT). \
            A request without the token, from another site, or for another host name is refused.

            The page shows each worker (reachable or not, load per CPU, memory, each GPU's use and \
            memory, slots used, labels) with plots of their last 120 measurements, taken every 5 s \
            (--interval) while a page is open; the jobs as p ls -a lists them, with filters by status, worker and label \
            and arrays grouped; and a job's page with its command, times, exit code and its log \
            followed live, with buttons to stop, pause and resume it. Changes are pushed to the page \
            as they happen. Everything is served by p: no network access is needed.

            Runs until Ctrl+C (or TERM); the jobs run on.
            """
    )

    @Option(help: "The port to serve on (0: any free port). Without it, 8787, or a free port if that one is in use.")
    var port: Int?

    @Flag(help: "Open the page in this machine's browser (xdg-open).")
    var open = false

    @Option(help: "How often to measure the workers while a page is open (1s to 1h).")
    var interval = DurationArgument(.seconds(5))

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
        if interval.duration < .seconds(1) || interval.duration > .seconds(3600) {
            throw ValidationError("--interval must be between 1s and 1h.")
        }
    }

    /// Replaces this process with `p-server ui`, installed beside p: p itself does not load
    /// an HTTP server. The token is made there, never on a command line.
    func run() async throws {
        var arguments = ["--port", String(port ?? 8787), "--interval-seconds", String(interval.duration.inSeconds)]
        if port == nil { arguments.append("--any-port-if-busy") }
        if open { arguments.append("--open") }
        try CompanionProgram.replaceProcess(withServer: "ui", command: "p ui", arguments: arguments)
    }
}
