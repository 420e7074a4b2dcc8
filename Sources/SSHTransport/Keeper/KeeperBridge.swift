import Foundation

/// The keeper's side of one carried channel: copies the channel's stdout and stderr to the
/// client's connection as frames, in the order they arrive, and the client's `input` frames
/// to the channel's stdin; then closes the channel in `ExecLifecycle`'s order and sends the
/// exit status. A client that hangs up (closes its end) abandons the channel, as a direct
/// client's close does.
///
/// Backpressure both ways: at most `bufferLimit` bytes wait for the client before reading
/// from the channel stops (the SSH window then closes and the server waits), and at most
/// that many wait for the channel before reading from the client stops.
///
/// Runs as a task on the session's loop, which polls the client's socket alongside its own
/// (as `ChannelSocketBridge` does for ProxyJump). Confined to that loop's thread.
final class KeeperBridge: @unchecked Sendable {
    private static let bufferLimit = 256 * 1024
    private static let streams: [SSHStream] = [.stdout, .stderr]

    private let core: ChannelCore
    private let socket: Int32
    private let onEnd: @Sendable () -> Void
    private var lifecycle = ExecLifecycle()
    private var towardSocket: [UInt8]
    private var towardChannel: [UInt8] = []
    private var inbound = KeeperFrameReader()
    private var inputEnded = false
    private var clientGone = false
    private var exitQueued = false
    private var ended = false
    /// When a client that got its exit status is given up on, if it never hangs up.
    private var drainDeadline: ContinuousClock.Instant?
    private let received = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// A bridge for `channel`, whose command started; the client hears `started` first.
    init(channel: ChannelHandle, socket: Int32, host: String, onEnd: @escaping @Sendable () -> Void) {
        core = ChannelCore(channel: channel, host: host, scratchSize: 64 * 1024)
        self.socket = socket
        self.onEnd = onEnd
        towardSocket = KeeperFrame.encode(.started)
    }

    deinit {
        received.deallocate()
    }

    /// What to wait for on the client's socket.
    func pollEvents() -> (fd: Int32, events: Int16)? {
        guard !ended else { return nil }
        if exitQueued && towardSocket.isEmpty { return (socket, Int16(POLLIN)) }
        var events: Int16 = 0
        if !clientGone && towardChannel.count < Self.bufferLimit { events |= Int16(POLLIN) }
        if !clientGone && !towardSocket.isEmpty { events |= Int16(POLLOUT) }
        return events == 0 ? nil : (socket, events)
    }

    func step() -> LoopTask.Outcome {
        do {
            var progressed = readClient()
            progressed = try feedChannel() || progressed
            progressed = try readChannel() || progressed
            progressed = try advanceClose() || progressed
            progressed = flush() || progressed
            if exitQueued && (towardSocket.isEmpty || clientGone) {
                // The client hangs up once it read the exit status; its side is read to
                // the end first, so nothing it sent meanwhile (the end of its input) is
                // left unread, which would reset the connection under the status.
                if clientGone || drainedClient() {
                    finish()
                    return .done
                }
                return .waitingForNetwork
            }
            if progressed { return .progressed }
            if lifecycle.isStreaming && towardSocket.count >= Self.bufferLimit { return .idle }
            return .waitingForNetwork
        } catch {
            fail(error)
            return .done
        }
    }

