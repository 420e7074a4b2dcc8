import Foundation

/// p's connection keeper: a per-user process that holds SSH sessions across p's
/// invocations, so that a command pays for a channel rather than a login (what OpenSSH's
/// ControlMaster with ControlPersist gives its users).
///
/// It listens on a Unix socket in a private directory (`SSHKeeperPlace`), accepts only
/// connections from processes of its own user, and carries one channel per connection
/// (`KeeperFrame`): the client resolves the target, reads its records and plans; the keeper
/// only opens, authenticates and reuses sessions (an `SSHSessionPool` per distinct
/// connection, `SSHKeeperConnection`) and copies each channel's bytes. Sessions are shared
/// only between requests for the same resolved target with the same host-key files,
/// identities and agent. It never prompts: a client that would have to (an unknown host to
/// ask about, a passphrase) connects directly instead.
///
/// It leaves once no channel has run for `idleLimit`, when asked to (`stop`), or when its
/// socket is removed or replaced (nobody can reach it then).
public final class SSHKeeper: Sendable {
    /// How a call of `serve` ended.
    public enum Outcome: Sendable, Equatable {
        /// It served until idle, stopped, or its socket went away.
        case served
        /// Another keeper holds the place; this one did nothing.
        case anotherKeeperRuns
    }

    private let place: SSHKeeperPlace
    private let idleLimit: Duration
    private let state: KeeperState

    private init(place: SSHKeeperPlace, idleLimit: Duration) {
        self.place = place
        self.idleLimit = idleLimit
        state = KeeperState(idleLimit: idleLimit)
    }

