/// The few SFTP version 3 packets p writes and reads itself for pipelined uploads
/// (draft-ietf-secsh-filexfer-02): libssh2 keeps one request per handle operation in flight,
/// which costs a round trip per file and per step; speaking the protocol directly lets
/// dozens of files be in flight at once on one channel.
enum SFTPWire {
    enum PacketType: UInt8 {
        case initialize = 1, version = 2, open = 3, close = 4, write = 6, fsetstat = 10, remove = 13
        case status = 101, handle = 102
    }

    /// `SSH_FXF_*` open flags.
    static let openWrite: UInt32 = 0x02
    static let openCreate: UInt32 = 0x08
    static let openTruncate: UInt32 = 0x10

    /// A reply from the server.
    enum Reply: Equatable {
        case version(UInt32)
        case status(id: UInt32, code: UInt32, message: String)
        case handle(id: UInt32, [UInt8])
        case other(type: UInt8)
    }

    static func initialize() -> [UInt8] {
        var body: [UInt8] = []
        appendUInt32(3, to: &body)
        return packet(.initialize, body)
    }

    /// OPEN `path` for writing, creating it with `permissions` (the server's umask applies;
    /// FSETSTAT sets them exactly afterwards).
    static func open(id: UInt32, path: [UInt8], permissions: UInt32) -> [UInt8] {
        var body: [UInt8] = []
        appendUInt32(id, to: &body)
        appendString(path, to: &body)
        appendUInt32(openWrite | openCreate | openTruncate, to: &body)
        appendUInt32(0x04, to: &body)  // attribute flags: permissions
        appendUInt32(permissions, to: &body)
        return packet(.open, body)
    }

    /// Appends a WRITE of `data` at `offset` to `output`, without an intermediate copy.
    static func appendWrite(
        id: UInt32, handle: [UInt8], offset: UInt64, data: ArraySlice<UInt8>, to output: inout [UInt8]
    ) {
        let length = 1 + 4 + 4 + handle.count + 8 + 4 + data.count
        appendUInt32(UInt32(length), to: &output)
        output.append(PacketType.write.rawValue)
        appendUInt32(id, to: &output)
        appendString(handle, to: &output)
        appendUInt32(UInt32(truncatingIfNeeded: offset >> 32), to: &output)
        appendUInt32(UInt32(truncatingIfNeeded: offset), to: &output)
        appendUInt32(UInt32(data.count), to: &output)
        output.append(contentsOf: data)
    }

    /// FSETSTAT: exact permissions, and the modification (and access) time.
    static func setAttributes(id: UInt32, handle: [UInt8], permissions: UInt32, modified: UInt32) -> [UInt8] {
        var body: [UInt8] = []
        appendUInt32(id, to: &body)
        appendString(handle, to: &body)
        appendUInt32(0x04 | 0x08, to: &body)
        appendUInt32(permissions, to: &body)
        appendUInt32(modified, to: &body)
        appendUInt32(modified, to: &body)
        return packet(.fsetstat, body)
    }

    static func close(id: UInt32, handle: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        appendUInt32(id, to: &body)
        appendString(handle, to: &body)
        return packet(.close, body)
    }

    static func remove(id: UInt32, path: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        appendUInt32(id, to: &body)
        appendString(path, to: &body)
        return packet(.remove, body)
    }

    private static func packet(_ type: PacketType, _ body: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(5 + body.count)
        appendUInt32(UInt32(1 + body.count), to: &output)
        output.append(type.rawValue)
        output += body
        return output
    }

    static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        output += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func appendString(_ bytes: [UInt8], to output: inout [UInt8]) {
        appendUInt32(UInt32(bytes.count), to: &output)
        output += bytes
    }

    /// Splits the server's byte stream into replies.
    struct Reader {
        private var buffer: [UInt8] = []
        private var start = 0

        mutating func feed(_ bytes: [UInt8]) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            buffer += bytes
        }

        /// The next complete reply, nil until one has fully arrived.
        /// - Throws: `SFTPWire.Malformed` for a packet that cannot be one.
        mutating func next() throws(Malformed) -> Reply? {
            guard buffer.count - start >= 4 else { return nil }
            let length = Int(uint32(at: start))
            guard length >= 1, length <= 1 << 20 else { throw Malformed() }
            guard buffer.count - start >= 4 + length else { return nil }
            let reply = try parse(body: start + 4, length: length)
            start += 4 + length
            if start > 1 << 16 {
                buffer.removeFirst(start)
                start = 0
            }
            return reply
        }

        private func parse(body: Int, length: Int) throws(Malformed) -> Reply? {
            let type = buffer[body]
            var cursor = body + 1
            let end = body + length
            func readUInt32() throws(Malformed) -> UInt32 {
                guard cursor + 4 <= end else { throw Malformed() }
                defer { cursor += 4 }
                return uint32(at: cursor)
            }
            func readString() throws(Malformed) -> [UInt8] {
                let count = Int(try readUInt32())
                guard cursor + count <= end else { throw Malformed() }
                defer { cursor += count }
                return Array(buffer[cursor..<cursor + count])
            }
            switch PacketType(rawValue: type) {
            case .version: return .version(try readUInt32())
            case .status:
                let id = try readUInt32()
                let code = try readUInt32()
                // The message is optional in version 3 replies of some servers.
                let message = cursor < end ? String(decoding: try readString(), as: UTF8.self) : ""
                return .status(id: id, code: code, message: message)
            case .handle:
                let id = try readUInt32()
                return .handle(id: id, try readString())
            default: return .other(type: type)
            }
        }

        private func uint32(at index: Int) -> UInt32 {
            UInt32(buffer[index]) << 24 | UInt32(buffer[index + 1]) << 16 | UInt32(buffer[index + 2]) << 8
                | UInt32(buffer[index + 3])
        }
    }

    /// A packet that breaks the protocol.
    struct Malformed: Error {}
}