    /// The session failed (or was closed by the keeper): the client hears why, unless the
    /// keeper itself is leaving (then it sees its connection end, and goes on directly).
    func fail(_ error: SSHError) {
        guard !ended else { return }
        lifecycle.fail(error)
        if case .sessionClosed = error {
        } else if !clientGone {
            // What was read goes first, then why it stopped: the client sees the same bytes
            // and the same error a direct connection would have given it. Sent within a
            // second, since the session (this loop's only reason to exist) is gone.
            towardSocket += KeeperFrame.encode(.failure, json: KeeperFailure(error: error, requestSent: true))
            var patience = timeval(tv_sec: 1, tv_usec: 0)
            _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &patience, socklen_t(MemoryLayout<timeval>.size))
            _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) & ~O_NONBLOCK)
            _ = KeeperSocket.writeAll(socket, towardSocket)
        }
        _ = core.channel.free()
        finish()
    }

    /// Reads and drops what the client still sends; true once it hung up (or after five
    /// seconds, for a client that never does).
    private func drainedClient() -> Bool {
        let now = ContinuousClock.now
        if drainDeadline == nil {
            drainDeadline = now + .seconds(5)
            shutdown(socket, Int32(SHUT_WR))
        }
        while true {
            let count = recv(socket, received.baseAddress, received.count, Int32(MSG_DONTWAIT))
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return now >= drainDeadline! }
            return true
        }
    }

    private func finish() {
        guard !ended else { return }
        ended = true
        Foundation.close(socket)
        onEnd()
    }

    /// Takes the client's frames: stdin bytes, the end of stdin; the end of its connection
    /// abandons the channel.
    private func readClient() -> Bool {
        guard !clientGone, towardChannel.count < Self.bufferLimit else { return false }
        let count = recv(socket, received.baseAddress, received.count, Int32(MSG_DONTWAIT))
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return false }
        guard count > 0 else {
            hangUp()
            return true
        }
        inbound.feed(UnsafeRawBufferPointer(rebasing: received[0..<count]))
        do {
            while let frame = try inbound.next() {
                switch frame.kind {
                case .input where !inputEnded: towardChannel += frame.payload
                case .inputEnd: inputEnded = true
                default: break
                }
            }
        } catch {
            hangUp()
        }
        return true
    }

    /// The client went away: nobody reads the output, so the channel is closed without
    /// waiting for the command, as `SSHExec.close()` does.
    private func hangUp() {
        clientGone = true
        towardSocket.removeAll()
        towardChannel.removeAll()
        lifecycle.abandon()
        core.giveUp(Self.streams)
        if lifecycle.isStreaming { lifecycle.outputFinished() }
    }

    private func feedChannel() throws(SSHError) -> Bool {
        guard lifecycle.isStreaming else { return false }
        var progressed = false
        if !towardChannel.isEmpty {
            let written = try core.write(towardChannel, from: 0, operation: "writing to stdin")
            towardChannel.removeFirst(written)
            progressed = written > 0
        }
        if inputEnded && towardChannel.isEmpty && !core.sentEOF {
            progressed = try core.sendEOF(operation: "sending EOF") || progressed
        }
        return progressed
    }

    private func readChannel() throws(SSHError) -> Bool {
        guard lifecycle.isStreaming else { return false }
        let progressed = try core.read(
            Self.streams, operation: "reading command output", while: { towardSocket.count < Self.bufferLimit },
            deliver: { stream, bytes in
                KeeperFrame.appendHeader(stream == .stdout ? .stdout : .stderr, length: bytes.count, to: &towardSocket)
                towardSocket.append(contentsOf: bytes)
            })
        // Input the command never read is dropped once its output ended, as sshd drops it.
        if core.allEnded(Self.streams) {
            towardChannel.removeAll()
            lifecycle.outputFinished()
        }
        return progressed
    }

    private func advanceClose() throws(SSHError) -> Bool {
        var progressed = false
        while let call = lifecycle.nextCall, try core.perform(call) {
            lifecycle.completed(call, exitStatus: call == .waitClosed ? readExitStatus() : .unknown)
            progressed = true
        }
        if case .finished(let status) = lifecycle.phase, !exitQueued {
            exitQueued = true
            if !clientGone { towardSocket += KeeperFrame.encode(.exit, json: status) }
            progressed = true
        }
        return progressed
    }

    private func flush() -> Bool {
        guard !clientGone, !towardSocket.isEmpty else { return false }
        let written = towardSocket.withUnsafeBytes {
            Foundation.send(socket, $0.baseAddress, $0.count, Platform.sendFlags)
        }
        if written > 0 {
            towardSocket.removeFirst(written)
            return true
        }
        if written < 0 && errno != EAGAIN && errno != EINTR {
            hangUp()
            return true
        }
        return false
    }

    private func readExitStatus() -> SSHExitStatus {
        if let signal = core.channel.exitSignal() { return .signaled(signal.name, message: signal.message) }
        guard let code = core.channel.exitStatus else { return .unknown }
        return .exited(code)
    }
}
