import Foundation

/// Reading a whole local file: a job record, `config.yaml`, a sync manifest, a
/// `.gitignore`, a line of `/proc`.
enum LocalFile {
    /// The bytes of `path`, or nil when it does not exist.
    static func contents(of path: String) throws(RemoteJobsError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .localFile(path: path, action: "open", errno: errno)
        }
        defer { close(fd) }
        var info = stat()
        // One byte over the size, so a file that has not grown is read in one call and
        // its end seen by the next.
        var bytes = [UInt8](repeating: 0, count: fstat(fd, &info) == 0 ? max(Int(info.st_size), 0) + 1 : 4096)
        var filled = 0
        while true {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let count = bytes.withUnsafeMutableBytes {
                Foundation.read(fd, $0.baseAddress! + filled, $0.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .localFile(path: path, action: "read", errno: errno)
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
