import Foundation
import Hummingbird
import Logging
import NIOCore
import RemoteJobs

/// `p ui`'s server: a web page of the workers and their jobs, live, on 127.0.0.1 only,
/// behind a random token (see `AccessGuard`).
public struct DashboardServer: Sendable {
    /// The engine whose jobs and workers the page shows and acts on.
    public let engine: JobEngine
    /// The port to listen on (0: any free port).
    public let port: Int
    /// The secret the URL carries; generated when not given.
    public let token: String
    /// How often the workers are measured while a page is open.
    public let probeInterval: Duration

    /// A server for `engine`'s jobs on 127.0.0.1:`port`.
    public init(
        engine: JobEngine, port: Int, token: String = DashboardServer.randomToken(),
        probeInterval: Duration = .seconds(5)
    ) {
        self.engine = engine
        self.port = port
        self.token = token
        self.probeInterval = probeInterval
    }

    /// 32 random bytes as hex, from the system's generator.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Serves until the task is cancelled; `onReady` gets the URL to open once the server
    /// listens.
    /// - Throws: when the port cannot be bound (in use, or not allowed).
    public func run(onReady: @escaping @Sendable (String) -> Void) async throws {
        let hub = DashboardHub(engine: engine, probeInterval: probeInterval)
        let boundPort = BoundPort()
        let router = Router()
        let csrf = Self.randomToken()
        router.add(middleware: AccessGuard(token: token, csrfToken: csrf, port: boundPort))
        DashboardRoutes.add(to: router, hub: hub, engine: engine, csrfToken: csrf)
        var logger = Logger(label: "p-ui")
        logger.logLevel = .warning
        let token = self.token
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in
                guard let port = channel.localAddress?.port else { return }
                boundPort.set(port)
                onReady("http://127.0.0.1:\(port)/?token=\(token)")
            },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await hub.run() }
            // Stopping is the caller's (Ctrl+C in p-ui): no shutdown signals of its own.
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            try await group.next()
            group.cancelAll()
        }
    }
}
