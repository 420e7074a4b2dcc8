import Foundation

/// Sessions per target, opened on demand up to a limit and reused across calls and tasks,
/// so that a long-lived program pays the handshake once.
///
/// Each session carries at most `maxChannelsPerSession` channels at a time (sshd allows 10
/// per connection by default, `MaxSessions`); beyond that the pool opens another session, up
/// to `maxSessionsPerTarget`, and then callers wait for a free slot. A session that failed
/// (connection lost, timed out) is dropped and replaced on the next call; sessions idle
/// longer than `idleTimeout` are closed.
public actor SSHSessionPool {
    /// Limits of a pool.
    public struct Configuration: Sendable {
        /// Sessions opened to one target at most (default 4).
        public var maxSessionsPerTarget: Int
        /// Channels open at once on one session (default 10, sshd's `MaxSessions`).
        public var maxChannelsPerSession: Int
        /// How long an unused session stays open (default 60 s).
        public var idleTimeout: Duration
        /// Connections being opened at once, over all targets (default 16): asking fifty
        /// workers at once opens sixteen at a time, so neither this machine nor a jump host
        /// sees a burst of fifty handshakes.
        public var maxConnectingAtOnce: Int

        /// Creates a configuration.
        public init(
            maxSessionsPerTarget: Int = 4, maxChannelsPerSession: Int = 10, idleTimeout: Duration = .seconds(60),
            maxConnectingAtOnce: Int = 16
        ) {
            self.maxConnectingAtOnce = max(1, maxConnectingAtOnce)
            self.maxSessionsPerTarget = max(1, maxSessionsPerTarget)
            self.maxChannelsPerSession = max(1, maxChannelsPerSession)
            self.idleTimeout = idleTimeout
        }
    }

    /// A borrowed channel slot on a pooled session. Give it back with `release(_:)`.
    public struct Lease: Sendable {
        /// The session to use for one channel.
        public let session: SSHSession
        let target: SSHTarget
        let id: ObjectIdentifier
    }

    private struct Entry {
        let session: SSHSession
        var inUse: Int
        var lastUsed: ContinuousClock.Instant
    }

    private let options: SSHSessionOptions
    private let configuration: Configuration
    private var entries: [SSHTarget: [Entry]] = [:]
    private var connecting: [SSHTarget: Int] = [:]
    private var connectingTotal = 0
    private var mostConnectingAtOnce = 0
    private let connectSlots = WaitQueue<Int>()
    private let waiters = WaitQueue<SSHTarget>()
    private var reaper: Task<Void, Never>?
    private var closed = false
    private var opened = 0

    /// A pool whose sessions connect with `options`.
    public init(options: SSHSessionOptions = SSHSessionOptions(), configuration: Configuration = Configuration()) {
        self.options = options
        self.configuration = configuration
    }

    /// How many sessions this pool has opened in its life (for tests and diagnostics).
    public var sessionsOpened: Int { opened }

    /// Open sessions and channels in use per target (a keeper's status).
    var usage: [(target: SSHTarget, sessions: Int, channels: Int)] {
        entries.map { target, list in
            (target, list.filter { $0.session.isAlive }.count, list.reduce(0) { $0 + $1.inUse })
        }
    }

    /// The most connections this pool has had opening at the same time (for tests and
    /// benchmarks).
    public var peakConnecting: Int { mostConnectingAtOnce }

    /// Borrows a channel slot on a session to `target`, connecting if needed.
    /// - Throws: `SSHError` if a new session cannot be opened.
    public func lease(_ target: SSHTarget) async throws -> Lease {
        while true {
            guard !closed else { throw SSHError.sessionClosed(host: target.host) }
            dropDeadSessions(of: target)
            let list = entries[target] ?? []
            // The least busy session with a free channel slot.
            if let index = list.indices.filter({ list[$0].inUse < configuration.maxChannelsPerSession })
                .min(by: { list[$0].inUse < list[$1].inUse })
            {
                entries[target]![index].inUse += 1
                let session = list[index].session
                return Lease(session: session, target: target, id: ObjectIdentifier(session))
            }
            let count = (entries[target]?.count ?? 0) + (connecting[target] ?? 0)
            if count < configuration.maxSessionsPerTarget {
                return try await openSession(to: target)
            }
            try await waiters.wait(for: target)
        }
    }

    /// Returns a slot borrowed with `lease(_:)`.
    public func release(_ lease: Lease) {
        if let index = entries[lease.target]?.firstIndex(where: { ObjectIdentifier($0.session) == lease.id }) {
            entries[lease.target]![index].inUse -= 1
            entries[lease.target]![index].lastUsed = .now
        }
        wakeOne(lease.target)
    }

    /// Runs `body` with a pooled session, holding one channel slot for its duration.
    /// - Throws: what `body` throws, or `SSHError` if no session can be opened.
    public func withSession<T: Sendable>(
        _ target: SSHTarget, _ body: @Sendable (SSHSession) async throws -> T
    ) async throws -> T {
        let lease = try await lease(target)
        do {
            let result = try await body(lease.session)
            release(lease)
            return result
        } catch {
            release(lease)
            throw error
        }
    }

    /// Runs a command to completion on a pooled session.
    ///
    /// If the pooled session turns out to be dead before the command's channel opened (it
    /// died while idle), the command is retried once on a fresh session: it cannot have run.
    /// - Throws: `SSHError`, as `SSHSession.run`.
    public func run(_ command: String, on target: SSHTarget, stdin: [UInt8] = []) async throws -> SSHExecResult {
        try await withExec(command, on: target) { exec in try await SSHSession.collect(exec, stdin: stdin) }
    }

    /// Starts a command on a pooled session and runs `body` with it, holding the channel
    /// slot until `body` returns; the channel is closed if `body` throws.
    ///
    /// A session found dead when the command is started (it died while idle) is replaced
    /// once, if its channel could not even open: the command cannot have run. Once the exec
    /// request was under way, the server may have started the command, so it is never sent
    /// again (a launch sent twice would start a job twice). `body` runs in the caller's context, so it may
    /// use the caller's state (output sinks, counters).
    /// - Throws: `SSHError` if no session can be opened or the command cannot start; what
    ///   `body` throws.
    public nonisolated func withExec<T>(
        _ command: String, on target: SSHTarget, _ body: (SSHExec) async throws -> T
    ) async throws -> T {
        for attempt in 0..<2 {
            let lease = try await lease(target)
            let exec: SSHExec
            do {
                exec = try await lease.session.startExec(command)
            } catch let failure as ExecStartFailure {
                await release(lease)
                // A session found dead before the exec request went out is replaced once;
                // a command whose request was under way may have started: never sent twice.
                if attempt == 0 && !failure.requestSent && !lease.session.isAlive && failure.error is SSHError {
                    continue
                }
                throw failure.error
            } catch {
                await release(lease)
                throw error
            }
            do {
                let result = try await body(exec)
                await release(lease)
                return result
            } catch {
                exec.close()
                await release(lease)
                throw error
            }
        }
        throw SSHError.sessionClosed(host: target.host)
    }

    /// Closes every session, returning once each server has been told; later calls fail
    /// with `sessionClosed`.
    public func close() async {
        closed = true
        reaper?.cancel()
        let sessions = entries.values.flatMap { $0.map(\.session) }
        entries.removeAll()
        waiters.resumeAll()
        connectSlots.resumeAll()
        // Each server is told before this returns (the process may exit right after).
        for session in sessions { await session.disconnect() }
    }

    /// Opens a session to `target` that the pool does not keep (the caller closes it),
    /// within the pool's limit on connections opening at once: a check of many hosts
    /// measures fresh connections, and a session that has connected no longer holds a
    /// place while it runs its command.
    ///
    /// - Returns: the session, and how long connecting took (the wait for a place left out).
    /// - Throws: what connecting throws; `sessionClosed` once the pool is closed.
    public func connectUnpooled(to target: SSHTarget) async throws -> (session: SSHSession, connectTime: Duration) {
        try await throughConnectGate(target) {
            let clock = ContinuousClock()
            let start = clock.now
            let session = try await SSHSession.connect(to: target, options: options)
            let elapsed = clock.now - start
            return (session, elapsed)
        }
    }

    /// Runs `connect` once fewer than `maxConnectingAtOnce` connections are opening.
    private func throughConnectGate<Connected>(
        _ target: SSHTarget, _ connect: () async throws -> Connected
    ) async throws -> Connected {
        while connectingTotal >= configuration.maxConnectingAtOnce {
            try await connectSlots.wait(for: 0)
            guard !closed else { throw SSHError.sessionClosed(host: target.host) }
        }
        connectingTotal += 1
        mostConnectingAtOnce = max(mostConnectingAtOnce, connectingTotal)
        defer {
            connectingTotal -= 1
            connectSlots.resumeNext(for: 0)
        }
        return try await connect()
    }

    private func openSession(to target: SSHTarget) async throws -> Lease {
        connecting[target, default: 0] += 1
        defer { connecting[target, default: 1] -= 1 }
        let session: SSHSession
        do {
            session = try await throughConnectGate(target) {
                try await SSHSession.connect(to: target, options: options)
            }
        } catch {
            // Let a waiter for this target try (it may succeed, or report the error to its
            // own caller), whether the wait for a place or the connection failed.
            wakeOne(target)
            throw error
        }
        opened += 1
        if closed {
            session.close()
            throw SSHError.sessionClosed(host: target.host)
        }
        entries[target, default: []].append(Entry(session: session, inUse: 1, lastUsed: .now))
        startReaperIfNeeded()
        return Lease(session: session, target: target, id: ObjectIdentifier(session))
    }

    /// Forgets sessions that failed: they take no new work and no longer count toward the
    /// limit (work still running on one fails on its own).
    private func dropDeadSessions(of target: SSHTarget) {
        guard let list = entries[target] else { return }
        for entry in list where !entry.session.isAlive { entry.session.close() }
        let alive = list.filter { $0.session.isAlive }
        entries[target] = alive.isEmpty ? nil : alive
    }

    private func wakeOne(_ target: SSHTarget) {
        waiters.resumeNext(for: target)
    }

    private func startReaperIfNeeded() {
        guard reaper == nil else { return }
        let interval = configuration.idleTimeout / 2
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.closeIdleSessions()
            }
        }
    }

    private func closeIdleSessions() {
        let now = ContinuousClock.now
        for (target, list) in entries {
            let (idle, kept) = list.reduce(into: ([Entry](), [Entry]())) { parts, entry in
                let isIdle =
                    entry.inUse == 0 && (now - entry.lastUsed >= configuration.idleTimeout || !entry.session.isAlive)
                if isIdle { parts.0.append(entry) } else { parts.1.append(entry) }
            }
            for entry in idle { entry.session.close() }
            entries[target] = kept.isEmpty ? nil : kept
        }
    }
}
