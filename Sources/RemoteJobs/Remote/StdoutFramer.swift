/// Separates what a worker-side script prints on stdout from whatever the login shell
/// printed before the script ran (a `.bashrc` that writes to stdout is common, and sshd
/// runs every command through the login shell): the script prints `p-begin <token>\n` first
/// (see `RemoteScripts.invocation`), with a token new for each invocation, so no login
/// file can print it; only the bytes after it are the script's. Offsets count those bytes
/// alone.
struct StdoutFramer {
    private let marker: [UInt8]
    private var pending: [UInt8] = []
    private(set) var started = false

    /// A framer for the invocation whose marker carries `token`.
    init(token: String) {
        marker = Array("p-begin \(token)\n".utf8)
    }

    /// The script's bytes in `bytes`, once the marker has been seen.
    mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        if started { return bytes }
        pending += bytes
        guard let end = endOfMarker(in: pending) else {
            // Keep only what could still be the start of the marker.
            if pending.count > marker.count { pending.removeFirst(pending.count - marker.count) }
            return []
        }
        started = true
        let rest = Array(pending[end...])
        pending = []
        return rest
    }

    private func endOfMarker(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
            if bytes[start..<start + marker.count].elementsEqual(marker) { return start + marker.count }
        }
        return nil
    }
}
