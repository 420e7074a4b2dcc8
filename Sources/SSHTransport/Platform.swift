import Foundation

// The differences between Linux (Glibc) and macOS (Darwin) that SSHTransport meets, in one
// place: nothing else in the module branches on the platform. Linux is built and tested in
// CI; the Darwin branches are written for macOS but not built here (README, Limits).

extension stat {
    /// The modification time (`st_mtim` on Linux, `st_mtimespec` on Darwin), for the modules
    /// above too.
    public var modified: timespec {
        #if canImport(Darwin)
            return st_mtimespec
        #else
            return st_mtim
        #endif
    }
}

enum Platform {
    /// `SOCK_STREAM` as the socket calls take it (an enum's raw value on Linux).
    static var streamSocket: Int32 {
        #if canImport(Darwin)
            return SOCK_STREAM
        #else
            return Int32(SOCK_STREAM.rawValue)
        #endif
    }

    /// Flags for `send` that keep a write to a closed socket from raising SIGPIPE (Linux;
    /// on Darwin the socket itself is told, see `noSigPipe`).
    static var sendFlags: Int32 {
        #if canImport(Darwin)
            return 0
        #else
            return Int32(MSG_NOSIGNAL)
        #endif
    }

    /// Sends the acknowledgement of what `socket` just received now rather than up to 40 ms
    /// later (Linux's `TCP_QUICKACK`, which holds only until the kernel delays again, so it
    /// is set after every read that drains the socket). sshd leaves Nagle's algorithm on for sessions without a
    /// terminal: a small packet that follows another waits for the first one's
    /// acknowledgement, and a delayed one held the reply to the channel open of every new
    /// session for 40 ms. Darwin has no such option; there, nothing.
    static func acknowledgeNow(_ socket: Int32) {
        #if os(Linux)
            var one: Int32 = 1
            _ = setsockopt(socket, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Makes writes to `socket` after its peer closed fail with EPIPE instead of raising
    /// SIGPIPE, where the platform does that per socket (Darwin).
    static func noSigPipe(_ socket: Int32) {
        #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(socket, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// The user id of the process at the other end of the Unix socket `socket`
    /// (`SO_PEERCRED` on Linux, `getpeereid` on Darwin); nil when it cannot be had.
    static func peerUID(_ socket: Int32) -> uid_t? {
        #if canImport(Darwin)
            var uid: uid_t = 0
            var gid: gid_t = 0
            return getpeereid(socket, &uid, &gid) == 0 ? uid : nil
        #else
            // `struct ucred` (pid, uid, gid), which Glibc's module does not export.
            var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
            var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
            guard getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
            return credentials.uid
        #endif
    }

    /// How many bytes wait unread on `socket` (`FIONREAD`); nil when it cannot be had.
    static func unreadByteCount(_ socket: Int32) -> Int? {
        var count: Int32 = 0
        return ioctl(socket, UInt(FIONREAD), &count) == 0 ? Int(count) : nil
    }

    /// `glob(3)`.
    static func glob(_ pattern: String, _ result: inout glob_t) -> Int32 {
        #if canImport(Darwin)
            return Darwin.glob(pattern, 0, nil, &result)
        #else
            return Glibc.glob(pattern, 0, nil, &result)
        #endif
    }
}
