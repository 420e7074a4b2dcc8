/// The order in which a channel is closed, as a value: CLOSE sent; then, when the peer's
/// answer matters, the peer's CLOSE awaited (everything it sent before, such as an exec's
/// exit-status and exit-signal, has then been read); then the handle freed. Each step is a
/// libssh2 call that may have to be retried; `completed()` moves on once it went through.
struct ChannelClosing: Equatable {
    /// A call of the sequence.
    enum Step: Equatable {
        /// `libssh2_channel_close`: sends CLOSE.
        case close
        /// `libssh2_channel_wait_closed`: waits for the peer's CLOSE.
        case waitClosed
        /// `libssh2_channel_free`.
        case free
    }

    /// The call to make now; nil once the channel is freed.
    private(set) var next: Step? = .close
    /// Whether the peer's CLOSE is awaited before the handle is freed.
    let waitsForPeer: Bool

    init(waitsForPeer: Bool) {
        self.waitsForPeer = waitsForPeer
    }

    /// The step `next` named went through.
    mutating func completed() {
        switch next {
        case .close: next = waitsForPeer ? .waitClosed : .free
        case .waitClosed: next = .free
        case .free, nil: next = nil
        }
    }
}
