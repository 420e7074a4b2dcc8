import Testing

@testable import SSHTransport

/// The value types that decide what an exec channel does next, without a network.
@Suite("Channel state machines")
struct ChannelStateTests {
    /// Runs `lifecycle`'s close calls to the end, every call going through; returns them.
    static func closeCalls(_ lifecycle: inout ExecLifecycle, status: SSHExitStatus) -> [ChannelClosing.Step] {
        var calls: [ChannelClosing.Step] = []
        while let call = lifecycle.nextCall, calls.count < 10 {
            calls.append(call)
            lifecycle.completed(call, exitStatus: call == .waitClosed ? status : .unknown)
        }
        return calls
    }

    @Test func aCommandThatRanToItsEndIsClosedInTheSafeOrder() {
        var lifecycle = ExecLifecycle()
        #expect(lifecycle.isStreaming && lifecycle.nextCall == nil, "nothing closes while output flows")
        lifecycle.outputFinished()
        #expect(Self.closeCalls(&lifecycle, status: .exited(3)) == [.close, .waitClosed, .free])
        #expect(lifecycle.phase == .finished(.exited(3)))
    }

    @Test func anAbandonedCommandIsNotWaitedFor() {
        var lifecycle = ExecLifecycle()
        lifecycle.abandon()
        lifecycle.outputFinished()
        #expect(Self.closeCalls(&lifecycle, status: .exited(0)) == [.close, .free])
        #expect(lifecycle.phase == .finished(.unknown), "no status to trust")
    }

    @Test func aCallThatWouldBlockIsMadeAgain() {
        var lifecycle = ExecLifecycle()
        lifecycle.outputFinished()
        #expect(lifecycle.nextCall == .close)
        lifecycle.completed(.waitClosed, exitStatus: .exited(1))  // not the call it named: ignored
        #expect(lifecycle.nextCall == .close)
        lifecycle.abandon()  // too late to matter: closing has begun
        #expect(Self.closeCalls(&lifecycle, status: .signaled("KILL", message: "")) == [.close, .waitClosed, .free])
        #expect(lifecycle.phase == .finished(.signaled("KILL", message: "")))
    }

    @Test func aFailureEndsEverything() {
        var lifecycle = ExecLifecycle()
        lifecycle.outputFinished()
        let error = SSHError.connectionLost(host: "h", reason: "gone")
        lifecycle.fail(error)
        #expect(lifecycle.phase == .failed(error))
        #expect(lifecycle.nextCall == nil)
        lifecycle.outputFinished()
        #expect(lifecycle.phase == .failed(error))
    }

    @Test func aTunnelIsFreedWithoutWaitingForThePeer() {
        var closing = ChannelClosing(waitsForPeer: false)
        var calls: [ChannelClosing.Step] = []
        while let next = closing.next {
            calls.append(next)
            closing.completed()
        }
        #expect(calls == [.close, .free])
    }

    static func append(_ buffers: inout OutputBuffers, _ text: String, _ stream: SSHStream) {
        Array(text.utf8).withUnsafeBytes { buffers.append($0, from: stream) }
    }

    @Test func outputAlternatesBetweenStreamsSoNeitherStarves() {
        var buffers = OutputBuffers()
        Self.append(&buffers, "o1", .stdout)
        Self.append(&buffers, "e1", .stderr)
        #expect(buffers.takeChunk() == SSHOutputChunk(stream: .stdout, bytes: Array("o1".utf8)))
        Self.append(&buffers, "o2", .stdout)
        #expect(buffers.takeChunk() == SSHOutputChunk(stream: .stderr, bytes: Array("e1".utf8)))
        Self.append(&buffers, "e2", .stderr)
        Self.append(&buffers, "o3", .stdout)
        #expect(buffers.takeChunk() == SSHOutputChunk(stream: .stdout, bytes: Array("o2o3".utf8)))
        #expect(buffers.takeChunk() == SSHOutputChunk(stream: .stderr, bytes: Array("e2".utf8)))
        #expect(buffers.takeChunk() == nil)
    }

    @Test func aSlowReaderStopsTheReadingAtTheHighWaterMark() {
        var buffers = OutputBuffers()
        let piece = [UInt8](repeating: 1, count: 64 * 1024)
        while buffers.wantsMore { piece.withUnsafeBytes { buffers.append($0, from: .stdout) } }
        #expect(buffers.count >= OutputBuffers.highWater && buffers.count < OutputBuffers.highWater + piece.count)
        _ = buffers.takeChunk()
        #expect(buffers.wantsMore, "taking output lets reading resume")
        buffers.discard()
        for _ in 0..<40 { piece.withUnsafeBytes { buffers.append($0, from: .stderr) } }
        #expect(buffers.isEmpty && buffers.wantsMore, "discarded output is read without limit and dropped")
    }
}
