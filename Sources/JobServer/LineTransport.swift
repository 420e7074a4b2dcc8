import Foundation
import Logging
import MCP

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
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var pending: [UInt8] = []
            while true {
                let count = read(input, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[..<count]
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    if newline > start { continuation.yield(Data(pending[start..<newline])) }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            continuation.finish()
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
                throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            offset += written
        }
    }

    /// The messages read, one JSON-RPC message (or batch) each.
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
