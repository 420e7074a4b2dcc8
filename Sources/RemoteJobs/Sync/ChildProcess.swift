import Foundation

/// A local program run to completion: its stdout handed over piece by piece (split at
/// `\n` and `\r`, as progress lines are), its stderr collected (the last 64 KB), its exit
/// status returned. Started with `posix_spawn`, read on threads of its own, because
/// Foundation's `Process` can hang when started off the main thread and blocking reads
/// must stay off the cooperative pool. Cancelling the calling task sends the program TERM.
struct ChildProcess {
    struct Result: Sendable {
        /// The exit code, or 128 + the signal that ended it.
        var status: Int32
        var standardError: String
    }

    /// The first executable called `name` on `PATH`.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func run(
        _ executable: String, arguments: [String], onOutput: @escaping @Sendable (String) -> Void
    ) async throws -> Result {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else {
            throw RemoteJobsError.localFile(path: executable, action: "start", errno: errno)
        }
        // Only the child's dup2'd copies may outlive the exec (glibc's pipe2 is not visible
        // to Swift).
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = Platform.spawnActions()
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        Platform.closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = withDefaultSignals { posix_spawn(&pid, executable, &actions, &$0, argv, Platform.environment) }
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw RemoteJobsError.localFile(path: executable, action: "start", errno: spawned)
        }
        let child = pid
        let output = outputPipe[0]
        let errors = errorPipe[0]
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    let collected = ErrorCollector()
                    let errorReader = Thread { collected.drain(errors) }
                    errorReader.start()
                    splitLines(from: output, into: onOutput)
                    close(output)
                    collected.waitUntilDrained()
                    close(errors)
                    var status: Int32 = 0
                    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                    let signal = status & 0x7f
                    let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                    continuation.resume(returning: Result(status: code, standardError: collected.text))
                }
            }
        } onCancel: {
            kill(child, SIGTERM)
        }
    }

    /// Calls `body` with spawn attributes that start the child with no signal blocked and
    /// every signal at its default disposition: a thread of this process may block signals
    /// (Swift's runtime does), and the child would inherit that mask, so the TERM that
    /// cancels it, or the SIGCHLD its own shell waits for, would never arrive.
    static func withDefaultSignals<T>(_ body: (inout Platform.SpawnAttributes) -> T) -> T {
        var attributes = Platform.spawnAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(
            &attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | Platform.closeOthersFlag))
        return body(&attributes)
    }

    private static func splitLines(from descriptor: Int32, into handler: (String) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var pending: [UInt8] = []
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            for byte in buffer[..<count] {
                if byte == 0x0A || byte == 0x0D {
                    if !pending.isEmpty { handler(String(decoding: pending, as: UTF8.self)) }
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                }
            }
        }
        if !pending.isEmpty { handler(String(decoding: pending, as: UTF8.self)) }
    }
}

/// The tail of a program's stderr, read on a thread of its own.
private final class ErrorCollector: @unchecked Sendable {
    // `bytes` is written by the reader thread only, and read after `done` was signalled.
    private var bytes: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 64 * 1024 { bytes.removeFirst(bytes.count - 64 * 1024) }
        }
        done.signal()
    }

    func waitUntilDrained() { done.wait() }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
