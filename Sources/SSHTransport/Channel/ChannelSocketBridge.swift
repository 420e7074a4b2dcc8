import Foundation

/// Copies bytes both ways between a `direct-tcpip` channel on a jump host's session and a
/// local socket (one end of a socketpair), so that a second session can run over the
/// channel as if over TCP: libssh2 needs a socket for every session. The channel side goes
/// through `ChannelCore`, as an exec's does.
///
/// Runs as a task on the jump session's loop, which polls the socket alongside its own.
/// Confined to that loop's thread (hence the `@unchecked Sendable`).
final class ChannelSocketBridge: @unchecked Sendable {
    private static let bufferLimit = 256 * 1024

    private let core: ChannelCore
    private let socket: Int32
    private var towardSocket: [UInt8] = []
    private var towardChannel: [UInt8] = []
    private var socketEOF = false
    private let received = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Set once either side is done for good: the channel is then closed and freed.
    private var closing: ChannelClosing?

    init(channel: ChannelHandle, socket: Int32, host: String) {
        core = ChannelCore(channel: channel, host: host, scratchSize: 64 * 1024)
        self.socket = socket
    }

    deinit {
        received.deallocate()
    }

    private var channelEOF: Bool { core.ended.contains(.stdout) }

    /// What to wait for on the local socket.
    func pollEvents() -> (fd: Int32, events: Int16)? {
        var events: Int16 = 0
        if !socketEOF && towardChannel.count < Self.bufferLimit { events |= Int16(POLLIN) }
        if !towardSocket.isEmpty { events |= Int16(POLLOUT) }
        return events == 0 ? nil : (socket, events)
    }

    func step() -> LoopTask.Outcome {
        do {
            if closing == nil {
                var progressed = false
                progressed = try channelToSocket() || progressed
                progressed = try socketToChannel() || progressed
                let drained = (channelEOF && towardSocket.isEmpty) && (socketEOF && towardChannel.isEmpty)
                if !drained && closing == nil { return progressed ? .progressed : .waitingForNetwork }
                closing = closing ?? ChannelClosing(waitsForPeer: false)
            }
            return finish()
        } catch {
            fail(error)
            return .done
        }
    }

    func fail(_ error: SSHError) {
        Foundation.close(socket)
        _ = core.channel.free()
    }

    private func channelToSocket() throws(SSHError) -> Bool {
        var progressed = try core.read(
            [.stdout], operation: "reading the jump channel", while: { towardSocket.count < Self.bufferLimit },
            deliver: { _, bytes in towardSocket.append(contentsOf: bytes) })
        if !towardSocket.isEmpty {
            let written = towardSocket.withUnsafeBytes {
                Foundation.send(socket, $0.baseAddress, $0.count, Platform.sendFlags)
            }
            if written > 0 {
                towardSocket.removeFirst(written)
                progressed = true
            } else if written < 0 && errno != EAGAIN && errno != EINTR {
                closing = ChannelClosing(waitsForPeer: false)  // the session above went away
            }
        }
        if channelEOF && towardSocket.isEmpty { shutdown(socket, Int32(SHUT_WR)) }
        return progressed
    }

    private func socketToChannel() throws(SSHError) -> Bool {
        var progressed = false
        if !socketEOF && towardChannel.count < Self.bufferLimit {
            let count = recv(socket, received.baseAddress, received.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                towardChannel.append(contentsOf: UnsafeRawBufferPointer(rebasing: received[0..<count]))
                progressed = true
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                socketEOF = true
                progressed = true
            }
        }
        if !towardChannel.isEmpty {
            let written = try core.write(towardChannel, from: 0, operation: "writing to the jump channel")
            towardChannel.removeFirst(written)
            progressed = progressed || written > 0
        }
        if socketEOF && towardChannel.isEmpty && !core.sentEOF {
            progressed = try core.sendEOF(operation: "closing the jump channel") || progressed
        }
        return progressed
    }

    /// Closes and frees the channel, then the socket. A close that fails means the channel
    /// is gone already: it is freed all the same.
    private func finish() -> LoopTask.Outcome {
        while let call = closing?.next {
            guard (try? core.perform(call)) ?? true else { return .waitingForNetwork }
            closing?.completed()
        }
        Foundation.close(socket)
        return .done
    }
}
