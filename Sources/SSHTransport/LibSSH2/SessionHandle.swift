import CLibSSH2
import Foundation

/// State libssh2's C callbacks reach through the session's `abstract` pointer.
final class SessionCallbackContext {
    let traffic = TrafficMonitor()
    /// Answers keyboard-interactive prompts during one authentication call.
    var keyboardInteractive: ((_ name: String, _ instruction: String, _ prompts: [SSHPrompt]) -> [String]?)?
}

/// Owns one `LIBSSH2_SESSION` in non-blocking mode over a connected socket.
///
/// libssh2 is not thread-safe per session: every method must run on the owning session's
/// I/O thread. That confinement is what makes the `@unchecked Sendable` safe; the type is
/// only handed to closures that the session's `IOLoop` runs.
final class SessionHandle: @unchecked Sendable {
    let raw: OpaquePointer
    let socket: Int32
    let context = SessionCallbackContext()
    private var freed = false

    init(socket: Int32) throws(LibSSH2Failure) {
        LibSSH2.ensureInitialized()
        let abstract = Unmanaged.passUnretained(context).toOpaque()
        guard let session = libssh2_session_init_ex(nil, nil, nil, abstract) else {
            throw LibSSH2Failure(code: LIBSSH2_ERROR_ALLOC, message: "libssh2 could not allocate a session")
        }
        raw = session
        self.socket = socket
        libssh2_session_set_blocking(session, 0)
        libssh2_session_flag(session, LIBSSH2_FLAG_COMPRESS, 0)
        libssh2_session_callback_set(
            session, LIBSSH2_CALLBACK_RECV, unsafeBitCast(receiveCallback, to: UnsafeMutableRawPointer.self))
    }

    deinit {
        free()
    }

    var traffic: TrafficMonitor { context.traffic }

    /// The last error libssh2 recorded, copied before another call can overwrite it.
    func lastError(fallbackCode: Int32) -> LibSSH2Failure {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(raw, &message, &length, 0)
        let text = message.map { String(cString: $0) } ?? ""
        return LibSSH2Failure(
            code: code == 0 ? fallbackCode : code, message: text.isEmpty ? "no details from libssh2" : text)
    }

    /// Turns a libssh2 return code into an `Attempt`, or throws with libssh2's own message.
    func check(_ rc: Int32) throws(LibSSH2Failure) -> Attempt<Void> {
        if rc == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        if rc < 0 { throw lastError(fallbackCode: rc) }
        return .done(())
    }

    /// The same for calls that return a pointer and signal failure with NULL.
    func check<T>(_ pointer: T?) throws(LibSSH2Failure) -> Attempt<T> {
        if let pointer { return .done(pointer) }
        let error = lastError(fallbackCode: LIBSSH2_ERROR_EAGAIN)
        if error.code == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        throw error
    }

    /// The directions the last call that returned EAGAIN was waiting for.
    var blockDirections: (inbound: Bool, outbound: Bool) {
        let directions = libssh2_session_block_directions(raw)
        return (
            directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0,
            directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0
        )
    }

    /// The host-key algorithms this libssh2 supports, in its default order.
    var supportedHostKeyMethods: [String] {
        var algorithms: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        let count = libssh2_session_supported_algs(raw, LIBSSH2_METHOD_HOSTKEY, &algorithms)
        guard count > 0, let algorithms else { return [] }
        defer { libssh2_free(raw, algorithms) }
        return (0..<Int(count)).compactMap { algorithms[$0].map { String(cString: $0) } }
    }

    func preferHostKeyMethods(_ methods: [String]) {
        guard !methods.isEmpty else { return }
        _ = libssh2_session_method_pref(raw, LIBSSH2_METHOD_HOSTKEY, methods.joined(separator: ","))
    }

    func handshake() throws(LibSSH2Failure) -> Attempt<Void> {
        try check(libssh2_session_handshake(raw, socket))
    }

    /// The server's host key: raw blob and libssh2's type constant.
    func hostKey() -> (key: [UInt8], type: Int32)? {
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(raw, &length, &type) else { return nil }
        return (Array(UnsafeRawBufferPointer(start: pointer, count: length)), type)
    }

    /// The SHA-256 fingerprint of the host key, as OpenSSH prints it (`SHA256:...`).
    func hostKeyFingerprint() -> String {
        guard let hash = libssh2_hostkey_hash(raw, LIBSSH2_HOSTKEY_HASH_SHA256) else { return "SHA256:?" }
        let bytes = Data(bytes: hash, count: 32)
        let base64 = bytes.base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "SHA256:" + base64
    }

    /// The authentication methods the server offers; `nil` means "none" auth succeeded.
    func authenticationMethods(user: String) throws(LibSSH2Failure) -> Attempt<[String]?> {
        if let list = libssh2_userauth_list(raw, user, UInt32(user.utf8.count)) {
            return .done(String(cString: list).split(separator: ",").map(String.init))
        }
        if libssh2_userauth_authenticated(raw) != 0 { return .done(nil) }
        let error = lastError(fallbackCode: LIBSSH2_ERROR_EAGAIN)
        if error.code == LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
        throw error
    }

