import Foundation

/// The loop-side state of one exec channel: reads stdout and stderr together into bounded
/// buffers, hands them to the consumer, then closes the channel in the safe order and reads
/// the exit status.
///
/// Reading both streams in one place is what avoids the classic deadlock (a reader that
/// drains only stdout stalls once stderr fills the channel window). The buffers are bounded
/// (`highWater`): when the consumer falls behind, reading stops, the SSH window closes and
/// the server waits, so memory stays flat whatever the output's size.
///
/// Confined to the session's I/O thread (hence the `@unchecked Sendable`).
final class ExecPump: @unchecked Sendable {
    private enum Phase {
        case streaming
        case closing
        case waitingForClose
        case freeing(SSHExitStatus)
        case finished(SSHExitStatus)
        case failed(SSHError)
    }

    static let highWater = 1 << 20
    private static let scratchSize = 256 * 1024

    private let channel: ChannelHandle
    private let host: String
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
    private var stdout: [UInt8] = []
    private var stderr: [UInt8] = []
    private var stdoutEOF = false
    private var stderrEOF = false
    private var deliverStderrNext = false
    private var discarding = false
    /// Closed by this side before the command ended: there is no exit status to wait for.
    private var abandoned = false
    private var phase = Phase.streaming
    private var inputClosed = false
    /// Writes in progress: the channel is not closed under them.
    private var activeWriters = 0
    private var outputWaiter: ResumeOnce<SSHOutputChunk?>?
    private var exitWaiters: [ResumeOnce<SSHExitStatus>] = []

    init(channel: ChannelHandle, host: String) {
        self.channel = channel
        self.host = host
    }

    deinit {
        scratch.deallocate()
    }

    // MARK: Consumer requests (run on the loop thread through IOLoop.execute)

    func requestOutput(_ waiter: ResumeOnce<SSHOutputChunk?>) {
        if let chunk = takeChunk() {
            waiter.resume(.success(chunk))
        } else if case .failed(let error) = phase {
            waiter.resume(.failure(error))
        } else if stdoutEOF && stderrEOF || discarding {
            waiter.resume(.success(nil))
        } else {
            outputWaiter = waiter
        }
    }

    func cancelOutputRequest() {
        outputWaiter?.resume(.failure(CancellationError()))
        outputWaiter = nil
    }

    /// Waits for the exit status; output not read by then is discarded.
    func requestExitStatus(_ waiter: ResumeOnce<SSHExitStatus>) {
        switch phase {
        case .finished(let status): waiter.resume(.success(status))
        case .failed(let error): waiter.resume(.failure(error))
        default:
            discarding = true
            stdout.removeAll()
            stderr.removeAll()
            exitWaiters.append(waiter)
        }
    }

    /// Closes the channel without waiting for the command's output to end.
    func abandon() {
        if case .streaming = phase { abandoned = true }
        discarding = true
        stdout.removeAll()
        stderr.removeAll()
        stdoutEOF = true
        stderrEOF = true
        outputWaiter?.resume(.success(nil))
        outputWaiter = nil
    }

    // MARK: Input (steps of loop tasks)

    /// One step of writing `bytes[progress.offset...]` to stdin.
    func writeStep(_ bytes: [UInt8], _ progress: WriteProgress) throws(SSHError) -> Attempt<Void> {
        guard case .streaming = phase, !inputClosed else {
            if progress.started { activeWriters -= 1 }
            throw .channelFailure(
                host: host, operation: "writing to stdin", code: -1,
                message: "the command has ended or its stdin was closed")
        }
        if progress.cancelled {
            // A write the server will never take (the command ended without reading its
            // stdin) would otherwise hold the channel open forever.
            if progress.started { activeWriters -= 1 }
            return .done(())
        }
        if !progress.started {
            progress.started = true
            activeWriters += 1
        }
        do {
            while progress.offset < bytes.count {
                let written = try Attempt.mapping(host: host, operation: "writing to stdin", channel: true) {
                    () throws(LibSSH2Failure) in
                    let result = bytes.withUnsafeBytes { buffer in
                        Result { () throws(LibSSH2Failure) in
                            try channel.write(UnsafeRawBufferPointer(rebasing: buffer[progress.offset...]))
                        }
                    }
                    return try result.get()
                }
                guard case .done(let count) = written else { return .wouldBlock }
                progress.offset += count
            }
        } catch {
            activeWriters -= 1
            throw error
        }
        activeWriters -= 1
        return .done(())
    }

    /// One step of sending EOF on stdin. Once the command has ended there is nothing to
    /// close (and sending EOF on a closed channel is a protocol error), so it succeeds.
    func closeInputStep() throws(SSHError) -> Attempt<Void> {
        guard case .streaming = phase, !inputClosed else { return .done(()) }
        let result = try Attempt.mapping(host: host, operation: "sending EOF", channel: true) {
            () throws(LibSSH2Failure) in
            try channel.sendEOF()
        }
        if case .done = result { inputClosed = true }
        return result
    }

