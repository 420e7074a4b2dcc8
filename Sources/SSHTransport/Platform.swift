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

    /// `glob(3)`.
    static func glob(_ pattern: String, _ result: inout glob_t) -> Int32 {
        #if canImport(Darwin)
            return Darwin.glob(pattern, 0, nil, &result)
        #else
            return Glibc.glob(pattern, 0, nil, &result)
        #endif
    }
}
