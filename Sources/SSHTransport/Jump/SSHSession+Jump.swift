import Foundation

extension SSHSession {
    /// Opens a `direct-tcpip` channel from this session to `host:port` and returns a local
    /// socket connected to it (through a `ChannelSocketBridge` on this session's loop), on
    /// which another session can run: ProxyJump.
    ///
    /// - Throws: `SSHError.channelFailure` when the jump host cannot reach `host:port` or
    ///   refuses forwarding.
    func forwardedSocket(to host: String, port: Int) async throws -> Int32 {
        let handle = self.handle
        let jumpHost = target.host
        let operation = "opening a tunnel through \(jumpHost) to \(host) port \(port)"
        let channel = try await loop.perform(operation, timeout: setupTimeout, lane: .channelSetup) {
            () throws(SSHError) in
            try Attempt.mapping(host: jumpHost, operation: operation, channel: true) { () throws(LibSSH2Failure) in
                try handle.openDirectTCPIP(host: host, port: port)
            }
        }
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Platform.streamSocket, 0, &descriptors) == 0 else {
            loop.execute { _ = channel.free() }
            throw SSHError.channelFailure(
                host: jumpHost, operation: operation, code: -1, message: String(cString: strerror(errno)))
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            Platform.noSigPipe(descriptor)
        }
        let bridge = ChannelSocketBridge(channel: channel, socket: descriptors[1], host: jumpHost)
        loop.submit(
            LoopTask(
                operation: "forwarding to \(host) port \(port)", lane: nil, deadline: nil,
                descriptor: bridge.pollEvents, step: bridge.step, fail: bridge.fail))
        return descriptors[0]
    }
}
