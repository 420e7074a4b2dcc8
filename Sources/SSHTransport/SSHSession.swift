import Foundation

/// One authenticated SSH connection, on which many commands can run at once.
///
/// ## The blocking story
/// Each session owns a thread of its own that makes every libssh2 call for it, in
/// non-blocking mode, and sleeps in `poll()` on the socket when nothing can progress. The
/// `async` methods hand work to that thread and suspend until it is done: they never block
/// a thread of Swift's cooperative pool, and one slow channel never holds up another.
/// Prompts for passphrases, passwords and unknown host keys run on the session's thread.
///
/// ## Liveness
/// Keepalives are sent from the session thread. When the server stays silent longer than
/// the dead-peer bound, every pending operation fails with `SSHError.connectionLost`, and
/// so does every later one: a session that failed or timed out is never reused.
public final class SSHSession: Sendable {
    /// Where this session is connected.
    public let target: SSHTarget
    let loop: IOLoop
    let handle: SessionHandle
    private let options: SSHSessionOptions
    var setupTimeout: Duration { options.setupTimeout }
    /// The session to the jump host this one runs through, kept open as long as this one.
    private let jumpSession: SSHSession?

    /// The window each exec channel advertises: large enough to keep a fast link busy.
    static let channelWindow: UInt32 = 4 * 1024 * 1024

    private init(
        target: SSHTarget, loop: IOLoop, handle: SessionHandle, options: SSHSessionOptions, jumpSession: SSHSession?
    ) {
        self.target = target
        self.loop = loop
        self.handle = handle
        self.options = options
        self.jumpSession = jumpSession
    }

    deinit {
        loop.shutdown(error: .sessionClosed(host: target.host)) { [handle] in _ = handle.disconnect(reason: "closed") }
    }

    /// Connects, verifies the host key and authenticates.
    ///
    /// - Parameters:
    ///   - target: where to connect (see `SSHTarget.resolve`).
    ///   - options: host-key policy, credentials, timeouts.
    /// - Returns: an authenticated session.
    /// - Throws: `SSHError`: name resolution, refused or unreachable host, timeout, unknown
    ///   or changed host key, authentication failure.
    public static func connect(to target: SSHTarget, options: SSHSessionOptions = SSHSessionOptions()) async throws
        -> SSHSession
    {
        var jumpSession: SSHSession?
        for hop in target.jumpHosts {
            jumpSession = try await connect(to: hop, through: jumpSession, options: options)
        }
        return try await connect(to: target, through: jumpSession, options: options)
    }

    /// Connects to `target` directly, or through a `direct-tcpip` channel of `jump`.
    private static func connect(to target: SSHTarget, through jump: SSHSession?, options: SSHSessionOptions)
        async throws -> SSHSession
    {
        let loop = IOLoop(host: target.host)
        do {
            let socket: Int32
            if let jump {
                socket = try await jump.forwardedSocket(to: target.host, port: target.port)
            } else {
                let timeout = target.connectTimeout ?? options.connectTimeout
                socket = try await loop.runBlocking { cancelled throws(SSHError) in
                    let socket = try TCPConnector.connect(
                        host: target.host, port: target.port, timeout: timeout, cancelled: cancelled)
                    // Cancelled as it connected: nobody will use it.
                    if cancelled.isSet {
                        Foundation.close(socket)
                        throw .sessionClosed(host: target.host)
                    }
                    return socket
                }
            }
            let liveness = options.resolvedLiveness(for: target)
            let (handle, verifier) = try await loop.runBlocking {
                _ throws(SSHError) -> (SessionHandle, HostKeyVerifier) in
                let handle: SessionHandle
                do throws(LibSSH2Failure) {
                    handle = try SessionHandle(socket: socket)
                } catch {
                    Foundation.close(socket)
                    throw error.sshError(host: target.host, operation: "starting a session")
                }
                loop.session = handle
                loop.liveness = liveness
                handle.traffic.onConnectionEnd = { [unowned loop] reason in
                    loop.markClosed(.connectionLost(host: target.host, reason: reason))
                }
                handle.configureKeepalive(intervalSeconds: Int(liveness.keepaliveInterval.components.seconds))
                guard let verifier = HostKeyVerifier(session: handle, target: target) else {
                    throw .sessionFailure(
                        host: target.host, operation: "reading known_hosts", code: -1,
                        message: "libssh2 could not allocate a known-hosts store")
                }
                return (handle, verifier)
            }
            // As OpenSSH's ConnectTimeout, the connect timeout bounds the server's greeting
            // too: a server that accepts connections but says nothing (stopped, overloaded)
            // fails then, not after the whole setup timeout. The handshake starts at once
            // (the client's banner crosses the server's on the wire); the first phase ends
            // when the server's first bytes arrive, the second has the setup timeout.
            func handshake() throws(SSHError) -> Attempt<Void> {
                try Attempt.mapping(host: target.host, operation: "exchanging keys") { () throws(LibSSH2Failure) in
                    try handle.handshake()
                }
            }
            let greeted = try await loop.perform(
                "waiting for the server's greeting", timeout: target.connectTimeout ?? options.connectTimeout
            ) { () throws(SSHError) -> Attempt<Bool> in
                if case .done = try handshake() { return .done(true) }
                return handle.traffic.bytesReceived > 0 ? .done(false) : .wouldBlock
            }
            if !greeted {
                try await loop.perform("exchanging keys", timeout: options.setupTimeout) {
                    () throws(SSHError) -> Attempt<Void> in try handshake()
                }
            }
            let policy = options.resolvedPolicy(for: target)
            try await loop.runBlocking { _ throws(SSHError) -> Void in
                try verifier.verify(session: handle, policy: policy)
            }
            try await Authenticator(loop: loop, session: handle, target: target, options: options).authenticate()
            loop.startKeepalive()
            return SSHSession(target: target, loop: loop, handle: handle, options: options, jumpSession: jump)
        } catch {
            loop.shutdown(error: .sessionClosed(host: target.host))
            throw error
        }
    }

