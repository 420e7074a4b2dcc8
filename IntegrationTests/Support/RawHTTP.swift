import Foundation
import SSHTransport

/// One HTTP/1.1 request written byte for byte on a TCP connection to 127.0.0.1, with the
/// headers the test chooses (a foreign `Host` or `Origin` included, which an HTTP library
/// would set itself), and the answer's status, headers and body. (Foundation's URLSession
/// on Linux failed talking to chromedriver: "Failed writing header".)
enum RawHTTP {
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static func request(
        port: Int, _ method: String, _ path: String, headers: [String: String] = [:], host: String? = nil,
        body: [UInt8] = []
    ) async throws -> Answer {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")", "Connection: close"]
        lines += headers.map { "\($0.key): \($0.value)" }
        if method == "POST" || !body.isEmpty { lines.append("Content-Length: \(body.count)") }
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n"
        let bytes = try await BlockingWork.run { () throws -> [UInt8] in
            try exchange(port: port, Array(text.utf8) + body)
        }
        let answer = String(decoding: bytes, as: UTF8.self)
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let head = parts.first?.components(separatedBy: "\r\n") ?? []
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
            let status = Int(statusLine.dropFirst(9).prefix(3))
        else { throw TestFailure("not an HTTP answer: \(answer.prefix(200))") }
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Whether `bytes` hold a whole answer: its head and the `Content-Length` bytes after it
    /// (chromedriver keeps the connection open after answering).
    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return false }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces))
        else { return false }
        return bytes.count >= end + 4 + length
    }

    /// Writes `bytes` and reads until the answer is whole or the server closes (a blocking socket, on a thread of
    /// `BlockingWork`'s, never the cooperative pool's).
    private static func exchange(port: Int, _ bytes: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = TestSSHD.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to 127.0.0.1:\(port): \(errno)") }
        guard write(fd, bytes, bytes.count) == bytes.count else { throw TestFailure("short write") }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !isComplete(answer) {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            answer += buffer[..<count]
        }
        return answer
    }
}
