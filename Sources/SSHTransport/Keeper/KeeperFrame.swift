import Foundation

/// The frames p and its keeper exchange over the keeper's Unix socket, one connection per
/// channel: a type byte, the payload's length (4 bytes, big-endian), the payload.
///
/// A client sends a `request`, then (for a channel) `input` and `inputEnd`; closing its
/// end of the connection hangs the channel up. The keeper answers `accepted` once it has
/// taken the request on (before that, a client that loses the connection knows nothing
/// was sent and connects directly; after it, the command may have started), then
/// `started` or `failure`,
/// then the channel's `stdout` and `stderr` bytes in the order they arrived, then `exit`
/// (or `failure`); for a status or stop request, one `reply`. A connection that ends
/// without `exit` or `failure` means the keeper went away.
enum KeeperFrame {
    enum Kind: UInt8 {
        case request = 1
        case input = 2
        case inputEnd = 3
        case accepted = 9
        case started = 10
        case stdout = 11
        case stderr = 12
        case exit = 13
        case failure = 14
        case reply = 15
    }

    static let headerSize = 5
    /// The largest payload either side accepts: a frame that claims more is a protocol
    /// error, never a reason to allocate.
    static let maxPayload = 1 << 24

    /// `payload` as one frame of `kind`.
    static func encode(_ kind: Kind, _ payload: [UInt8] = []) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(headerSize + payload.count)
        appendHeader(kind, length: payload.count, to: &frame)
        frame += payload
        return frame
    }

    /// Appends the header of a frame of `kind` whose payload is `length` bytes long.
    static func appendHeader(_ kind: Kind, length: Int, to bytes: inout [UInt8]) {
        bytes.append(kind.rawValue)
        let length = UInt32(length)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
    }

    /// `value` as a frame of `kind` with its JSON as the payload.
    static func encode<Value: Encodable>(_ kind: Kind, json value: Value) -> [UInt8] {
        encode(kind, Array((try? JSONEncoder().encode(value)) ?? Data()))
    }
}

/// A frame that breaks the protocol (an unknown type, a length beyond the limit).
struct KeeperProtocolError: Error, CustomStringConvertible {
    var description: String
}

/// Frames cut out of a byte stream as it arrives, whatever the pieces' sizes.
struct KeeperFrameReader {
    private var buffer: [UInt8] = []
    private var start = 0

    /// Bytes received and not yet returned in a frame.
    var pendingCount: Int { buffer.count - start }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    mutating func feed(_ bytes: [UInt8]) {
        compactIfWorthIt()
        buffer += bytes
    }

    /// The next whole frame, or nil until more bytes arrive.
    /// - Throws: `KeeperProtocolError` for an unknown type or an oversized length.
    mutating func next() throws(KeeperProtocolError) -> (kind: KeeperFrame.Kind, payload: [UInt8])? {
        guard buffer.count - start >= KeeperFrame.headerSize else { return nil }
        guard let kind = KeeperFrame.Kind(rawValue: buffer[start]) else {
            throw KeeperProtocolError(description: "unknown frame type \(buffer[start])")
        }
        let length =
            Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8
            | Int(buffer[start + 4])
        guard length <= KeeperFrame.maxPayload else {
            throw KeeperProtocolError(description: "a frame of \(length) bytes")
        }
        let end = start + KeeperFrame.headerSize + length
        guard buffer.count >= end else { return nil }
        let payload = Array(buffer[(start + KeeperFrame.headerSize)..<end])
        start = end
        return (kind, payload)
    }

    /// Drops consumed bytes once they are most of the buffer (amortised O(1) per byte).
    private mutating func compactIfWorthIt() {
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
