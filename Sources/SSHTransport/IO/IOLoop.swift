import Foundation

/// One SSH session's I/O context: a dedicated thread that makes every libssh2 call for the
/// session and waits with `poll()` on the socket when no call can progress.
///
/// Why a thread of its own: libssh2 is not thread-safe per session, and a call that waits on
/// the network must never occupy a thread of Swift's cooperative pool (two threads on a
/// two-core machine). Operations are `LoopTask`s: non-blocking steps the loop retries until
/// they finish, each resuming its caller's continuation. Many tasks (channels) progress at
/// once; none blocks another.
///
/// Three libssh2 rules shape the scheduling:
/// - some state machines are per session (channel open, SFTP init, direct-tcpip): tasks that
///   use one name a `Lane`, and only the oldest task of a lane is stepped;
/// - a packet that was partly sent must be finished by the same call that started it (the
///   others would be told their own packet went out): while a send is pending, only its
///   owner is stepped;
/// - a call may read packets meant for another channel into libssh2's queue: when bytes
///   arrived during a round, every task is stepped again before the loop sleeps.
final class IOLoop: @unchecked Sendable {
    /// Serializes tasks that share one of libssh2's per-session state machines.
    enum Lane: Hashable {
        /// Opening channels (session-wide state in libssh2) and channel requests that wait
        /// for CHANNEL_SUCCESS/FAILURE (exec, the sftp subsystem): libssh2 1.10's
        /// `_libssh2_packet_requirev` fails when it reads the reply meant for another
        /// channel, so one at a time per session.
        case channelSetup
        /// Path operations of one SFTP channel (open, stat, mkdir, ...), whose state
        /// machines live in the `LIBSSH2_SFTP` and not in a file handle.
        case sftp(ObjectIdentifier)
    }

    private enum Job {
        case task(LoopTask)
        case run(() -> Void, orElse: ((SSHError) -> Void)?)
    }

    let host: String
    private let lock = NSLock()
    // Guarded by `lock`:
    private var inbox: [Job] = []
    private var wakePending = false
    private var stopRequested = false
    private var terminated = false
    private var rounds = 0
    private var closedError: SSHError?

    private let wakeRead: Int32
    private let wakeWrite: Int32

    // Touched only on the loop thread:
    private var tasks: [LoopTask] = []
    private var schedule = LoopSchedule<ObjectIdentifier>()
    private var failure: SSHError?
    /// nil until `startKeepalive()`: a keepalive sent during key exchange breaks it.
    private var nextKeepalive: ContinuousClock.Instant?
    /// The connection the loop drives, once connected.
    var session: SessionHandle?
    /// Keepalive interval and the silence after which the peer counts as gone.
    var liveness = Liveness(keepaliveInterval: .seconds(10), deadPeerTimeout: .seconds(30))
    /// The bytes waiting unread on the socket at the last look, when that look was, and
    /// when that count last grew. With no task, nothing reads: the replies to an idle
    /// session's keepalives wait on the socket, and their arrival is the peer's sign of
    /// life (libssh2 counts only what it reads, `traffic.lastReceive`).
    private var unreadBytes = 0
    private var unreadLookedAt = ContinuousClock.now
    private var lastArrival = ContinuousClock.now

    struct Liveness {
        var keepaliveInterval: Duration
        var deadPeerTimeout: Duration
    }

