import Foundation

/// The loop-side driver of one exec channel: reads stdout and stderr together into bounded
/// buffers (`OutputBuffers`), hands them to the consumer, serves stdin writes and EOF, then
/// closes the channel in the safe order and reads the exit status (`ExecLifecycle`), all
/// through `ChannelCore`.
///
/// Reading both streams in one place is what avoids the classic deadlock (a reader that
/// drains only stdout stalls once stderr fills the channel window). The buffers are bounded:
/// when the consumer falls behind, reading stops, the SSH window closes and the server
/// waits, so memory stays flat whatever the output's size.
///
/// Confined to the session's I/O thread (hence the `@unchecked Sendable`).
final class ExecPump: @unchecked Sendable {
    private static let streams: [SSHStream] = [.stdout, .stderr]

    private let core: ChannelCore
    private var host: String { core.host }
    private var output = OutputBuffers()
    private var lifecycle = ExecLifecycle()
    private var inputClosed = false
    /// Writes in progress: the channel is not closed under them.
    private var activeWriters = 0
    private var outputWaiter: ResumeOnce<SSHOutputChunk?>?
    private var exitWaiters: [ResumeOnce<SSHExitStatus>] = []

    init(channel: ChannelHandle, host: String) {
        core = ChannelCore(channel: channel, host: host, scratchSize: 256 * 1024)
    }

    private var outputEnded: Bool { core.allEnded(Self.streams) }

    // MARK: Consumer requests (run on the loop thread through IOLoop.execute)

    func requestOutput(_ waiter: ResumeOnce<SSHOutputChunk?>) {
        if let chunk = output.takeChunk() {
            waiter.resume(.success(chunk))
        } else if case .failed(let error) = lifecycle.phase {
            waiter.resume(.failure(error))
        } else if outputEnded || output.discarding {
            waiter.resume(.success(nil))
        } else if outputWaiter != nil {
            // One reader at a time: the first would otherwise never be resumed.
            waiter.resume(
                .failure(
                    SSHError.channelFailure(
                        host: host, operation: "reading output", code: -1,
                        message: "another task is already reading this command's output")))
        } else {
            outputWaiter = waiter
        }
    }

    /// Whether a reader waits for output.
    var hasOutputWaiter: Bool { outputWaiter != nil }

    func cancelOutputRequest() {
        outputWaiter?.resume(.failure(CancellationError()))
        outputWaiter = nil
    }

    /// Waits for the exit status; output not read by then is discarded.
    func requestExitStatus(_ waiter: ResumeOnce<SSHExitStatus>) {
        switch lifecycle.phase {
        case .finished(let status): waiter.resume(.success(status))
        case .failed(let error): waiter.resume(.failure(error))
        default:
            output.discard()
            exitWaiters.append(waiter)
        }
    }

    /// Closes the channel without waiting for the command's output to end.
    func abandon() {
        lifecycle.abandon()
        output.discard()
        core.giveUp(Self.streams)
        outputWaiter?.resume(.success(nil))
        outputWaiter = nil
    }

    // MARK: Input (steps of loop tasks)

    /// One step of writing `bytes[progress.offset...]` to stdin.
    func writeStep(_ bytes: [UInt8], _ progress: WriteProgress) throws(SSHError) -> Attempt<Void> {
        guard lifecycle.isStreaming, !inputClosed else {
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
            progress.offset += try core.write(bytes, from: progress.offset, operation: "writing to stdin")
        } catch {
            activeWriters -= 1
            throw error
        }
        guard progress.offset == bytes.count else { return .wouldBlock }
        activeWriters -= 1
        return .done(())
    }

    /// One step of sending EOF on stdin. Once the command has ended there is nothing to
    /// close (and sending EOF on a closed channel is a protocol error), so it succeeds.
    func closeInputStep() throws(SSHError) -> Attempt<Void> {
        guard lifecycle.isStreaming, !inputClosed else { return .done(()) }
        guard try core.sendEOF(operation: "sending EOF") else { return .wouldBlock }
        inputClosed = true
        return .done(())
    }

    // MARK: Loop task

    func step() -> LoopTask.Outcome {
        do {
            var progressed = try readAvailable()
            deliverOutput()
            progressed = try advanceClose() || progressed
            switch lifecycle.phase {
            case .finished, .failed: return .done
            default: break
            }
            if progressed { return .progressed }
            if lifecycle.isStreaming && !output.wantsMore { return .idle }
            return .waitingForNetwork
        } catch {
            fail(error)
            return .done
        }
    }

    func fail(_ error: SSHError) {
        lifecycle.fail(error)
        outputWaiter?.resume(.failure(error))
        outputWaiter = nil
        for waiter in exitWaiters { waiter.resume(.failure(error)) }
        exitWaiters.removeAll()
    }

    private func readAvailable() throws(SSHError) -> Bool {
        guard lifecycle.isStreaming else { return false }
        let progressed = try core.read(
            Self.streams, operation: "reading command output", while: { output.wantsMore },
            deliver: { stream, bytes in output.append(bytes, from: stream) })
        if outputEnded && output.isEmpty && activeWriters == 0 { lifecycle.outputFinished() }
        return progressed
    }

    private func deliverOutput() {
        guard let waiter = outputWaiter else { return }
        if let chunk = output.takeChunk() {
            outputWaiter = nil
            waiter.resume(.success(chunk))
        } else if outputEnded {
            outputWaiter = nil
            waiter.resume(.success(nil))
        }
    }

    /// Makes the close calls `ExecLifecycle` names until one would block.
    private func advanceClose() throws(SSHError) -> Bool {
        var progressed = false
        while let call = lifecycle.nextCall, try core.perform(call) {
            lifecycle.completed(call, exitStatus: call == .waitClosed ? readExitStatus() : .unknown)
            progressed = true
        }
        if case .finished(let status) = lifecycle.phase, progressed {
            deliverOutput()
            for waiter in exitWaiters { waiter.resume(.success(status)) }
            exitWaiters.removeAll()
        }
        return progressed
    }

    private func readExitStatus() -> SSHExitStatus {
        if let signal = core.channel.exitSignal() {
            return .signaled(signal.name, message: signal.message)
        }
        guard let code = core.channel.exitStatus else { return .unknown }
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
