import ArgumentParser
import Foundation
import SSHTransport

/// `p _exec`: runs one command over p's own SSH, piping stdin, stdout and stderr, and exits
/// with the command's status. Its options follow ssh's, so that it can serve as a remote
/// shell for other tools (rsync's `-e`) and as the benchmark's counterpart of `ssh host cmd`.
struct RemoteShell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_exec",
        abstract: "Run one command on a host over p's SSH, like `ssh host command`.",
        shouldDisplay: false
    )

    @OptionGroup var connection: TargetOptions

    @Option(
        name: .customLong("connection"),
        help:
            "Connect to this connection string (user@host:port or an alias) instead of <host>, which is then ignored (for rsync, whose host argument cannot carry a port)."
    )
    var connectionString: String?

    @Flag(name: .customShort("v"), help: "Say whether the command went through the keeper or directly.")
    var verbose = false

    @Argument(help: "The host or alias.")
    var host: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run() async throws {
        try await reportingErrors { try await execute() }
    }

    private func execute() async throws -> Int32 {
        // rsync may hand its remote shell non-blocking descriptors; this program reads and
        // writes them on threads that expect to block.
        for descriptor in [STDIN_FILENO, STDOUT_FILENO] {
            let flags = fcntl(descriptor, F_GETFL)
            if flags >= 0 && flags & O_NONBLOCK != 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        }
        let target = try connection.resolve(connectionString ?? host)
        let options = EngineFactory.options(hostKeys: .configured)
        let line = command.joined(separator: " ")
        let keeper = await KeeperSettings.load().client(options: options, onRoute: Report.route(verbose))
        if let keeper, let exec = try await keeper.exec(line, on: target) {
            return try await Self.relay(exec)
        }
        let session = try await SSHSession.connect(to: target, options: options)
        defer { session.close() }
        return try await Self.relay(try await session.exec(line))
    }

    /// Copies this process's stdin to `exec` and its output to stdout and stderr; its exit
    /// code as a shell reports it.
    private static func relay(_ exec: any SSHRunningCommand) async throws -> Int32 {
        let input = Task { try await StandardInput.forward(to: exec) }
        defer { exec.close() }
        while let chunk = try await exec.nextChunk() {
            await FileDescriptorWriter.writeAsync(
                chunk.bytes, to: chunk.stream == .stdout ? STDOUT_FILENO : STDERR_FILENO)
        }
        input.cancel()
        return try await exec.exitStatus().shellCode ?? 255
    }
}

/// Copies this process's stdin to a remote command on a thread of its own (reading a
/// terminal or pipe blocks), then closes the remote stdin. At most a few chunks are in
/// flight, so a fast local producer cannot fill memory while the remote side is slow.
enum StandardInput {
    static func forward(to exec: any SSHRunningCommand) async throws {
        let credits = Credits(4)
        let chunks = AsyncStream<[UInt8]> { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    credits.wait()
                    let count = read(0, &buffer, buffer.count)
                    if count < 0 && (errno == EINTR || errno == EAGAIN) {
                        var ready = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                        _ = poll(&ready, 1, -1)
                        credits.signal()
                        continue
                    }
                    if count <= 0 { break }
                    continuation.yield(Array(buffer[0..<count]))
                }
                continuation.finish()
            }
            thread.start()
        }
        for await chunk in chunks {
            try await exec.write(chunk)
            credits.signal()
        }
        try await exec.closeInput()
    }
}

/// A counting gate between a blocking reader thread and an async consumer. (A
/// DispatchSemaphore may not be released while its count is below the initial one.)
final class Credits: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int

    init(_ count: Int) {
        available = count
    }

    func wait() {
        condition.lock()
        while available == 0 { condition.wait() }
        available -= 1
        condition.unlock()
    }

    func signal() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }
}
