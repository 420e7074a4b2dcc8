import Foundation

/// A `p` process started by a test, with its own environment, stdout and stderr captured to
/// files, waited for without blocking a thread of the cooperative pool.
final class PProcess: @unchecked Sendable {
    // Immutable after init, apart from `reaped`, which only the one task that waits for
    // this process sets (`wait()` or `waitForOutput`).
    let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private var reaped: Int32?

    struct Result: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Starts p with `arguments`; with a `launcher` (`setpriv ...` to run as another user),
    /// p is started through it.
    /// With `executable`, that program runs instead of p.
    /// With `stdout`, p writes there (a FIFO the test holds, say) instead of a capture file.
    convenience init(
        _ arguments: [String], environment: [String: String], stdin: String = "/dev/null", launcher: [String] = [],
        executable: String? = nil, stdout: String? = nil
    ) throws {
        try self.init(
            bytes: arguments.map { Array($0.utf8) }, environment: environment, stdin: stdin, launcher: launcher,
            executable: executable, stdout: stdout)
    }

    /// Starts p with arguments given as bytes (which need not be UTF-8).
    init(
        bytes arguments: [[UInt8]], environment: [String: String], stdin: String = "/dev/null",
        launcher: [String] = [], executable: String? = nil, stdout: String? = nil
    ) throws {
        let base = NSTemporaryDirectory() + "p-proc-" + UUID().uuidString
        stdoutPath = base + ".out"
        stderrPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        Spawn.closeInheritedDescriptors(&actions)
        let pProgram = try executable ?? Shell.pExecutable
        let program = launcher.first ?? pProgram
        let argv =
            (launcher + [pProgram]).map { strdup($0) }
            + arguments.map { bytes in
                let copy = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
                for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
                copy[bytes.count] = 0
                return copy
            } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = Spawn.withDefaultSignals { posix_spawn(&pid, program, &actions, &$0, argv, envp) }
        guard spawned == 0 else { throw TestFailure("cannot start p: \(String(cString: strerror(spawned)))") }
        self.pid = pid
    }

    /// Sends a signal (SIGINT is Ctrl+C).
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The output so far.
    var stdoutSoFar: [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: stdoutPath)))) ?? [] }
    var stderrSoFar: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until the output so far contains `text`; fails at once, with p's stderr, when p
    /// exits first, and after `timeout` otherwise.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !String(decoding: stdoutSoFar, as: UTF8.self).contains(text) {
            if reapIfExited() {
                // The file may have gained the text just before p exited.
                if String(decoding: stdoutSoFar, as: UTF8.self).contains(text) { return }
                throw TestFailure("p exited before printing \(text.debugDescription); stderr: \(stderrSoFar)")
            }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("p printed no \(text.debugDescription) within \(timeout); stderr: \(stderrSoFar)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Collects p's exit status without waiting; true once p has exited.
    private func reapIfExited() -> Bool {
        if reaped != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        reaped = status
        return true
    }

    /// Waits for the process to exit (at most `timeout`, then kills it and fails).
    func wait(timeout: Duration = .seconds(60)) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        while !reapIfExited() {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                throw TestFailure("p \(pid) did not finish within \(timeout); stderr: \(stderrSoFar)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let status = reaped ?? 0
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        return Result(status: code, stdout: stdoutSoFar, stderr: stderrSoFar)
    }
}
