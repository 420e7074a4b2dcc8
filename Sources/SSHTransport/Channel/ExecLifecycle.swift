/// The phases of one exec channel, as a value: streaming output; then closing, in
/// `ChannelClosing`'s order, waiting for the server's CLOSE only when the command ran to
/// its end (the exit status is read then, since libssh2 reports 0 for "nothing received
/// yet"); finished with the status, or failed. `ExecPump` makes the calls `nextCall` names
/// and reports them done; the decisions are here.
struct ExecLifecycle: Equatable {
    enum Phase: Equatable {
        case streaming
        case closing
        case finished(SSHExitStatus)
        case failed(SSHError)
    }

    private(set) var phase = Phase.streaming
    private var closing: ChannelClosing?
    /// Closed by this side before the command ended: there is no status to wait for.
    private var abandoned = false
    private var status = SSHExitStatus.unknown

    /// Whether the output may still be read and stdin written.
    var isStreaming: Bool { phase == .streaming }

    /// The channel call to make now, while closing.
    var nextCall: ChannelClosing.Step? { phase == .closing ? closing?.next : nil }

    /// This side gives up on the command: once its output is drained, the channel is
    /// closed without waiting for the server (which may never answer a command we left).
    mutating func abandon() {
        if phase == .streaming { abandoned = true }
    }

    /// Both output streams ended, everything read was handed over, and no write is in
    /// progress: time to close.
    mutating func outputFinished() {
        guard phase == .streaming else { return }
        phase = .closing
        closing = ChannelClosing(waitsForPeer: !abandoned)
    }

    /// The call `nextCall` named went through; after `.waitClosed`, `exitStatus` is what
    /// the channel reports.
    mutating func completed(_ step: ChannelClosing.Step, exitStatus: SSHExitStatus = .unknown) {
        guard phase == .closing, closing?.next == step else { return }
        closing?.completed()
        if step == .waitClosed { status = exitStatus }
        if closing?.next == nil { phase = .finished(abandoned ? .unknown : status) }
    }

    mutating func fail(_ error: SSHError) {
        phase = .failed(error)
        closing = nil
    }
}
