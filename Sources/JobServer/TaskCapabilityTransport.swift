import Foundation
import Logging
import MCP

/// A transport that adds the tasks capability to the server's answer to `initialize` on its
/// way out: the SDK (0.12.1) has no field for it, and p's server serves tasks
/// (`JobTasks`). It declares MCP 2025-11-25's `tasks` (list, cancel, and `tools/call`) and
/// the `io.modelcontextprotocol/tasks` extension (SEP-2663). Every other message passes
/// as it is.
actor TaskCapabilityTransport: Transport {
    private let base: any Transport
    nonisolated let logger: Logger

    init(_ base: any Transport) {
        self.base = base
        logger = Logger(label: "p.mcp.tasks", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    func connect() async throws { try await base.connect() }
    func disconnect() async { await base.disconnect() }
    func receive() -> AsyncThrowingStream<Data, any Error> {
        // The base is an actor of its own; its stream is handed on as it is.
        let base = self.base
        return AsyncThrowingStream { continuation in
            let forward = Task {
                do {
                    for try await message in await base.receive() { continuation.yield(message) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
    }

    func send(_ data: Data) async throws {
        try await base.send(Self.declaringTasks(data))
    }

    /// `data` with the tasks capability added if it is the answer to `initialize`.
    static func declaringTasks(_ data: Data) -> Data {
        // Most messages are not; only those naming serverInfo are parsed.
        guard data.range(of: Data("\"serverInfo\"".utf8)) != nil,
            var message = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            var result = message["result"] as? [String: Any], result["protocolVersion"] != nil,
            var capabilities = result["capabilities"] as? [String: Any]
        else { return data }
        capabilities["tasks"] = [
            "list": [String: Any](), "cancel": [String: Any](), "requests": ["tools": ["call": [String: Any]()]],
        ]
        var extensions = capabilities["extensions"] as? [String: Any] ?? [:]
        extensions[JobTasks.extensionID] = [String: Any]()
        capabilities["extensions"] = extensions
        result["capabilities"] = capabilities
        message["result"] = result
        return (try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? data
    }
}