    /// Serves at `place` until idle for `idleLimit`, stopped, or its socket is gone; closes
    /// every session before returning. Exactly one keeper serves a place: a second one
    /// returns `.anotherKeeperRuns` at once.
    /// - Throws: `SSHKeeperUnavailable` when the directory is unsafe or the socket cannot
    ///   be made.
    public static func serve(at place: SSHKeeperPlace, idleLimit: Duration) async throws -> Outcome {
        try place.prepare()
        let lock = open(place.lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lock >= 0 else {
            throw SSHKeeperUnavailable("cannot open \(place.lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { return .anotherKeeperRuns }
        let keeper = SSHKeeper(place: place, idleLimit: idleLimit)
        try await keeper.run()
        return .served
    }

    private func run() async throws {
        // Whoever held the lock before is gone: a socket left here is stale. The pid is
        // written before the socket listens, so a client that connects can name it.
        unlink(place.socketPath)
        try? "\(getpid())\n".write(toFile: place.pidPath, atomically: true, encoding: .utf8)
        guard var address = KeeperSocket.address(place.socketPath) else {
            throw SSHKeeperUnavailable("the socket path \(place.socketPath) is too long")
        }
        let listener = KeeperSocket.make()
        guard listener >= 0 else { throw SSHKeeperUnavailable("socket: \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, chmod(place.socketPath, 0o600) == 0, listen(listener, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listener)
            unlink(place.pidPath)
            throw SSHKeeperUnavailable("cannot listen on \(place.socketPath): \(reason)")
        }
        var info = stat()
        _ = lstat(place.socketPath, &info)
        let socketIdentity = (info.st_dev, info.st_ino)
        /// Whether the socket at the path is still this keeper's (not removed, not replaced).
        func socketIsOurs() -> Bool {
            var now = stat()
            return lstat(place.socketPath, &now) == 0 && (now.st_dev, now.st_ino) == socketIdentity
        }

        let state = self.state
        let acceptor = Thread { Self.accept(on: listener, state: state) }
        acceptor.start()

        let tick = min(.seconds(1), max(.milliseconds(50), idleLimit / 4))
        while true {
            await state.pause(tick)
            if await state.decideToLeave() { break }
            if !socketIsOurs() {
                await state.leave()
                break
            }
        }
        // New clients stop finding the socket before the sessions close.
        if socketIsOurs() {
            unlink(place.socketPath)
            unlink(place.pidPath)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        await state.closeAll()
    }

    /// Accepts clients until the listener is shut down: each one's uid is checked, then its
    /// request is read on a thread of its own (a client that never writes holds only that
    /// thread, for at most ten seconds).
    private static func accept(on listener: Int32, state: KeeperState) {
        while true {
            let client = Foundation.accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    usleep(10_000)
                    continue
                }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            Platform.noSigPipe(client)
            guard let uid = Platform.peerUID(client), uid == getuid() else {
                close(client)
                continue
            }
            Thread.detachNewThread {
                guard let request = readRequest(client) else {
                    close(client)
                    return
                }
                Task { await state.handle(request, socket: client) }
            }
        }
    }

    /// The first frame of a connection, read with a ten-second bound.
    private static func readRequest(_ socket: Int32) -> KeeperRequest? {
        var patience = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &patience, socklen_t(MemoryLayout<timeval>.size))
        guard let frame = KeeperSocket.readFrame(socket), frame.kind == .request,
            let request = try? JSONDecoder().decode(KeeperRequest.self, from: Data(frame.payload)),
            request.version == KeeperRequest.currentVersion
        else { return nil }
        return request
    }
}

/// The keeper's sessions and its accounts of activity.
private actor KeeperState {
    private let idleLimit: Duration
    private let started = ContinuousClock.now
    private var pools: [SSHKeeperConnection: SSHSessionPool] = [:]
    private var active = 0
    private var lastActivity = ContinuousClock.now
    private var carried = 0
    private var stopRequested = false

    init(idleLimit: Duration) {
        self.idleLimit = idleLimit
    }

    /// Set once the keeper decided to leave: requests that come later are turned away.
    private var leaving = false

    /// Whether to leave now (stopped, or idle long enough); once true, no channel is taken on.
    func decideToLeave() -> Bool {
        if stopRequested || (active == 0 && ContinuousClock.now - lastActivity >= idleLimit) { leaving = true }
        return leaving
    }

    /// Leaves whatever happens next (the socket went away).
    func leave() { leaving = true }

    private var sleeper: Task<Void, Never>?

    /// Waits `tick`, or less when a stop request comes.
    func pause(_ tick: Duration) async {
        let sleeper = Task { _ = try? await Task.sleep(for: tick) }
        self.sleeper = sleeper
        await sleeper.value
    }

    func handle(_ request: KeeperRequest, socket: Int32) async {
        switch request.operation {
        case .exec, .subsystem:
            guard let target = request.target, let connection = request.connection, let command = request.command
            else {
                close(socket)
                return
            }
            guard !leaving else {
                // Leaving already: the client goes on directly (nothing was sent).
                let failure = KeeperFailure(error: .sessionClosed(host: target.host), requestSent: false)
                _ = KeeperSocket.writeAll(socket, KeeperFrame.encode(.failure, json: failure))
                close(socket)
                return
            }
            active += 1
            carried += 1
            lastActivity = .now
            _ = KeeperSocket.writeAll(socket, KeeperFrame.encode(.accepted))
            await carry(command, subsystem: request.operation == .subsystem, to: target, over: connection, socket)
        case .status:
            _ = KeeperSocket.writeAll(socket, KeeperFrame.encode(.reply, json: await status()))
            close(socket)
        case .stop:
            stopRequested = true
            sleeper?.cancel()
            _ = KeeperSocket.writeAll(socket, KeeperFrame.encode(.reply, json: await status()))
            close(socket)
        }
    }

    /// Starts the channel on a pooled session (a session found dead before the request
    /// went out is replaced once, as `SSHSessionPool.withExec` does) and hands it to a
    /// `KeeperBridge`; a failure to start is the client's `failure` frame.
    private func carry(
        _ command: String, subsystem: Bool, to target: SSHTarget, over connection: SSHKeeperConnection,
        _ socket: Int32
    ) async {
        let pool = pool(for: connection)
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
        var failure = KeeperFailure(error: .sessionClosed(host: target.host), requestSent: false)
        for attempt in 0..<2 {
            let lease: SSHSessionPool.Lease
            do {
                lease = try await pool.lease(target)
            } catch {
                failure = KeeperFailure(error: Self.sshError(error, target), requestSent: false)
                break
            }
            if Self.clientHungUp(socket) {
                // Gone while the session was being made (a Ctrl+C): nothing is sent.
                await pool.release(lease)
                close(socket)
                ended()
                return
            }
            do {
                try await lease.session.startBridge(command, subsystem: subsystem, socket: socket) {
                    Task { await pool.release(lease) }
                    Task { await self.ended() }
                }
                return
            } catch let start as ExecStartFailure {
                await pool.release(lease)
                failure = KeeperFailure(error: Self.sshError(start.error, target), requestSent: start.requestSent)
                if attempt == 0 && !start.requestSent && !lease.session.isAlive { continue }
                break
            } catch {
                await pool.release(lease)
                failure = KeeperFailure(error: Self.sshError(error, target), requestSent: true)
                break
            }
        }
        _ = KeeperSocket.writeAll(socket, KeeperFrame.encode(.failure, json: failure))
        close(socket)
        ended()
    }

    private func ended() {
        active -= 1
        lastActivity = .now
    }

    private func pool(for connection: SSHKeeperConnection) -> SSHSessionPool {
        if let pool = pools[connection] { return pool }
        let pool = SSHSessionPool(
            options: connection.sessionOptions,
            configuration: SSHSessionPool.Configuration(idleTimeout: max(idleLimit, .seconds(1))))
        pools[connection] = pool
        return pool
    }

    private func status() async -> SSHKeeperStatus {
        // One row per target, whatever the connections (host-key policy, files) its
        // sessions were made under.
        var held: [String: SSHKeeperStatus.Held] = [:]
        var opened = 0
        for pool in pools.values {
            opened += await pool.sessionsOpened
            for usage in await pool.usage where usage.sessions > 0 {
                let name = "\(usage.target.user)@\(usage.target.host):\(usage.target.port)"
                var row = held[name] ?? SSHKeeperStatus.Held(target: name, sessions: 0, channels: 0)
                row.sessions += usage.sessions
                row.channels += usage.channels
                held[name] = row
            }
        }
        let now = ContinuousClock.now
        return SSHKeeperStatus(
            pid: getpid(), uptimeSeconds: (now - started).inSeconds,
            idleSeconds: active > 0 ? 0 : (now - lastActivity).inSeconds, idleLimitSeconds: idleLimit.inSeconds,
            held: held.values.sorted { $0.target < $1.target }, sessionsOpened: opened, channelsCarried: carried)
    }

    func closeAll() async {
        for pool in pools.values { await pool.close() }
        pools.removeAll()
    }

    /// Whether the client closed its end of `socket` (non-blocking).
    private static func clientHungUp(_ socket: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)
    }

    private static func sshError(_ error: any Error, _ target: SSHTarget) -> SSHError {
        if let error = error as? SSHError { return error }
        return .sessionFailure(host: target.host, operation: "connecting", code: -1, message: "\(error)")
    }
}