    init(host: String) {
        self.host = host
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            // Processes p starts (rsync, editors) must not inherit the loop's pipe.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        let thread = Thread { [self] in run() }
        thread.name = "p.ssh \(host)"
        thread.start()
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    // MARK: - Submitting work (any thread)

    /// Runs `body` once on the loop thread; if the loop has already stopped, `orElse` runs
    /// instead (on the calling thread) with the reason.
    func execute(_ body: @escaping () -> Void, orElse: ((SSHError) -> Void)? = nil) {
        enqueue(.run(body, orElse: orElse))
    }

    /// Adds a task; it is stepped until it reports `.done`.
    func submit(_ task: LoopTask) {
        enqueue(.task(task))
    }

    /// Runs a blocking function on the loop thread (used before the session exists, for
    /// name resolution and TCP connect, which then cannot stall the cooperative pool).
    ///
    /// Cancelling the calling task resumes it at once with `CancellationError`; `body` is
    /// given a flag it may check to stop early, and its result is then dropped.
    func runBlocking<T: Sendable>(_ body: @escaping (CancellationFlag) throws(SSHError) -> T) async throws -> T {
        let cancelled = CancellationFlag()
        let box = ResumeBox<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let once = ResumeOnce(continuation)
                box.set(once)
                execute {
                    do {
                        once.resume(.success(try body(cancelled)))
                    } catch {
                        once.resume(.failure(error))
                    }
                } orElse: { error in
                    once.resume(.failure(error))
                }
                if Task.isCancelled { once.resume(.failure(CancellationError())) }
            }
        } onCancel: {
            cancelled.set()
            box.resume(.failure(CancellationError()))
        }
    }

    /// Retries `attempt` on the loop thread until it returns `.done` or throws.
    ///
    /// - Parameters:
    ///   - operation: what is being done, for the timeout message ("opening a channel").
    ///   - timeout: a deadline after which the call fails with `SSHError.timedOut`; the
    ///     session is then abandoned, since libssh2 is left in the middle of a state machine.
    ///   - lane: the per-session libssh2 state machine the call uses, if any.
    ///
    /// Cancelling the calling task: with `.abandonSession`, resumes it at once with
    /// `CancellationError`, and an operation that had begun leaves libssh2 in the middle of a
    /// state machine, so the session is then abandoned, as after a timeout. With
    /// `.stepAgain`, the operation handles cancellation itself (a transfer stops at a packet
    /// boundary): the loop only wakes to step it again.
    func perform<T: Sendable>(
        _ operation: String, timeout: Duration? = nil, lane: Lane? = nil,
        whenCancelled: WhenCancelled = .abandonSession,
        _ attempt: @escaping () throws(SSHError) -> Attempt<T>
    ) async throws -> T {
        let box = ResumeBox<T>()
        let started = CancellationFlag()
        let handle = TaskHandle()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                let once = ResumeOnce(continuation)
                box.set(once)
                let task = LoopTask(operation: operation, lane: lane, deadline: timeout.map { .now + $0 }) {
                    started.set()
                    do {
                        switch try attempt() {
                        case .done(let value):
                            once.resume(.success(value))
                            return .done
                        case .wouldBlock:
                            return .waitingForNetwork
                        }
                    } catch {
                        // The socket failed under this step: the session is dead now, not
                        // when the loop next notices, so a pool that sees the error also
                        // sees `isFailed` and replaces the session.
                        if let lost = error as? SSHError, case .connectionLost = lost { self.markClosed(lost) }
                        once.resume(.failure(error))
                        return .done
                    }
                } fail: { error in
                    once.resume(.failure(error))
                }
                handle.set(task)
                submit(task)
                if Task.isCancelled && whenCancelled == .abandonSession { once.resume(.failure(CancellationError())) }
            }
        } onCancel: {
            guard whenCancelled == .abandonSession else { return execute {} }
            box.resume(.failure(CancellationError()))
            execute { [self] in
                guard let task = handle.task, tasks.contains(where: { $0 === task }) else { return }
                remove(task)
                if started.isSet {
                    failAll(
                        .connectionLost(
                            host: host,
                            reason: "an earlier operation (\(operation)) was cancelled, so the session was abandoned"))
                }
            }
        }
    }

    /// Stops the loop after running `finalWork` (a disconnect), failing whatever is pending
    /// with `error`.
    /// `done` runs once that is over (or at once when the loop had already stopped).
    func shutdown(error: SSHError, finalWork: @escaping () -> Void = {}, done: (@Sendable () -> Void)? = nil) {
        lock.lock()
        if stopRequested {
            lock.unlock()
            done?()
            return
        }
        closedError = error
        stopRequested = true
        inbox.append(
            .run(
                {
                    finalWork()
                    done?()
                }, orElse: { _ in done?() }))
        lock.unlock()
        wake()
    }

    /// Starts sending keepalives (once the session is authenticated).
    func startKeepalive() {
        execute { [self] in nextKeepalive = .now + liveness.keepaliveInterval }
    }

    /// Whether the loop has failed or stopped; a failed session is not reused.
    var isFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return terminated || stopRequested || closedError != nil
    }

    private func enqueue(_ job: Job) {
        lock.lock()
        if terminated {
            let error = closedError ?? .sessionClosed(host: host)
            lock.unlock()
            switch job {
            case .task(let task): task.fail(error)
            case .run(_, let orElse): orElse?(error)
            }
            return
        }
        inbox.append(job)
        let needsWake = !wakePending
        wakePending = true
        lock.unlock()
        if needsWake { wake() }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// How many times the loop has gone round: an idle loop goes round only for its
    /// keepalives (the tests hold it to that).
    var roundsSoFar: Int { lock.withLock { rounds } }

    // MARK: - The loop (loop thread only)

    private func run() {
        while true {
            // Drain before taking the inbox: a job queued after the inbox is taken then
            // finds `wakePending` false and writes a byte that the next poll() sees.
            // (Draining after would swallow that byte and sleep with work queued.)
            drainWakePipe()
            lock.lock()
            rounds += 1
            let jobs = inbox
            inbox.removeAll(keepingCapacity: true)
            wakePending = false
            let stopping = stopRequested
            lock.unlock()

            for job in jobs {
                switch job {
                case .run(let body, _): body()
                case .task(let task):
                    if let failure { task.fail(failure) } else { tasks.append(task) }
                }
            }
            if stopping {
                finish()
                return
            }

            let receivedBefore = session?.traffic.bytesReceived ?? 0
            let round = stepTasks()
            let bytesArrived = (session?.traffic.bytesReceived ?? 0) != receivedBefore
            checkConnection()
            switch schedule.next(after: round, bytesArrived: bytesArrived && !tasks.isEmpty) {
            case .stepAgain: continue
            case .sleep(let wantInbound): sleep(wantInbound: wantInbound)
            }
        }
    }

    /// Steps the tasks `schedule` picks, in order, until one leaves a packet partly sent.
    private func stepTasks() -> LoopSchedule<ObjectIdentifier>.Round {
        var round = LoopSchedule<ObjectIdentifier>.Round()
        guard !tasks.isEmpty else { return round }
        let stepping = tasks
        for index in schedule.tasksToStep(stepping.map { (ObjectIdentifier($0), $0.lane) }) {
            let task = stepping[index]
            let id = ObjectIdentifier(task)
            let outcome = task.step()
            let goOn = schedule.record(
                outcome, of: id, outboundBlocked: session?.blockDirections.outbound ?? false, into: &round)
            if outcome == .done { remove(task) }
            if !goOn { break }
        }
        return round
    }

    private func remove(_ task: LoopTask) {
        tasks.removeAll { $0 === task }
        schedule.removed(ObjectIdentifier(task))
    }

    /// Fails everything on a dead or timed-out connection; sends keepalives when due.
    private func checkConnection() {
        // A failed session has nothing left to watch: it waits to be closed.
        guard failure == nil else { return }
        let now = ContinuousClock.now
        if let expired = tasks.first(where: { $0.deadline.map { $0 <= now } ?? false }) {
            remove(expired)
            expired.fail(.timedOut(host: host, operation: expired.operation, seconds: expired.timeoutSeconds))
            failAll(
                .connectionLost(
                    host: host,
                    reason: "an earlier operation (\(expired.operation)) timed out, so the session was abandoned"))
            return
        }
        guard let session else { return }
        let traffic = session.traffic
        if traffic.peerClosed {
            failAll(.connectionLost(host: host, reason: "the server closed the connection"))
            return
        }
        if traffic.socketError != 0 {
            failAll(.connectionLost(host: host, reason: String(cString: strerror(traffic.socketError))))
            return
        }
        if let due = nextKeepalive, now >= due, schedule.outboundOwner == nil {
            nextKeepalive = now + .seconds(session.sendKeepaliveIfDue())
        }
        // The socket is looked at only when nothing was heard for the whole bound, not on
        // every round of a busy session.
        if now - lastHeard(traffic) > liveness.deadPeerTimeout {
            noteUnreadArrivals(session.socket, traffic: traffic, now: now)
        }
        if now - lastHeard(traffic) > liveness.deadPeerTimeout {
            let seconds = Double(liveness.deadPeerTimeout.components.seconds)
            failAll(
                .connectionLost(
                    host: host,
                    reason: "no answer to keepalives for \(Int(seconds)) s (the network or the host went away)"))
        }
    }

    /// Notes data that arrived unread since the last look (`lastArrival`). What libssh2 read
    /// since then is gone from the socket, so the count is then compared with zero.
    private func noteUnreadArrivals(_ socket: Int32, traffic: TrafficMonitor, now: ContinuousClock.Instant) {
        guard let unread = Platform.unreadByteCount(socket) else { return }
        let before = traffic.lastReceive > unreadLookedAt ? 0 : unreadBytes
        if unread > before { lastArrival = now }
        unreadBytes = unread
        unreadLookedAt = now
    }

    /// When the peer last sent anything: read by libssh2, or arrived unread. Unread data
    /// counts from when it arrived (the count grew), not whenever it is seen: taken as "the
    /// peer is alive" while its last read was older than the dead-peer timeout, it kept an
    /// idle loop waking at once, forever (a keeper idle for 30 s took a core), and a peer
    /// gone silent after one unread reply never counted as gone.
    private func lastHeard(_ traffic: TrafficMonitor) -> ContinuousClock.Instant {
        max(traffic.lastReceive, lastArrival)
    }

    private func failAll(_ error: SSHError) {
        if failure == nil { failure = error }
        markClosed(error)
        let failing = tasks
        tasks.removeAll()
        schedule.removedAll()
        for task in failing { task.fail(error) }
    }

    /// Records that the session can no longer be used (`isFailed`); the first reason wins.
    func markClosed(_ error: SSHError) {
        lock.lock()
        closedError = closedError ?? error
        lock.unlock()
    }

    private func sleep(wantInbound: Bool) {
        let now = ContinuousClock.now
        // Once failed, no keepalive is due and no peer can be found gone again: the loop sleeps
        // until it is woken (to fail new work at once, or to stop), rather than going round
        // without pause while a pool holds the dead session.
        let watching = session != nil && failure == nil
        let limit = LoopSchedule<ObjectIdentifier>.sleepLimit(
            now: now, nextKeepalive: watching ? nextKeepalive : nil,
            peerGoneAt: watching ? session.map { lastHeard($0.traffic) + liveness.deadPeerTimeout } : nil,
            deadlines: tasks.compactMap(\.deadline))
        var descriptors = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        if let session, failure == nil {
            let wanted = schedule.socketEvents(
                wantInbound: wantInbound, outboundBlocked: session.blockDirections.outbound)
            let events = (wanted.read ? Int16(POLLIN) : 0) | (wanted.write ? Int16(POLLOUT) : 0)
            if events != 0 { descriptors.append(pollfd(fd: session.socket, events: events, revents: 0)) }
        }
        for task in tasks {
            if let watched = task.descriptor?() {
                descriptors.append(pollfd(fd: watched.fd, events: watched.events, revents: 0))
            }
        }
        _ = poll(&descriptors, nfds_t(descriptors.count), LoopSchedule<ObjectIdentifier>.pollTimeout(limit))
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func finish() {
        lock.lock()
        terminated = true
        let error = closedError ?? .sessionClosed(host: host)
        let late = inbox
        inbox.removeAll()
        lock.unlock()
        for task in tasks { task.fail(error) }
        tasks.removeAll()
        for job in late {
            switch job {
            case .task(let task): task.fail(error)
            case .run(_, let orElse): orElse?(error)
            }
        }
        session?.free()
        if let socket = session?.socket { close(socket) }
        session = nil
    }
}

/// What cancelling the caller of `IOLoop.perform` does.
enum WhenCancelled {
    /// Resume the caller at once; abandon the session if the operation had begun.
    case abandonSession
    /// Wake the loop so the operation, which watches for cancellation itself, is stepped.
    case stepAgain
}

/// Where a continuation is, for a cancellation handler that may run before it exists.
final class ResumeBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var once: ResumeOnce<T>?  // guarded by `lock`
    private var early: Result<T, Error>?  // guarded by `lock`: a resume that came first

    func set(_ once: ResumeOnce<T>) {
        lock.lock()
        self.once = once
        let early = self.early
        lock.unlock()
        if let early { once.resume(early) }
    }

    func resume(_ result: Result<T, Error>) {
        lock.lock()
        let once = self.once
        if once == nil { early = result }
        lock.unlock()
        once?.resume(result)
    }
}