    func authenticate(user: String, privateKey: String, publicKey: String?, passphrase: String?) throws(LibSSH2Failure)
        -> Attempt<Void>
    {
        try check(
            libssh2_userauth_publickey_fromfile_ex(
                raw, user, UInt32(user.utf8.count), publicKey, privateKey, passphrase))
    }

    func authenticate(user: String, password: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try check(
            libssh2_userauth_password_ex(
                raw, user, UInt32(user.utf8.count), password, UInt32(password.utf8.count), nil))
    }

    func authenticateKeyboardInteractive(user: String) throws(LibSSH2Failure) -> Attempt<Void> {
        try check(
            libssh2_userauth_keyboard_interactive_ex(raw, user, UInt32(user.utf8.count), keyboardInteractiveCallback))
    }

    func configureKeepalive(intervalSeconds: Int) {
        libssh2_keepalive_config(raw, 1, UInt32(max(1, intervalSeconds)))
    }

    /// Sends a keepalive if one is due; returns the seconds until the next one.
    func sendKeepaliveIfDue() -> Int {
        var next: Int32 = 0
        _ = libssh2_keepalive_send(raw, &next)
        return Int(max(1, next))
    }

    func disconnect(reason: String) -> Attempt<Void> {
        p_libssh2_session_disconnect(raw, reason) == LIBSSH2_ERROR_EAGAIN ? .wouldBlock : .done(())
    }

    func openSessionChannel(window: UInt32) throws(LibSSH2Failure) -> Attempt<ChannelHandle> {
        switch try check(p_libssh2_channel_open_session(raw, window)) {
        case .wouldBlock: return .wouldBlock
        case .done(let channel): return .done(ChannelHandle(raw: channel, session: self))
        }
    }

    /// Opens a `direct-tcpip` channel: the server connects to `host:port` for us.
    func openDirectTCPIP(host: String, port: Int) throws(LibSSH2Failure) -> Attempt<ChannelHandle> {
        switch try check(libssh2_channel_direct_tcpip_ex(raw, host, Int32(port), "127.0.0.1", 22)) {
        case .wouldBlock: return .wouldBlock
        case .done(let channel): return .done(ChannelHandle(raw: channel, session: self))
        }
    }

    func free() {
        guard !freed else { return }
        freed = true
        libssh2_session_free(raw)
    }
}

/// libssh2's socket reads, observed: counts bytes and notices EOF for the I/O loop, and
/// acknowledges at once what arrived when the read drained the socket
/// (`Platform.acknowledgeNow`).
private let receiveCallback:
    @convention(c) (
        Int32, UnsafeMutableRawPointer?, Int, Int32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> Int = { socket, buffer, length, flags, abstract in
        let received = recv(socket, buffer, length, flags)
        let context = abstract?.pointee.map { Unmanaged<SessionCallbackContext>.fromOpaque($0).takeUnretainedValue() }
        if received < 0 {
            let error = errno
            context?.traffic.record(error: error)
            return error == EWOULDBLOCK ? -Int(EAGAIN) : -Int(error)
        }
        context?.traffic.record(received: received)
        // Only once the socket is drained (a read short of what was asked): then the peer
        // may be holding a packet for this acknowledgement; a bulk transfer's full reads
        // leave the kernel's own pacing of acknowledgements alone.
        if received > 0 && received < length { Platform.acknowledgeNow(socket) }
        return received
    }

/// Bridges libssh2's keyboard-interactive prompts to the session's Swift responder.
private let keyboardInteractiveCallback:
    @convention(c) (
        UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, Int32,
        UnsafePointer<LIBSSH2_USERAUTH_KBDINT_PROMPT>?, UnsafeMutablePointer<LIBSSH2_USERAUTH_KBDINT_RESPONSE>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> Void = { name, nameLength, instruction, instructionLength, count, prompts, responses, abstract in
        guard
            let context = abstract?.pointee.map({
                Unmanaged<SessionCallbackContext>.fromOpaque($0).takeUnretainedValue()
            }),
            let responder = context.keyboardInteractive, let prompts, let responses
        else { return }
        func text(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
            guard let pointer, length > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        let asked = (0..<Int(count)).map { index in
            let prompt = prompts[index]
            return SSHPrompt(
                text: prompt.text.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(prompt.length)), as: UTF8.self)
                } ?? "",
                echo: prompt.echo != 0)
        }
        guard let answers = responder(text(name, Int(nameLength)), text(instruction, Int(instructionLength)), asked)
        else { return }
        for (index, answer) in answers.prefix(Int(count)).enumerated() {
            // libssh2 frees the responses with its allocator, the default being free().
            responses[index].text = strdup(answer)
            responses[index].length = UInt32(answer.utf8.count)
        }
    }
