import Foundation

/// Writes a tar stream (POSIX pax, which GNU tar, bsdtar and BusyBox extract) of files and
/// symbolic links, so a whole tree crosses the network in one exec with no round trip per
/// file. Ownership is left out (uid and gid 0, no names): the worker's user owns what it
/// extracts.
struct TarWriter {
    static let blockSize = 512

    /// The header block(s) of an entry: a pax header first when the path or link target
    /// does not fit ustar's fields, or the size or mtime does not fit their octal fields.
    static func header(path: String, kind: SyncEntry.Kind, mode: UInt32, size: UInt64, modified: Int64) -> [UInt8] {
        let name = Array(path.utf8)
        var linkTarget: [UInt8] = []
        var type: UInt8 = 0x30  // '0', a regular file
        if case .symlink(let target) = kind {
            linkTarget = Array(target.utf8)
            type = 0x32  // '2'
        }
        let entrySize = type == 0x30 ? size : 0
        var records: [(String, [UInt8])] = []
        let split = splitName(name)
        if split == nil { records.append(("path", name)) }
        if linkTarget.count > 100 { records.append(("linkpath", linkTarget)) }
        if entrySize > 0o77777777777 { records.append(("size", Array(String(entrySize).utf8))) }
        if modified < 0 || modified > 0o77777777777 { records.append(("mtime", Array(String(modified).utf8))) }
        var output: [UInt8] = []
        if !records.isEmpty {
            let body = records.flatMap { paxRecord($0.0, $0.1) }
            output += ustar(
                name: Array("PaxHeader/".utf8) + Array(name.suffix(80)), prefix: [], type: 0x78, mode: 0o644,
                size: UInt64(body.count), modified: max(0, min(modified, 0o77777777777)), linkTarget: [])
            output += padded(body)
        }
        let fields = split ?? (prefix: [], name: Array(name.suffix(100)))
        output += ustar(
            name: fields.name, prefix: fields.prefix, type: type, mode: mode & 0o7777, size: entrySize,
            modified: max(0, min(modified, 0o77777777777)), linkTarget: Array(linkTarget.prefix(100)))
        return output
    }

    /// The two zero blocks that end an archive.
    static let end = [UInt8](repeating: 0, count: 2 * blockSize)

    /// Zero bytes that pad `count` bytes of content to a whole block.
    static func padding(after count: UInt64) -> [UInt8] {
        let remainder = Int(count % UInt64(blockSize))
        return remainder == 0 ? [] : [UInt8](repeating: 0, count: blockSize - remainder)
    }

    private static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + padding(after: UInt64(bytes.count)) }

    /// `length key=value\n`, where the length counts the whole record, itself included.
    private static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.count + 1
        var length = rest + String(rest).count
        if String(length).count != String(rest).count { length = rest + String(length).count }
        return Array("\(length) \(key)=".utf8) + value + [0x0A]
    }

    /// ustar's split of a path into a prefix (up to 155 bytes) and a name (up to 100) at a
    /// `/`, or nil when no split fits.
    private static func splitName(_ name: [UInt8]) -> (prefix: [UInt8], name: [UInt8])? {
        if name.count <= 100 { return ([], name) }
        for index in stride(from: min(name.count - 1, 155), through: 1, by: -1) where name[index] == 0x2F {
            let rest = Array(name[(index + 1)...])
            if rest.count <= 100 && !rest.isEmpty { return (Array(name[..<index]), rest) }
        }
        return nil
    }

    private static func ustar(
        name: [UInt8], prefix: [UInt8], type: UInt8, mode: UInt32, size: UInt64, modified: Int64, linkTarget: [UInt8]
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            let digits = Array(String(value, radix: 8).utf8)
            put(
                [UInt8](repeating: 0x30, count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1
            )
        }
        put(name, at: 0, width: 100)
        octal(UInt64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(UInt64(modified), at: 136, width: 12)
        put([UInt8](repeating: 0x20, count: 8), at: 148, width: 8)
        block[156] = type
        put(linkTarget, at: 157, width: 100)
        put(Array("ustar".utf8) + [0, 0x30, 0x30], at: 257, width: 8)
        put(prefix, at: 345, width: 155)
        let checksum = block.reduce(0) { $0 + UInt64($1) }
        let digits = Array(String(checksum, radix: 8).utf8)
        put([UInt8](repeating: 0x30, count: max(0, 6 - digits.count)) + digits + [0, 0x20], at: 148, width: 8)
        return block
    }
}
