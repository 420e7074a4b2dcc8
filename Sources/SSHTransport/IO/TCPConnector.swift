import Foundation

/// Opens a TCP connection to every address a name resolves to, in turn, each with a
/// timeout. Blocking: it runs on a session's own I/O thread, never on the cooperative pool.
enum TCPConnector {
    /// Returns a connected, non-blocking socket with `TCP_NODELAY` set. Stops early (with
    /// `sessionClosed`) once `cancelled` is set, checking it every 100 ms while it waits.
    static func connect(host: String, port: Int, timeout: Duration, cancelled: CancellationFlag = CancellationFlag())
        throws(SSHError) -> Int32
    {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Platform.streamSocket
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw .nameResolutionFailed(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        var lastError: SSHError = .hostUnreachable(host: host, port: port, reason: "no usable address")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            do {
                return try connect(info.pointee, host: host, port: port, timeout: timeout, cancelled: cancelled)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connect(
        _ info: addrinfo, host: String, port: Int, timeout: Duration, cancelled: CancellationFlag
    ) throws(SSHError) -> Int32 {
        let fd = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else {
            throw .hostUnreachable(host: host, port: port, reason: String(cString: strerror(errno)))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

        var error: Int32 = 0
        if Foundation.connect(fd, info.ai_addr, info.ai_addrlen) != 0 {
            error = errno
            if error == EINPROGRESS {
                error = wait(fd, timeout: timeout, cancelled: cancelled)
            }
        }
        guard error != 0 else { return fd }
        close(fd)
        switch error {
        case ETIMEDOUT:
            throw .timedOut(host: host, operation: "connecting to port \(port)", seconds: seconds(timeout))
        case ECONNREFUSED:
            throw .connectionRefused(host: host, port: port)
        case ECANCELED:
            throw .sessionClosed(host: host)
        default:
            throw .hostUnreachable(host: host, port: port, reason: String(cString: strerror(error)))
        }
    }

    /// Waits for a non-blocking connect to finish; returns its errno (0 when connected).
    private static func wait(_ fd: Int32, timeout: Duration, cancelled: CancellationFlag) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if cancelled.isSet { return ECANCELED }
            let remaining = min(deadline - .now, .milliseconds(100))
            guard deadline > .now else { return ETIMEDOUT }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(min(Double(Int32.max), max(1, seconds(remaining) * 1000)))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            if ready < 0 { return errno }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            return error
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}
