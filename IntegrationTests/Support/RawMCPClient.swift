import Foundation
import Testing

/// `p mcp` spoken to in raw JSON-RPC lines, for what no SDK of this machine speaks (the
/// tasks extension of SEP-2663) and for exact field checks: requests are written, and
/// lines read until the answer with the same id (notifications kept apart).
final class RawMCPClient {
    private let server: (pid: pid_t, input: Int32, output: Int32, stderrPath: String)
    private var buffered: [UInt8] = []
    private var nextID = 1
    /// The notifications read so far.
    private(set) var notifications: [[String: Any]] = []

    init(_ world: JobWorld) throws {
        server = try MCPSession.spawn(world)
    }

    /// Sends `initialize` (and `notifications/initialized`); its result.
    func initialize() throws -> [String: Any] {
        let result = try request(
            "initialize",
            [
                "protocolVersion": "2025-11-25", "capabilities": [String: Any](),
                "clientInfo": ["name": "raw", "version": "1"],
            ])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return try #require(result["result"] as? [String: Any], "\(result)")
    }

    /// Sends a request; its whole answer (`result` or `error`).
    func request(_ method: String, _ parameters: [String: Any]) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": parameters])
        while true {
            let message = try readMessage()
            if message["id"] as? Int == id { return message }
            if message["method"] != nil { notifications.append(message) }
        }
    }

    private func send(_ message: [String: Any]) throws {
        let bytes = Array(try JSONSerialization.data(withJSONObject: message)) + [0x0A]
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(server.input, $0.baseAddress!, $0.count) }
            guard written > 0 else { throw TestFailure("cannot write to p mcp") }
            offset += written
        }
    }

    private func readMessage() throws -> [String: Any] {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = Data(buffered[..<newline])
                buffered.removeFirst(newline + 1)
                return try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
            }
            var descriptor = pollfd(fd: server.output, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 60_000) == 1 else { throw TestFailure("p mcp said nothing for 60 s") }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(server.output, &chunk, chunk.count)
            guard count > 0 else { throw TestFailure("p mcp closed its output") }
            buffered += chunk[..<count]
        }
    }

    /// Closes the server's input and waits for it to end.
    func stop() {
        close(server.input)
        close(server.output)
        var status: Int32 = 0
        waitpid(server.pid, &status, 0)
        unlink(server.stderrPath)
    }
}
