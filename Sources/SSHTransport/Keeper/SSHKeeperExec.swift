import Foundation

/// A command running on a session the keeper holds: the same calls as `SSHExec`, over the
/// client's connection to the keeper. Output arrives as the keeper read it from the
/// channel (stdout and stderr in their order of arrival); at most about 1 MB waits for the
/// reader before the keeper is made to wait (and, through it, the server).
///
/// The connection is read on a thread of its own (blocking reads stay off Swift's
/// cooperative pool); writes go through `BlockingWork`.
public final class SSHKeeperExec: Sendable {
    private let connection: KeeperConnectionHandle
    private let queue: KeeperOutputQueue
    /// The host the command runs on.
    public let host: String

    init(connection: KeeperConnectionHandle, queue: KeeperOutputQueue, host: String) {
        self.connection = connection
        self.queue = queue
        self.host = host
    }

    deinit {
        connection.hangUp()
    }

    /// The next chunk of output, or nil once both streams ended.
    ///
    /// Cancelling the calling task stops the wait (with `CancellationError`); the command
    /// keeps running.
    /// - Throws: `SSHError` as `SSHExec.nextChunk` does; `SSHError.keeperLost` when the keeper
    ///   went away.
    public func nextChunk() async throws -> SSHOutputChunk? {
        try await queue.next()
    }

    /// Writes all of `bytes` to the command's stdin.
    /// - Throws: `SSHError.keeperLost` when the keeper's connection is gone.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await send(KeeperFrame.encode(.input, bytes))
    }

    /// Closes stdin (EOF on the channel). Does nothing once the command has ended.
    public func closeInput() async throws {
        try await send(KeeperFrame.encode(.inputEnd), endingInput: true)
    }

    /// Waits for the command to end and returns how it ended; output not read by then is
    /// discarded.
    /// - Throws: `SSHError` if the connection failed first; `keeperLost` if the keeper went
    ///   away.
    public func exitStatus() async throws -> SSHExitStatus {
        try await queue.exitStatus()
    }

    /// Hangs the command up now: the keeper closes the channel without waiting for it.
    public func close() {
        connection.hangUp()
    }

    private func send(_ frame: [UInt8], endingInput: Bool = false) async throws {
        let connection = self.connection
        // A write the keeper does not take (it stopped reading, the command ended without
        // reading its input) must not hold a cancelled task.
        let written = await BlockingWork.runUnlessCancelled { connection.write(frame) }
        guard let written else { throw CancellationError() }
        guard written else {
            // The connection is closed: the command ended (the keeper hangs up after its exit
            // status) or failed; the reading thread knows which.
            switch await queue.end() {
            case .success:
                if endingInput { return }
                throw SSHError.channelFailure(
                    host: host, operation: "writing to stdin", code: -1, message: "the command has ended")
            case .failure(let error): throw error
            }
        }
    }
}

/// The client's end of one connection to the keeper: closed once nobody uses it, so no
/// thread ever writes to a descriptor number that was reused.
final class KeeperConnectionHandle: @unchecked Sendable {
    let socket: Int32
    private let lock = NSLock()
    // Guarded by `lock`.
    private var hungUp = false

    init(socket: Int32) {
        self.socket = socket
    }

    deinit {
        Foundation.close(socket)
    }

    func write(_ bytes: [UInt8]) -> Bool { KeeperSocket.writeAll(socket, bytes) }

    /// Ends the connection both ways: the keeper abandons the channel (or, after its end,
    /// finishes with it), and the reading thread wakes to its end.
    func hangUp() {
        lock.withLock { hungUp = true }
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Whether this side ended the connection (its end is then no sign of the keeper's).
    var wasHungUpHere: Bool { lock.withLock { hungUp } }
}

/// Output chunks between the reading thread and the one task reading them, bounded: the
/// thread waits while more than `limit` bytes wait for the reader.
final class KeeperOutputQueue: @unchecked Sendable {
    private static let limit = 1 << 20
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var chunks: [SSHOutputChunk] = []
    private var head = 0
    private var bytes = 0
    private var end: Result<SSHExitStatus, any Error>?
    private var reader: CheckedContinuation<SSHOutputChunk?, any Error>?
    private var endWaiters: [CheckedContinuation<Result<SSHExitStatus, any Error>, Never>] = []
    private var discarding = false

    /// Hands `chunk` to the reader, waiting while the queue is full (reading thread only).
    func push(_ chunk: SSHOutputChunk) {
        condition.lock()
        while bytes >= Self.limit && !discarding { condition.wait() }
        if discarding {
            condition.unlock()
            return
        }
        if let reader {
            self.reader = nil
            condition.unlock()
            reader.resume(returning: chunk)
            return
        }
        chunks.append(chunk)
        bytes += chunk.bytes.count
        condition.unlock()
    }

    /// The command ended (or its connection failed) with `result`.
    func finish(_ result: Result<SSHExitStatus, any Error>) {
        condition.lock()
        guard end == nil else { return condition.unlock() }
        end = result
        let reader = head == chunks.count ? self.reader : nil
        if reader != nil { self.reader = nil }
        let ends = endWaiters
        endWaiters = []
        condition.broadcast()
        condition.unlock()
        for waiter in ends { waiter.resume(returning: result) }
        reader?.resume(with: result.map { _ in nil })
    }

    /// How the connection ended, once it has (output is left for the reader).
    func end() async -> Result<SSHExitStatus, any Error> {
        await withCheckedContinuation { continuation in
            condition.lock()
            if let end {
                condition.unlock()
                return continuation.resume(returning: end)
            }
            endWaiters.append(continuation)
            condition.unlock()
        }
    }

    func next() async throws -> SSHOutputChunk? {
        // A cancelled reader stops here, as `SSHExec`'s does, even with output waiting.
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<SSHOutputChunk?, any Error>) in
                condition.lock()
                if head < chunks.count {
                    let chunk = chunks[head]
                    head += 1
                    bytes -= chunk.bytes.count
                    if head == chunks.count {
                        chunks.removeAll(keepingCapacity: true)
                        head = 0
                    }
                    condition.signal()
                    condition.unlock()
                    return continuation.resume(returning: chunk)
                }
                if let end {
                    condition.unlock()
                    return continuation.resume(with: end.map { _ in nil })
                }
                if reader != nil {
                    condition.unlock()
                    return continuation.resume(
                        throwing: SSHError.channelFailure(
                            host: "keeper", operation: "reading output", code: -1,
                            message: "another task is already reading this command's output"))
                }
                if Task.isCancelled {
                    condition.unlock()
                    return continuation.resume(throwing: CancellationError())
                }
                reader = continuation
                condition.unlock()
            }
        } onCancel: {
            condition.lock()
            let reader = self.reader
            self.reader = nil
            condition.unlock()
            reader?.resume(throwing: CancellationError())
        }
    }

    /// How the command ended; output not read by then is dropped, and so is what comes
    /// later (the reading thread is let go on to the end).
    func exitStatus() async throws -> SSHExitStatus {
        discard()
        return try await end().get()
    }

    private func discard() {
        condition.lock()
        discarding = true
        chunks.removeAll()
        head = 0
        bytes = 0
        condition.broadcast()
        condition.unlock()
    }
}