/// The loop task of an operation, for its cancellation handler (set once, read on the
/// loop thread).
final class TaskHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: LoopTask?  // guarded by `lock`

    func set(_ task: LoopTask) { lock.withLock { stored = task } }
    var task: LoopTask? { lock.withLock { stored } }
}

/// One operation the loop retries. `step` runs on the loop thread and must not block.
final class LoopTask {
    enum Outcome {
        /// Finished; the caller was resumed.
        case done
        /// Moved some data; step again soon.
        case progressed
        /// Waits for the socket.
        case waitingForNetwork
        /// Waits for the local side (a consumer), not the network.
        case idle
    }

    let operation: String
    let lane: IOLoop.Lane?
    let deadline: ContinuousClock.Instant?
    let timeoutSeconds: Double
    let step: () -> Outcome
    let fail: (SSHError) -> Void
    /// A descriptor of the task's own (besides the session's socket) that the loop should
    /// wait on, and for which events; asked before each sleep.
    let descriptor: (() -> (fd: Int32, events: Int16)?)?

    init(
        operation: String, lane: IOLoop.Lane?, deadline: ContinuousClock.Instant?,
        descriptor: (() -> (fd: Int32, events: Int16)?)? = nil,
        step: @escaping () -> Outcome, fail: @escaping (SSHError) -> Void
    ) {
        self.descriptor = descriptor
        self.operation = operation
        self.lane = lane
        self.deadline = deadline
        let remaining = deadline.map { $0 - .now } ?? .zero
        self.timeoutSeconds = TCPConnector.seconds(remaining)
        self.step = step
        self.fail = fail
    }
}

/// Resumes a continuation at most once, whichever of success, failure or cancellation
/// comes first.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?

    init(_ continuation: CheckedContinuation<T, Error>) {
        self.continuation = continuation
    }

    func resume(_ result: Result<T, Error>) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(with: result)
    }
}
