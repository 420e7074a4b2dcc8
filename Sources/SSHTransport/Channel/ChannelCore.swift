import Foundation

/// The calls on one libssh2 channel that an exec (`ExecPump`) and a jump host's tunnel
/// (`ChannelSocketBridge`) share: reads of every stream still open, each until it would
/// block or a limit is reached, noting each stream's end; writes that go as far as the
/// channel's window allows; EOF sent once; and the close sequence (`ChannelClosing`).
/// Every libssh2 failure becomes an `SSHError` naming the host and what was being done.
///
/// Confined to the session's I/O thread (hence the `@unchecked Sendable`).
final class ChannelCore: @unchecked Sendable {
    let channel: ChannelHandle
    let host: String
    private let scratch: UnsafeMutableRawBufferPointer
    /// The streams whose end the peer sent, or that were given up.
    private(set) var ended: Set<SSHStream> = []
    /// Whether EOF went out on this side.
    private(set) var sentEOF = false

    init(channel: ChannelHandle, host: String, scratchSize: Int) {
        self.channel = channel
        self.host = host
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
    }

    deinit {
        scratch.deallocate()
    }

    /// Whether every stream of `streams` has ended.
    func allEnded(_ streams: [SSHStream]) -> Bool { streams.allSatisfy(ended.contains) }

    /// Treats `streams` as ended without reading them (a consumer gave them up).
    func giveUp(_ streams: [SSHStream]) { ended.formUnion(streams) }

    /// Reads what is waiting, one read per open stream in turn (so a full stderr never
    /// stalls behind stdout, nor the reverse), for as long as `wantsMore()` and something
    /// moves; hands each piece to `deliver`.
    /// - Returns: whether anything happened (bytes, or a stream's end).
    func read(
        _ streams: [SSHStream], operation: String, while wantsMore: () -> Bool,
        deliver: (SSHStream, UnsafeRawBufferPointer) -> Void
    ) throws(SSHError) -> Bool {
        var progressed = false
        while wantsMore() {
            var moved = false
            for stream in streams where !ended.contains(stream) {
                let result = try Attempt.mapping(host: host, operation: operation, channel: true) {
                    () throws(LibSSH2Failure) in try channel.read(stream, into: scratch)
                }
                guard case .done(let count) = result else { continue }
                progressed = true
                if count == 0 {
                    ended.insert(stream)
                    continue
                }
                moved = true
                deliver(stream, UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            }
            if !moved { break }
        }
        return progressed
    }

    /// Writes as much of `bytes[offset...]` as the channel takes now.
    /// - Returns: how many bytes went (0 when it would block).
    func write(_ bytes: [UInt8], from offset: Int, operation: String) throws(SSHError) -> Int {
        var written = 0
        while offset + written < bytes.count {
            let result = try Attempt.mapping(host: host, operation: operation, channel: true) {
                () throws(LibSSH2Failure) in
                try bytes.withUnsafeBytes { buffer in
                    Result { () throws(LibSSH2Failure) in
                        try channel.write(UnsafeRawBufferPointer(rebasing: buffer[(offset + written)...]))
                    }
                }.get()
            }
            // A full window can read as 0 bytes written: wait for the network, as for EAGAIN.
            guard case .done(let count) = result, count > 0 else { break }
            written += count
        }
        return written
    }

    /// Sends EOF unless it went out already.
    /// - Returns: whether it has gone out (false: retry when the network allows).
    func sendEOF(operation: String) throws(SSHError) -> Bool {
        if sentEOF { return true }
        guard case .done = try Attempt.mapping(host: host, operation: operation, channel: true, channel.sendEOF)
        else { return false }
        sentEOF = true
        return true
    }

    /// Makes one call of the close sequence (see `ChannelClosing`).
    /// - Returns: whether it went through (false: retry when the network allows).
    func perform(_ step: ChannelClosing.Step) throws(SSHError) -> Bool {
        let result: Attempt<Void>
        switch step {
        case .close:
            result = try Attempt.mapping(
                host: host, operation: "closing the channel", channel: true, channel.close)
        case .waitClosed:
            result = try Attempt.mapping(
                host: host, operation: "waiting for the channel to close", channel: true, channel.waitClosed)
        case .free:
            result = channel.free()
        }
        if case .done = result { return true }
        return false
    }
}