    // MARK: Loop task

    func step() -> LoopTask.Outcome {
        do {
            var progressed = try readAvailable()
            deliverOutput()
            progressed = try advanceClose() || progressed
            switch phase {
            case .finished, .failed: return .done
            default: break
            }
            if progressed { return .progressed }
            if case .streaming = phase, !discarding && buffered >= Self.highWater { return .idle }
            return .waitingForNetwork
        } catch {
            fail(error)
            return .done
        }
    }

    func fail(_ error: SSHError) {
        phase = .failed(error)
        outputWaiter?.resume(.failure(error))
        outputWaiter = nil
        for waiter in exitWaiters { waiter.resume(.failure(error)) }
        exitWaiters.removeAll()
    }

    private var buffered: Int { stdout.count + stderr.count }

    private func readAvailable() throws(SSHError) -> Bool {
        guard case .streaming = phase else { return false }
        var progressed = false
        while discarding || buffered < Self.highWater {
            var movedData = false
            for stream in [SSHStream.stdout, .stderr] where !(stream == .stdout ? stdoutEOF : stderrEOF) {
                let result = try Attempt.mapping(host: host, operation: "reading command output", channel: true) {
                    () throws(LibSSH2Failure) in try channel.read(stream, into: scratch)
                }
                guard case .done(let count) = result else { continue }
                progressed = true
                if count == 0 {
                    if stream == .stdout { stdoutEOF = true } else { stderrEOF = true }
                    continue
                }
                movedData = true
                if !discarding {
                    let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
                    if stream == .stdout { stdout.append(contentsOf: bytes) } else { stderr.append(contentsOf: bytes) }
                }
            }
            if !movedData { break }
        }
        if stdoutEOF && stderrEOF && stdout.isEmpty && stderr.isEmpty && activeWriters == 0 { phase = .closing }
        return progressed
    }

    private func deliverOutput() {
        guard let waiter = outputWaiter else { return }
        if let chunk = takeChunk() {
            outputWaiter = nil
            waiter.resume(.success(chunk))
        } else if stdoutEOF && stderrEOF {
            outputWaiter = nil
            waiter.resume(.success(nil))
        }
    }

    /// Takes all buffered bytes of one stream, alternating so neither starves.
    private func takeChunk() -> SSHOutputChunk? {
        let preferStderr = deliverStderrNext && !stderr.isEmpty || stdout.isEmpty
        guard !(stdout.isEmpty && stderr.isEmpty) else { return nil }
        deliverStderrNext.toggle()
        var bytes: [UInt8] = []
        if preferStderr {
            swap(&bytes, &stderr)
            return SSHOutputChunk(stream: .stderr, bytes: bytes)
        }
        swap(&bytes, &stdout)
        return SSHOutputChunk(stream: .stdout, bytes: bytes)
    }

    /// close → wait_closed → exit status → free. The exit status is read only after the
    /// server's CLOSE, so that every message sent before it (exit-status, exit-signal) has
    /// been processed: libssh2 reports 0 for "nothing received yet".
    private func advanceClose() throws(SSHError) -> Bool {
        func call(_ operation: String, _ body: () throws(LibSSH2Failure) -> Attempt<Void>) throws(SSHError) -> Bool {
            if case .done = try Attempt.mapping(host: host, operation: operation, channel: true, body) { return true }
            return false
        }
        switch phase {
        case .closing:
            guard try call("closing the channel", { () throws(LibSSH2Failure) in try channel.close() }) else {
                return false
            }
            // libssh2 1.10 refuses wait_closed before the remote EOF, which a command we
            // closed on may never send: free it without waiting.
            phase = abandoned ? .freeing(.unknown) : .waitingForClose
            return true
        case .waitingForClose:
            guard
                try call("waiting for the channel to close", { () throws(LibSSH2Failure) in try channel.waitClosed() })
            else {
                return false
            }
            phase = .freeing(readExitStatus())
            return true
        case .freeing(let status):
            guard case .done = channel.free() else { return false }
            phase = .finished(status)
            deliverOutput()
            for waiter in exitWaiters { waiter.resume(.success(status)) }
            exitWaiters.removeAll()
            return true
        default:
            return false
        }
    }

    private func readExitStatus() -> SSHExitStatus {
        if let signal = channel.exitSignal() {
            return .signaled(signal.name, message: signal.message)
        }
        guard let code = channel.exitStatus else { return .unknown }
        return .exited(code)
    }
}

/// Progress of a write that may take several loop steps. Loop thread only.
final class WriteProgress: @unchecked Sendable {
    var offset = 0
    var started = false
    /// Set (on the loop thread) when the writing task was cancelled: the next step gives up.
    var cancelled = false
}