    /// Resolves a connection string through `~/.ssh/config` and connects.
    /// - Throws: `SSHError`, as `connect(to:options:)`.
    public static func connect(_ connection: String, options: SSHSessionOptions = SSHSessionOptions()) async throws
        -> SSHSession
    {
        try await connect(to: SSHTarget.resolve(connection), options: options)
    }

    /// Whether the session can still be used: it has not failed, timed out or been closed.
    public var isAlive: Bool { !loop.isFailed }

    /// Starts `command` on the server (run by the login user's shell, as `ssh host command`).
    ///
    /// - Returns: the running command: its output, stdin and exit status.
    /// - Throws: `SSHError.channelFailure` if the server refuses the channel or the command,
    ///   `SSHError.connectionLost` if the connection is gone.
    public func exec(_ command: String) async throws -> SSHExec {
        do {
            return try await startExec(command)
        } catch let failure as ExecStartFailure {
            throw failure.error
        }
    }

    /// Starts `command` as `exec` does, saying on failure whether its request can have
    /// reached the server (`ExecStartFailure`): a command that may have started must not be
    /// sent again (the session pool retries only the others).
    func startExec(_ command: String) async throws -> SSHExec {
        try await startChannel(describedAs: command, operation: "starting the command") {
            channel throws(LibSSH2Failure) in
            try channel.exec(command)
        }
    }

    /// Starts a subsystem (`sftp`) on a channel of its own and returns its byte streams,
    /// for a protocol spoken over them directly.
    func subsystem(_ name: String) async throws -> SSHExec {
        do {
            return try await startChannel(
                describedAs: "subsystem " + name, operation: "starting the \(name) subsystem"
            ) { channel throws(LibSSH2Failure) in try channel.startSubsystem(name) }
        } catch let failure as ExecStartFailure {
            throw failure.error
        }
    }

    /// Opens a channel and starts something on it; throws `ExecStartFailure`, which says
    /// whether the request to start was under way (`subsystem` and `exec` unwrap it).
    private func startChannel(
        describedAs command: String, operation: String,
        _ start: @escaping @Sendable (ChannelHandle) throws(LibSSH2Failure) -> Attempt<Void>
    ) async throws -> SSHExec {
        let channel = try await openStartedChannel(operation: operation, start)
        let pump = ExecPump(channel: channel, host: target.host)
        loop.submit(
            LoopTask(operation: "running a command", lane: nil, deadline: nil, step: pump.step, fail: pump.fail))
        return SSHExec(pump: pump, session: self, command: command)
    }

