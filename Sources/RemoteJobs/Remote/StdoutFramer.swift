/// Separates the log bytes a worker-side script streams from whatever the login shell
/// printed before the script ran (a `.bashrc` that writes to stdout is common, and sshd
/// runs every command through the login shell): the script prints `p-log-begin\n` first,
/// and only the bytes after it are the log's. Offsets count those bytes alone.
struct StdoutFramer {
    static let marker = Array("p-log-begin\n".utf8)
    private var pending: [UInt8] = []
    private(set) var started = false

    /// The log bytes in `bytes`, once the marker has been seen.
    mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        if started { return bytes }
        pending += bytes
        guard let end = Self.endOfMarker(in: pending) else {
            // Keep only what could still be the start of the marker.
            if pending.count > Self.marker.count { pending.removeFirst(pending.count - Self.marker.count) }
            return []
        }
        started = true
        let rest = Array(pending[end...])
        pending = []
        return rest
    }

    private static func endOfMarker(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
            if bytes[start..<start + marker.count].elementsEqual(marker) { return start + marker.count }
        }
        return nil
    }
}
