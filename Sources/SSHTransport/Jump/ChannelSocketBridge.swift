import Foundation

/// Copies bytes both ways between a `direct-tcpip` channel on a jump host's session and a
/// local socket (one end of a socketpair), so that a second session can run over the
/// channel as if over TCP: libssh2 needs a socket for every session.
///
/// Runs as a task on the jump session's loop, which polls the socket alongside its own.
/// Confined to that loop's thread (hence the `@unchecked Sendable`).
final class ChannelSocketBridge: @unchecked Sendable {
    private static let bufferLimit = 256 * 1024

    private let channel: ChannelHandle
    private let socket: Int32
    private let host: String
    private var towardSocket: [UInt8] = []
    private var towardChannel: [UInt8] = []
    private var channelEOF = false
    private var socketEOF = false
    private var sentChannelEOF = false
    private var closing = false
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(channel: ChannelHandle, socket: Int32, host: String) {
        self.channel = channel
        self.socket = socket
        self.host = host
    }

    deinit {
        scratch.deallocate()
    }

    /// What to wait for on the local socket.
    func pollEvents() -> (fd: Int32, events: Int16)? {
        var events: Int16 = 0
        if !socketEOF && towardChannel.count < Self.bufferLimit { events |= Int16(POLLIN) }
        if !towardSocket.isEmpty { events |= Int16(POLLOUT) }
        return events == 0 ? nil : (socket, events)
    }

    func step() -> LoopTask.Outcome {
        do {
            var progressed = false
            progressed = try channelToSocket() || progressed
            progressed = try socketToChannel() || progressed
            if (channelEOF && towardSocket.isEmpty) && (socketEOF && towardChannel.isEmpty) || closing {
                return finish()
            }
            return progressed ? .progressed : .waitingForNetwork
        } catch {
            fail(error)
            return .done
        }
    }

    func fail(_ error: SSHError) {
        Foundation.close(socket)
        _ = channel.free()
    }

    private func channelToSocket() throws(SSHError) -> Bool {
        var progressed = false
        while !channelEOF && towardSocket.count < Self.bufferLimit {
            let result = try Attempt.mapping(host: host, operation: "reading the jump channel", channel: true) {
                () throws(LibSSH2Failure) in try channel.read(.stdout, into: scratch)
            }
            guard case .done(let count) = result else { break }
            progressed = true
            if count == 0 {
                channelEOF = true
            } else {
                towardSocket.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            }
        }
        if !towardSocket.isEmpty {
            let written = towardSocket.withUnsafeBytes {
                Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                towardSocket.removeFirst(written)
                progressed = true
            } else if written < 0 && errno != EAGAIN && errno != EINTR {
                closing = true  // the session above went away
            }
        }
        if channelEOF && towardSocket.isEmpty { shutdown(socket, Int32(SHUT_WR)) }
        return progressed
    }

    private func socketToChannel() throws(SSHError) -> Bool {
        var progressed = false
        if !socketEOF && towardChannel.count < Self.bufferLimit {
            let count = recv(socket, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                towardChannel.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                progressed = true
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                socketEOF = true
                progressed = true
            }
        }
        while !towardChannel.isEmpty {
            let pending = towardChannel
            let result = try Attempt.mapping(host: host, operation: "writing to the jump channel", channel: true) {
                () throws(LibSSH2Failure) in
                try pending.withUnsafeBytes { buffer in
                    Result { () throws(LibSSH2Failure) in try channel.write(buffer) }
                }.get()
            }
            guard case .done(let count) = result else { break }
            towardChannel.removeFirst(count)
            progressed = true
        }
        if socketEOF && towardChannel.isEmpty && !sentChannelEOF {
            if case .done = try Attempt.mapping(
                host: host, operation: "closing the jump channel", channel: true,
                {
                    () throws(LibSSH2Failure) in try channel.sendEOF()
                })
            {
                sentChannelEOF = true
                progressed = true
            }
        }
        return progressed
    }

    private func finish() -> LoopTask.Outcome {
        closing = true
        // A failed close means the channel is gone already: free it all the same.
        if case .wouldBlock = (try? channel.close()) ?? .done(()) { return .waitingForNetwork }
        guard case .done = channel.free() else { return .waitingForNetwork }
        Foundation.close(socket)
        return .done
    }
}