/// Opens one channel through the keeper on a thread of its own, which then reads the
/// connection for the command's whole life.
final class KeeperOpening: @unchecked Sendable {
    let client: SSHKeeperClient
    let host: String
    private let lock = NSLock()
    // Guarded by `lock`:
    private var connection: KeeperConnectionHandle?
    private var cancelled = false

    init(client: SSHKeeperClient, host: String) {
        self.client = client
        self.host = host
    }

    /// The caller gave up before the command started: hang up (or never connect).
    func cancel() {
        let connection = lock.withLock {
            cancelled = true
            return self.connection
        }
        connection?.hangUp()
    }

    /// Errors a direct connection may get past: it can ask on the terminal (an unknown
    /// host, a passphrase or password), or the keeper was leaving.
    private static func directMayDoBetter(_ error: SSHError) -> Bool {
        switch error {
        case .hostKeyUnknown, .authenticationFailed, .identityFileMissing, .sessionClosed: return true
        default: return false
        }
    }

    func run(_ request: [UInt8], _ continuation: CheckedContinuation<SSHKeeperExec?, any Error>) {
        guard let socket = client.connect() else { return continuation.resume(returning: nil) }
        let connection = KeeperConnectionHandle(socket: socket)
        let cancelledAlready = lock.withLock {
            self.connection = connection
            return cancelled
        }
        if cancelledAlready { return continuation.resume(throwing: CancellationError()) }
        guard connection.write(request) else {
            client.giveUp("the keeper closed its socket")
            return continuation.resume(returning: nil)
        }
        var reader = KeeperFrameReader()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var accepted = false
        var queue: KeeperOutputQueue?
        while true {
            let frame: (kind: KeeperFrame.Kind, payload: [UInt8])?
            do {
                frame = try reader.next()
            } catch {
                frame = nil
                connection.hangUp()
            }
            if let frame {
                switch (frame.kind, queue) {
                case (.accepted, nil): accepted = true
                case (.started, nil):
                    let started = KeeperOutputQueue()
                    queue = started
                    continuation.resume(returning: SSHKeeperExec(connection: connection, queue: started, host: host))
                case (.stdout, let queue?): queue.push(SSHOutputChunk(stream: .stdout, bytes: frame.payload))
                case (.stderr, let queue?): queue.push(SSHOutputChunk(stream: .stderr, bytes: frame.payload))
                case (.exit, let queue?):
                    let status = (try? JSONDecoder().decode(SSHExitStatus.self, from: Data(frame.payload))) ?? .unknown
                    // The end: hanging up lets the keeper close its side with nothing unread.
                    connection.hangUp()
                    return queue.finish(.success(status))
                case (.failure, let queue):
                    let failure = try? JSONDecoder().decode(KeeperFailure.self, from: Data(frame.payload))
                    let error = failure?.error ?? .keeperLost(host: host)
                    connection.hangUp()
                    if let queue { return queue.finish(.failure(error)) }
                    if failure?.requestSent == false && Self.directMayDoBetter(error) {
                        return continuation.resume(returning: nil)
                    }
                    return continuation.resume(throwing: error)
                default: break
                }
                continue
            }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count > 0 {
                buffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                continue
            }
            // The connection ended without the command's end: this side hung up (nobody
            // waits for the answer then), or the keeper went away.
            if connection.wasHungUpHere {
                if let queue { return queue.finish(.failure(SSHError.sessionClosed(host: host))) }
                return continuation.resume(throwing: CancellationError())
            }
            client.giveUp("the keeper went away")
            if let queue { return queue.finish(.failure(SSHError.keeperLost(host: host))) }
            if accepted { return continuation.resume(throwing: SSHError.keeperLost(host: host)) }
            return continuation.resume(returning: nil)
        }
    }
}
