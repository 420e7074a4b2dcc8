import Foundation

/// Bytes from one of a command's output streams.
public struct SSHOutputChunk: Sendable, Equatable {
    /// The stream the bytes came from.
    public var stream: SSHStream
    /// The bytes, exactly as the command wrote them.
    public var bytes: [UInt8]

    /// Creates a chunk.
    public init(stream: SSHStream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// How a remote command ended.
public enum SSHExitStatus: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The command exited with this status.
    case exited(Int32)
    /// The command was killed by a signal (name without "SIG", for example "KILL").
    case signaled(String, message: String)
    /// The server reported neither an exit status nor a signal. Never reported as 0.
    case unknown

    /// The status a shell would report: the exit code, 128+N for signal N, nil if unknown.
    public var shellCode: Int32? {
        switch self {
        case .exited(let code): return code
        case .signaled(let name, _): return SSHExitStatus.signalNumbers[name].map { 128 + $0 } ?? 255
        case .unknown: return nil
        }
    }

    /// The status as a person reads it: `exit 3`, `killed by SIGKILL`, `unknown exit status`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let name, _): return "killed by SIG\(name)"
        case .unknown: return "unknown exit status"
        }
    }

    static let signalNumbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "XCPU": 24, "XFSZ": 25,
    ]
}

/// Everything a finished command produced.
public struct SSHExecResult: Sendable, Equatable {
    /// All bytes written to stdout.
    public var stdout: [UInt8]
    /// All bytes written to stderr.
    public var stderr: [UInt8]
    /// How the command ended.
    public var status: SSHExitStatus

    /// stdout decoded as UTF-8 (invalid sequences replaced), for convenience.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr decoded as UTF-8 (invalid sequences replaced), for convenience.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// A result.
    public init(stdout: [UInt8], stderr: [UInt8], status: SSHExitStatus) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }
}

/// A command running on the server over one exec channel.
///
/// Read `output` to the end, then ask for `exitStatus()`. Output is buffered up to about
/// 1 MB per channel; beyond that the server is made to wait, so a slow reader bounds memory.
/// All calls are `async` and never block a thread of the cooperative pool: the channel is
/// driven by its session's I/O thread. An exec keeps its session alive (as `SFTPClient`
/// does): the session closes once neither it nor any of its channels is referenced.
/// One task at a time reads the output; a second concurrent reader fails at once.
public final class SSHExec: Sendable {
    private let pump: ExecPump
    /// The session the channel lives on, kept alive for as long as the exec is.
    private let session: SSHSession
    private var loop: IOLoop { session.loop }
    /// The command line as sent.
    public let command: String

    init(pump: ExecPump, session: SSHSession, command: String) {
        self.pump = pump
        self.session = session
        self.command = command
    }

    deinit {
        let pump = self.pump
        loop.execute { pump.abandon() }
    }

    /// stdout and stderr, read together, as chunks in arrival order per stream.
    public var output: SSHOutput { SSHOutput(exec: self) }

    /// The next chunk of output, or nil once both streams ended.
    ///
    /// Cancelling the calling task stops the wait (with `CancellationError`); the command
    /// keeps running.
    /// - Throws: `SSHError` if the connection fails, or (`.channelFailure`) when another
    ///   task is already waiting for this command's output.
    public func nextChunk() async throws -> SSHOutputChunk? {
        let pump = self.pump
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let once = ResumeOnce(continuation)
                loop.execute {
                    pump.requestOutput(once)
                } orElse: {
                    once.resume(.failure($0))
                }
                // Cancelled before the request reached the loop: the handler already ran.
                if Task.isCancelled { once.resume(.failure(CancellationError())) }
            }
        } onCancel: {
            loop.execute { pump.cancelOutputRequest() }
        }
    }

    /// Whether a task is waiting in `nextChunk()` right now (for tests).
    var hasWaitingReader: Bool {
        get async {
            let pump = self.pump
            return await withCheckedContinuation { continuation in
                loop.execute {
                    continuation.resume(returning: pump.hasOutputWaiter)
                } orElse: { _ in
                    continuation.resume(returning: false)
                }
            }
        }
    }

    /// Writes all of `bytes` to the command's stdin.
    ///
    /// Cancelling the calling task stops a write the server does not take (a command that
    /// ended without reading its input), with `CancellationError`.
    /// - Throws: `SSHError` if the channel or connection fails.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        let pump = self.pump
        let loop = self.loop
        let progress = WriteProgress()
        try await withTaskCancellationHandler {
            try await loop.perform("writing to the command's stdin", whenCancelled: .stepAgain) { () throws(SSHError) in
                try pump.writeStep(bytes, progress)
            }
        } onCancel: {
            loop.execute { progress.cancelled = true }
        }
        // The loop resumed us after its last step, so reading the progress here is ordered.
        if progress.offset < bytes.count { throw CancellationError() }
    }

    /// Closes stdin (sends EOF), so that a command reading it sees the end. Does nothing
    /// once the command has ended.
    /// - Throws: `SSHError` if the channel or connection fails.
    public func closeInput() async throws {
        let pump = self.pump
        try await loop.perform("closing the command's stdin") { () throws(SSHError) in
            try pump.closeInputStep()
        }
    }

    /// Waits for the command to end and returns how it ended. Output not read by then is
    /// discarded; read `output` first when you need it.
    /// - Throws: `SSHError.connectionLost` if the connection fails first.
    public func exitStatus() async throws -> SSHExitStatus {
        let pump = self.pump
        return try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            loop.execute {
                pump.requestExitStatus(once)
            } orElse: {
                once.resume(.failure($0))
            }
        }
    }

    /// Closes the channel now, without waiting for the command to finish. The server
    /// usually ends the command (it loses its output).
    public func close() {
        let pump = self.pump
        loop.execute { pump.abandon() }
    }
}

/// The output of an `SSHExec` as an `AsyncSequence` of chunks.
public struct SSHOutput: AsyncSequence, Sendable {
    /// A chunk of stdout or stderr.
    public typealias Element = SSHOutputChunk
    let exec: SSHExec

    /// Iterates chunks until both streams end.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let exec: SSHExec

        /// The next chunk, or nil once both streams ended.
        public mutating func next() async throws -> SSHOutputChunk? {
            try await exec.nextChunk()
        }
    }

    /// An iterator over the chunks.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(exec: exec) }
}