    /// Starts `command` (or, with `subsystem`, that subsystem) on a channel whose bytes go
    /// to and from a keeper client's connection `socket` (`KeeperBridge`); `onEnd` runs
    /// once the channel is done and the socket closed. Throws `ExecStartFailure` as
    /// `startExec` does; the socket is then left to the caller.
    func startBridge(
        _ command: String, subsystem: Bool, socket: Int32, onEnd: @escaping @Sendable () -> Void
    ) async throws {
        let operation = subsystem ? "starting the \(command) subsystem" : "starting the command"
        let channel = try await openStartedChannel(operation: operation) { channel throws(LibSSH2Failure) in
            try subsystem ? channel.startSubsystem(command) : channel.exec(command)
        }
        let bridge = KeeperBridge(channel: channel, socket: socket, host: target.host) { [self] in
            // The bridge keeps its session (and the session its loop) until it ends.
            _ = self
            onEnd()
        }
        loop.submit(
            LoopTask(
                operation: "carrying a command for a client", lane: nil, deadline: nil,
                descriptor: bridge.pollEvents, step: bridge.step, fail: bridge.fail))
    }

    /// Opens a channel and runs `start` on it; throws `ExecStartFailure`.
    private func openStartedChannel(
        operation: String, _ start: @escaping @Sendable (ChannelHandle) throws(LibSSH2Failure) -> Attempt<Void>
    ) async throws -> ChannelHandle {
        let handle = self.handle
        let host = target.host
        let channel: ChannelHandle
        do {
            channel = try await loop.perform("opening a channel", timeout: options.setupTimeout, lane: .channelSetup) {
                () throws(SSHError) in
                try Attempt.mapping(host: host, operation: "opening a channel", channel: true) {
                    () throws(LibSSH2Failure) in
                    try handle.openSessionChannel(window: Self.channelWindow)
                }
            }
        } catch {
            throw ExecStartFailure(requestSent: false, error: error)
        }
        do {
            try await loop.perform(operation, timeout: options.setupTimeout, lane: .channelSetup) {
                () throws(SSHError) -> Attempt<Void> in
                try Attempt.mapping(host: host, operation: operation, channel: true) {
                    () throws(LibSSH2Failure) in
                    try start(channel)
                }
            }
        } catch {
            loop.execute { _ = channel.free() }
            throw ExecStartFailure(requestSent: true, error: error)
        }
        return channel
    }

    /// Runs `command` to completion and collects everything it wrote.
    ///
    /// - Parameters:
    ///   - command: the command line, run by the login's shell as `ssh host command` runs it.
    ///   - stdin: bytes to write to the command's stdin, which is closed afterwards.
    /// - Returns: stdout, stderr and the exit status.
    /// - Throws: `SSHError`, as `exec(_:)`.
    public func run(_ command: String, stdin: [UInt8] = []) async throws -> SSHExecResult {
        try await Self.collect(self.exec(command), stdin: stdin)
    }

    /// Writes `stdin` (then EOF) while reading all output, then reads the exit status.
    static func collect(_ exec: SSHExec, stdin: [UInt8]) async throws -> SSHExecResult {
        async let input: Void = {
            try await exec.write(stdin)
            try await exec.closeInput()
        }()
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        for try await chunk in exec.output {
            if chunk.stream == .stdout { stdout += chunk.bytes } else { stderr += chunk.bytes }
        }
        try await input
        return SSHExecResult(stdout: stdout, stderr: stderr, status: try await exec.exitStatus())
    }

    /// Disconnects. Pending and later operations fail with `SSHError.sessionClosed`.
    public func close() {
        loop.shutdown(error: .sessionClosed(host: target.host)) { [handle] in
            _ = handle.disconnect(reason: "closed by p")
        }
    }

    /// Closes the session as `close()` does, and returns once the server has been sent the
    /// disconnect message: call it before the process exits, or the server sees only the
    /// socket close.
    public func disconnect() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.shutdown(
                error: .sessionClosed(host: target.host),
                finalWork: { [handle] in _ = handle.disconnect(reason: "closed by p") },
                done: { continuation.resume() })
        }
    }
}

/// A channel that could not start, and whether its request to start (an exec) was already
/// under way, so the server may have started it: the error the caller sees is `error`.
struct ExecStartFailure: Error {
    var requestSent: Bool
    var error: any Error
}
