import Foundation
import Logging
import MCP
import Synchronization

/// MCP's stdio transport (newline-delimited JSON-RPC) over two file descriptors, read on a
/// thread of its own with blocking reads. The SDK's `StdioTransport` makes its descriptors
/// non-blocking and sleeps 10 ms whenever nothing is there, which adds up to 10 ms to every
/// request: more than a whole poll costs.
public actor LineTransport: Transport {
    /// A logger that discards everything: stdout is the protocol.
    public nonisolated let logger = Logger(label: "p.mcp.transport", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var started = false
    /// The requests read and not yet answered: once the input ends, the messages end only
    /// when these are answered (a client may write its requests and close its end at once).
    private let unanswered = OpenRequests()

    /// A transport reading `input` and writing `output` (stdin and stdout by default).
    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Starts reading.
    public func connect() async throws {
        guard !started else { return }
        started = true
        for descriptor in [input, output] {
            let flags = fcntl(descriptor, F_GETFL)
            if flags >= 0 && flags & O_NONBLOCK != 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        }
        let input = self.input
        let continuation = self.continuation
        let unanswered = self.unanswered
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var pending: [UInt8] = []
            while true {
                let count = read(input, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[..<count]
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    if newline > start {
                        let line = Data(pending[start..<newline])
                        if let refusal = Self.refusal(of: line) {
                            Task { try? await self.send(refusal) }
                        } else {
                            unanswered.read(line)
                            continuation.yield(line)
                        }
                    }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            if unanswered.inputEnded() { continuation.finish() }
        }
    }

    /// Stops handing out messages.
    public func disconnect() async {
        continuation.finish()
    }

    /// Writes one message and its newline.
    public func send(_ data: Data) async throws {
        var bytes = [UInt8](data)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(output, $0.baseAddress!, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                // The client is gone: nothing more can be answered.
                continuation.finish()
                throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            offset += written
        }
        if unanswered.answered(data) { continuation.finish() }
    }

    /// The answer to a line that is no JSON-RPC message, which JSON-RPC 2.0 gives with a
    /// null id (the SDK would answer with an id of its own invention): a parse error for a
    /// line that is not JSON, an invalid request for JSON that is neither an object nor a
    /// batch, or an object without `method`, `result` or `error` (with its id when it has
    /// one). Nil for a line to hand on.
    static func refusal(of line: Data) -> Data? {
        let code: Int
        let message: String
        var id: Any = NSNull()
        switch try? JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed]) {
        case nil:
            (code, message) = (-32700, "Parse error: the line is not JSON")
        case let object as [String: Any]:
            guard object["method"] == nil, object["result"] == nil, object["error"] == nil else { return nil }
            if let given = object["id"], given is String || given is NSNumber { id = given }
            (code, message) = (-32600, "Invalid Request: no method, result or error")
        case is [Any]:
            return nil
        default:
            (code, message) = (-32600, "Invalid Request: not a JSON-RPC object")
        }
        let answer: [String: Any] = ["jsonrpc": "2.0", "id": id, "error": ["code": code, "message": message]]
        return try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])
    }

    /// The messages read, one JSON-RPC message (or batch) each.
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}

/// The ids of the requests a transport read and has not answered, and whether its input
/// ended: the transport's messages end once both hold.
final class OpenRequests: Sendable {
    private let state = Mutex<(ids: Set<String>, ended: Bool)>(([], false))

    /// A line read: counted when it is a request (it has a method and an id).
    func read(_ line: Data) {
        guard let key = Self.requestID(line) else { return }
        state.withLock { _ = $0.ids.insert(key) }
    }

    /// A message sent; whether the messages are now to end (it answered the last request
    /// after the input ended).
    func answered(_ message: Data) -> Bool {
        let key = Self.responseID(message)
        return state.withLock { state in
            if let key { state.ids.remove(key) }
            return state.ended && state.ids.isEmpty
        }
    }

    /// The input ended; whether the messages end now (nothing is left to answer).
    func inputEnded() -> Bool {
        state.withLock { state in
            state.ended = true
            return state.ids.isEmpty
        }
    }

    /// The id of a request, as a key; nil for other messages.
    static func requestID(_ message: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: message)) as? [String: Any],
            object["method"] != nil, let id = object["id"]
        else { return nil }
        return key(id)
    }

    /// The id of a response, as a key; nil for other messages. The SDK writes keys sorted,
    /// so a response begins `{"id":`: only that beginning is read, not the whole answer
    /// (up to 64 KB of output).
    static func responseID(_ message: Data) -> String? {
        let prefix = Array(#"{"id":"#.utf8)
        guard message.count > prefix.count, message.starts(with: prefix) else { return nil }
        let rest = message.dropFirst(prefix.count)
        var end = rest.startIndex
        if rest.first == UInt8(ascii: "\"") {
            // A string: to its closing quote, past escaped characters.
            end = rest.index(after: end)
            while end < rest.endIndex && rest[end] != UInt8(ascii: "\"") {
                end =
                    rest.index(end, offsetBy: rest[end] == UInt8(ascii: "\\") ? 2 : 1, limitedBy: rest.endIndex)
                    ?? rest.endIndex
            }
            end = min(rest.index(after: min(end, rest.index(before: rest.endIndex))), rest.endIndex)
        } else {
            end = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
        }
        guard let id = try? JSONSerialization.jsonObject(with: Data(rest[..<end]), options: .fragmentsAllowed)
        else { return nil }
        return key(id)
    }

    private static func key(_ id: Any) -> String? {
        if id is NSNull { return nil }
        if let text = id as? String { return "s:" + text }
        return "n:\(id)"
    }
}
