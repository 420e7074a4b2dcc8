import Foundation
import SSHTransport

/// A command line run on this machine by `/bin/sh -c`, as a `local` worker runs p's
/// scripts: what an exec channel is to an SSH worker. Its stdin is written by the caller,
/// its stdout and stderr arrive as chunks, read on threads of their own (blocking reads
/// stay off Swift's cooperative pool), and its exit status is the shell's. Closing it
/// (or dropping it) hangs the command up, as sshd does when a client goes: HUP to the
/// script and its pipes closed; the jobs it started live in sessions of their own.
final class LocalExec: WorkerExec, @unchecked Sendable {
    private let pid: pid_t
    // The write end of the command's stdin; -1 once closed. Guarded by `lock`.
    private var input: Int32
    private let lock = NSLock()
    private let chunks: AsyncStream<SSHOutputChunk>
    private var iterator: AsyncStream<SSHOutputChunk>.Iterator
    private let status: ExitWaiter

    /// Starts `command`.
    /// - Throws: `RemoteJobsError.localFile` when the shell cannot be started.
    init(_ command: String) throws(RemoteJobsError) {
        var inputPipe: [Int32] = [0, 0]
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&inputPipe) == 0 else { throw .localFile(path: "/bin/sh", action: "start", errno: errno) }
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else {
            let error = errno
            close(inputPipe[0])
            close(inputPipe[1])
            throw .localFile(path: "/bin/sh", action: "start", errno: error)
        }
        for descriptor in inputPipe + outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = Platform.spawnActions()
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        Platform.closeInheritedDescriptors(&actions)
        // In the home directory, where sshd starts a login shell: roots are relative to it.
        let words: [String] = ["/bin/sh", "-c", "cd || exit 1; " + command]
        let argv = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = ChildProcess.withDefaultSignals { attributes in
            // A process group of its own: a Ctrl-C at p's terminal is p's to handle (it
            // detaches), never the worker script's, as on a remote worker.
            var flags: Int16 = 0
            posix_spawnattr_getflags(&attributes, &flags)
            posix_spawnattr_setflags(&attributes, flags | Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
            return posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, Platform.environment)
        }
        close(inputPipe[0])
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            for descriptor in [inputPipe[1], outputPipe[0], errorPipe[0]] { close(descriptor) }
            throw .localFile(path: "/bin/sh", action: "start", errno: spawned)
        }
        let child = pid
        self.pid = child
        input = inputPipe[1]
        let (stream, continuation) = AsyncStream<SSHOutputChunk>.makeStream()
        chunks = stream
        iterator = stream.makeAsyncIterator()
        status = ExitWaiter()
        let readers = DispatchGroup()
        for (descriptor, kind) in [(outputPipe[0], SSHStream.stdout), (errorPipe[0], .stderr)] {
            readers.enter()
            Thread.detachNewThread {
                Self.read(descriptor, as: kind, into: continuation)
                close(descriptor)
                readers.leave()
            }
        }
        let waiter = status
        Thread.detachNewThread {
            readers.wait()
            continuation.finish()
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0 && errno == EINTR {}
            let signal = raw & 0x7f
            waiter.finish(
                signal == 0
                    ? .exited((raw >> 8) & 0xff)
                    : .signaled(Self.signalName(signal), message: ""))
        }
    }

    deinit {
        hangUp()
    }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        let descriptor = lock.withLock { input }
        guard descriptor >= 0 else {
            throw RemoteJobsError.localFile(path: "/bin/sh", action: "write to", errno: EPIPE)
        }
        // A blocking write, on a thread of its own.
        let failure: Int32? = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes {
                        Foundation.write(descriptor, $0.baseAddress, $0.count)
                    }
                    if written < 0 {
                        if errno == EINTR { continue }
                        continuation.resume(returning: errno)
                        return
                    }
                    offset += written
                }
                continuation.resume(returning: nil)
            }
        }
        if let failure { throw RemoteJobsError.localFile(path: "/bin/sh", action: "write to", errno: failure) }
    }

    func closeInput() async throws {
        lock.withLock {
            if input >= 0 { Foundation.close(input) }
            input = -1
        }
    }

    /// The next chunk; cancelling the calling task stops the wait with
    /// `CancellationError`, as for an SSH channel (the command keeps running).
    func nextChunk() async throws -> SSHOutputChunk? {
        // One reader at a time, as for an SSH channel; the iterator is only used here.
        var iterator = lock.withLock { self.iterator }
        let chunk = await iterator.next()
        lock.withLock { self.iterator = iterator }
        if chunk == nil { try Task.checkCancellation() }
        return chunk
    }

    /// How the command ended; cancelling the calling task hangs it up.
    func exitStatus() async throws -> SSHExitStatus {
        let status = self.status
        let group = pid
        let ended = await withTaskCancellationHandler {
            await status.wait()
        } onCancel: {
            if !status.isFinished { kill(-group, SIGHUP) }
        }
        try Task.checkCancellation()
        return ended
    }

    /// Hangs the command up: HUP to its process group (the script and the helpers it
    /// waits on; not the jobs it started, which have sessions of their own) and its stdin
    /// closed.
    func hangUp() {
        lock.withLock {
            if input >= 0 { Foundation.close(input) }
            input = -1
        }
        if !status.isFinished { kill(-pid, SIGHUP) }
    }

    private static func read(
        _ descriptor: Int32, as stream: SSHStream, into continuation: AsyncStream<SSHOutputChunk>.Continuation
    ) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = Foundation.read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            continuation.yield(SSHOutputChunk(stream: stream, bytes: Array(buffer[..<count])))
        }
    }

    /// The name sshd would give signal `signal` (Linux's numbers for the usual ones).
    private static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 6: "ABRT", 8: "FPE", 9: "KILL", 11: "SEGV", 13: "PIPE",
            14: "ALRM", 15: "TERM", 10: "USR1", 12: "USR2",
        ]
        return names[signal] ?? "\(signal)"
    }
}

/// The exit status of a local command, once its waiting thread has it.
private final class ExitWaiter: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var status: SSHExitStatus?
    private var waiters: [CheckedContinuation<SSHExitStatus, Never>] = []

    var isFinished: Bool { lock.withLock { status != nil } }

    func finish(_ value: SSHExitStatus) {
        let waiting = lock.withLock {
            status = value
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume(returning: value) }
    }

    func wait() async -> SSHExitStatus {
        await withCheckedContinuation { continuation in
            let known: SSHExitStatus? = lock.withLock {
                if let status { return status }
                waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }
}
