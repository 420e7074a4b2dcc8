import CLibSSH2

/// Which of a channel's two output streams some bytes came from.
public enum SSHStream: Sendable, Equatable {
    /// Standard output.
    case stdout
    /// Standard error (SSH extended data).
    case stderr
}

/// Owns one `LIBSSH2_CHANNEL`. Keeps its session alive; confined to the session's I/O
/// thread like `SessionHandle` (hence the `@unchecked Sendable`).
final class ChannelHandle: @unchecked Sendable {
    let raw: OpaquePointer
    let session: SessionHandle
    private var freed = false

    init(raw: OpaquePointer, session: SessionHandle) {
        self.raw = raw
        self.session = session
    }

    func exec(_ command: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try session.check(p_libssh2_channel_exec(raw, command, UInt32(command.utf8.count)))
    }

    func startSubsystem(_ name: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try session.check(p_libssh2_channel_subsystem(raw, name, UInt32(name.utf8.count)))
    }

    /// Reads what is waiting on one stream: `.done(0)` at end of file.
    func read(_ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer) throws(LibSSH2Failure) -> Attempt<Int> {
        let rc = libssh2_channel_read_ex(
            raw, stream == .stdout ? 0 : SSH_EXTENDED_DATA_STDERR,
            buffer.baseAddress?.assumingMemoryBound(to: CChar.self),
            buffer.count)
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw session.lastError(fallbackCode: Int32(rc)) }
        return .done(rc)
    }

    /// Writes to stdin; may write only part of the buffer.
    func write(_ buffer: UnsafeRawBufferPointer) throws(LibSSH2Failure) -> Attempt<Int> {
        let rc = libssh2_channel_write_ex(raw, 0, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw session.lastError(fallbackCode: Int32(rc)) }
        return .done(rc)
    }

    func sendEOF() throws(LibSSH2Failure) -> Attempt<Void> { try session.check(libssh2_channel_send_eof(raw)) }

    func close() throws(LibSSH2Failure) -> Attempt<Void> { try session.check(libssh2_channel_close(raw)) }

    func waitClosed() throws(LibSSH2Failure) -> Attempt<Void> { try session.check(libssh2_channel_wait_closed(raw)) }

    /// The exit status, if one arrived (on libssh2 1.10, which cannot tell, any value read
    /// after the server's channel close counts as arrived: see `SSHExec`).
    var exitStatus: Int32? {
        switch p_libssh2_channel_has_exit_status(raw) {
        case 0: return nil
        default: return libssh2_channel_get_exit_status(raw)
        }
    }

    /// The exit signal's name (without "SIG") and message, if the process died of one.
    func exitSignal() -> (name: String, message: String)? {
        var name: UnsafeMutablePointer<CChar>?
        var nameLength = 0
        var message: UnsafeMutablePointer<CChar>?
        var messageLength = 0
        guard libssh2_channel_get_exit_signal(raw, &name, &nameLength, &message, &messageLength, nil, nil) == 0,
            let name
        else { return nil }
        defer {
            libssh2_free(session.raw, name)
            if let message { libssh2_free(session.raw, message) }
        }
        let text = message.map { String(cString: $0) } ?? ""
        return (String(cString: name), text)
    }

    func free() -> Attempt<Void> {
        guard !freed else { return .done(()) }
        if libssh2_channel_free(raw) == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        freed = true
        return .done(())
    }
}
