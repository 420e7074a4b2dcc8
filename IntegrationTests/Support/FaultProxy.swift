import Foundation

/// A TCP proxy in front of a test sshd that can silently hold all traffic ("blackhole"),
/// as when a network path dies without a reset, or cut each connection off after a number
/// of bytes from the client (`cutOffAfter`), so a long transfer stalls at a known point,
/// or reset every open connection (`resetAll`), or pass the client's bytes at a capped rate
/// (`clientBytesPerSecond`), so an upload lasts long enough to be interrupted in its
/// middle. Each connection is served by a thread.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let targetPort: Int
    private let lock = NSLock()
    private var holding = false
    private var stopped = false
    private var acceptedCount = 0  // guarded by `lock`
    private var resets = 0  // guarded by `lock`

    /// How many connections it has accepted.
    var accepted: Int { lock.withLock { acceptedCount } }

    /// Client bytes each connection forwards before it goes silent (both ways) for good,
    /// still closing its upstream side when the client closes.
    private let cutOffAfter: Int?
    /// The most bytes a second each connection forwards from the client.
    private let clientBytesPerSecond: Int?

    init(targetPort: Int, cutOffAfter: Int? = nil, clientBytesPerSecond: Int? = nil) throws {
        self.targetPort = targetPort
        self.cutOffAfter = cutOffAfter
        self.clientBytesPerSecond = clientBytesPerSecond
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestFailure("proxy cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Holds every byte from now on, in both directions, without closing anything.
    func blackhole() {
        lock.lock()
        holding = true
        lock.unlock()
    }

    /// Resets every connection open now (RST to both sides, as a router that lost its
    /// state would); new connections go through as before.
    func resetAll() {
        lock.withLock { resets += 1 }
    }

    private var resetCount: Int { lock.withLock { resets } }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private var isHolding: Bool {
        lock.lock()
        defer { lock.unlock() }
        return holding
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.withLock { acceptedCount += 1 }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(client)
                close(upstream)
                continue
            }
            Thread { [self] in pump(client, upstream) }.start()
        }
    }

    private func pump(_ a: Int32, _ b: Int32) {
        defer {
            close(a)
            close(b)
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var fromClient = 0
        let generation = resetCount
        while !isStopped {
            if resetCount != generation {
                // Closed with a zero linger: the kernel sends RST instead of FIN.
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                for socket in [a, b] {
                    setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                }
                return
            }
            if isHolding {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            var descriptors = [
                pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, 50) >= 0 else { return }
            for (index, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let from = index == 0 ? a : b
                let to = index == 0 ? b : a
                let count = read(from, &buffer, buffer.count)
                if count <= 0 { return }
                if index == 0 { fromClient += count }
                // Past the cut-off the bytes are read and dropped, so a close still shows.
                if let cutOffAfter, fromClient > cutOffAfter { continue }
                var offset = 0
                while offset < count {
                    // `send` with MSG_NOSIGNAL: a peer gone (a keeper killed mid-upload) is an
                    // error here, never a SIGPIPE that ends the whole test process.
                    let written = buffer.withUnsafeBytes {
                        send(to, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL))
                    }
                    if written <= 0 { return }
                    offset += written
                }
                if index == 0, let clientBytesPerSecond {
                    Thread.sleep(forTimeInterval: Double(count) / Double(clientBytesPerSecond))
                }
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }
}
