import Foundation

/// Reaches the user's keeper (`SSHKeeper`) to run commands on sessions it already holds.
///
/// `exec` returns nil whenever no keeper can carry the command (none runs and none can be
/// started, the socket is not this user's, the keeper turned the request away before
/// sending anything, or the host needs a question the keeper cannot ask): the caller then
/// connects directly, as it would without a keeper. Once a keeper failed this client, it
/// is not asked again in this process.
///
/// ```swift
/// let keeper = SSHKeeperClient(place: .forUser(), options: options)
/// if let exec = try await keeper.exec("uname -a", on: target) { ... } else { /* connect directly */ }
/// ```
/// A program that wants p's own keeper starts it with `p _keeper` (see `start`), or serves
/// one itself with `SSHKeeper.serve(at:idleLimit:)`.
public final class SSHKeeperClient: Sendable {
    /// Where the keeper listens.
    public let place: SSHKeeperPlace
    private let options: SSHSessionOptions
    private let environment: [String: String]
    private let start: (@Sendable () -> Void)?
    private let onRoute: (@Sendable (String) -> Void)?
    private let state = KeeperClientState()

    /// A client of the keeper at `place`.
    /// - Parameters:
    ///   - place: where the keeper listens (its socket) and keeps its files.
    ///   - options: how the keeper should connect on this client's behalf (host-key
    ///     policy, agent, timeouts); prompts are never made by the keeper.
    ///   - start: starts a keeper when none answers (for p, `p _keeper` as a process of its
    ///     own); nil uses only a keeper already running.
    ///   - onRoute: told once which way commands go ("through the keeper, pid N" or
    ///     "directly: why"), for `-v`.
    ///   - environment: the environment whose settings the keeper is asked to use (its
    ///     `SSH_AUTH_SOCK`, say); this process's by default.
    public init(
        place: SSHKeeperPlace, options: SSHSessionOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment, start: (@Sendable () -> Void)? = nil,
        onRoute: (@Sendable (String) -> Void)? = nil
    ) {
        self.place = place
        self.options = options
        self.environment = environment
        self.start = start
        self.onRoute = onRoute
    }

    /// Why commands go directly, once they do.
    public var unavailableReason: String? { state.brokenReason }

    /// Runs `command` on `target` over a session of the keeper's.
    /// - Returns: the running command, or nil when no keeper can carry it (connect directly).
    /// - Throws: `SSHError` as a direct exec would throw it (unreachable host, changed host
    ///   key, a channel the server refused), including `keeperLost` when the keeper went
    ///   away after taking the request (the command may have started).
    public func exec(_ command: String, on target: SSHTarget) async throws -> SSHKeeperExec? {
        try await open(.exec, command, on: target)
    }

    /// Starts the subsystem `name` (`sftp`) on `target` over a session of the keeper's; nil
    /// as for `exec`.
    public func subsystem(_ name: String, on target: SSHTarget) async throws -> SSHKeeperExec? {
        try await open(.subsystem, name, on: target)
    }

    /// What the running keeper holds; nil when none runs.
    public func status() async -> SSHKeeperStatus? {
        await ask(.status)
    }

    /// Asks the running keeper to close its sessions and leave, and waits (up to five
    /// seconds) until its socket is gone.
    /// - Returns: what it held; nil when none ran.
    public func stop() async -> SSHKeeperStatus? {
        guard let status = await ask(.stop) else { return nil }
        let place = self.place
        await BlockingWork.run {
            for _ in 0..<500 where access(place.socketPath, F_OK) == 0 { usleep(10_000) }
        }
        return status
    }

    private func ask(_ operation: KeeperRequest.Operation) async -> SSHKeeperStatus? {
        let place = self.place
        return await BlockingWork.run { () -> SSHKeeperStatus? in
            guard (try? place.check()) != nil, let socket = try? KeeperSocket.connect(place.socketPath) else {
                return nil
            }
            defer { close(socket) }
            guard
                KeeperSocket.writeAll(socket, KeeperFrame.encode(.request, json: KeeperRequest(operation: operation))),
                let frame = KeeperSocket.readFrame(socket), frame.kind == .reply
            else { return nil }
            return try? JSONDecoder().decode(SSHKeeperStatus.self, from: Data(frame.payload))
        }
    }

    /// Notes that the keeper failed this process: later commands go directly.
    func giveUp(_ reason: String) {
        if state.breakOnce(reason) { onRoute?("directly: \(reason)") }
    }

    private func open(_ operation: KeeperRequest.Operation, _ command: String, on target: SSHTarget) async throws
        -> SSHKeeperExec?
    {
        guard state.brokenReason == nil else { return nil }
        let request = KeeperRequest(
            operation: operation, command: command, target: target,
            connection: SSHKeeperConnection(options: options, target: target, environment: environment))
        let frame = KeeperFrame.encode(.request, json: request)
        let opening = KeeperOpening(client: self, host: target.host)
        // Cancelled while the keeper connects (a silent worker, a Ctrl+C): the connection is
        // hung up, so the keeper sends nothing it has not sent yet, and the wait ends now.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread { opening.run(frame, continuation) }
            }
        } onCancel: {
            opening.cancel()
        }
    }

    /// A socket connected to a keeper of this user's, starting one when none answers and
    /// this client may; nil (and the reason recorded) when none can be had.
    func connect() -> Int32? {
        state.connecting.lock()
        defer { state.connecting.unlock() }
        guard state.brokenReason == nil else { return nil }
        do {
            try place.check()
            let socket = try KeeperSocket.connect(place.socketPath)
            reportRoute()
            return socket
        } catch let failure as KeeperConnectFailure where failure.nobodyListens && start != nil {
        } catch let failure as KeeperConnectFailure {
            giveUp("cannot reach the keeper at \(place.socketPath): \(failure.reason)")
            return nil
        } catch let unsafeDirectory as SSHKeeperUnavailable {
            if access(place.directory, F_OK) == 0 || start == nil {
                giveUp("\(unsafeDirectory)")
                return nil
            }
        } catch {
            giveUp("\(error)")
            return nil
        }
        // None answers: start one, and wait for it to listen (a keeper that lost the race
        // to another leaves at once; the winner answers).
        do {
            try place.prepare()
        } catch {
            giveUp("\(error)")
            return nil
        }
        start?()
        // Every millisecond: a keeper listens some 20 ms after it was started, and each
        // millisecond waited past that is the first command's.
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            if let socket = try? KeeperSocket.connect(place.socketPath) {
                reportRoute()
                return socket
            }
            usleep(1000)
        }
        giveUp("the keeper did not start within 3 s")
        return nil
    }

    private func reportRoute() {
        if state.routeReportedOnce() {
            onRoute?("through the keeper (pid \(place.recordedPID.map(String.init) ?? "unknown"))")
        }
    }
}

/// A client's memory of its keeper, shared by its threads.
private final class KeeperClientState: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`:
    private var broken: String?
    private var reported = false
    /// Held while connecting, so that a process asking fifty workers at once starts one
    /// keeper, not fifty.
    let connecting = NSLock()

    var brokenReason: String? { lock.withLock { broken } }

    /// Records why the keeper is not used; true the first time.
    func breakOnce(_ reason: String) -> Bool {
        lock.withLock {
            guard broken == nil else { return false }
            broken = reason
            return true
        }
    }

    /// True the first time a route is reported.
    func routeReportedOnce() -> Bool {
        lock.withLock {
            defer { reported = true }
            return !reported
        }
    }
}
