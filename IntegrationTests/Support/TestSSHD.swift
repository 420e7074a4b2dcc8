import Foundation
import SSHTransport
import Testing

/// A real OpenSSH server for one test (or a shared one for many), started with the same
/// `docker/sshd/start-sshd.sh` the container runs, on 127.0.0.1 and a free port, as the
/// current user. The client side (keys, known_hosts) lives in the server's temporary
/// directory; the real `~/.ssh` is never read or written.
///
/// When `P_TEST_SSH_TARGET` names an existing server (the docker compose setup), `shared`
/// uses it with `P_TEST_SSH_IDENTITY` and `P_TEST_SSH_KNOWN_HOSTS`.
final class TestSSHD: @unchecked Sendable {
    let directory: String
    let host: String
    let port: Int
    let user: String
    let identityFile: String
    let knownHostsFile: String
    let isExternal: Bool

    var stateDirectory: String { directory + "/server" }
    /// Where the server's host keys (`ssh_host_*_key.pub`) are.
    var hostKeyDirectory: String {
        isExternal ? ProcessInfo.processInfo.environment["P_TEST_SSH_HOST_KEYS"] ?? stateDirectory : stateDirectory
    }
    var authorizedKeys: String { directory + "/client/authorized_keys" }
    var logFile: String { stateDirectory + "/sshd.log" }

    /// The server shared by tests that do not disturb it.
    static func shared() async throws -> TestSSHD {
        try await SharedServer.instance.get()
    }

    /// A local server shared by tests that add keys to its authorized_keys: never the
    /// external one, whose configuration the tests do not own.
    static func sharedLocal() async throws -> TestSSHD {
        try await SharedServer.local.get()
    }

    /// Authorizes another public key.
    func authorize(publicKeyFile: String) throws {
        let key = try String(contentsOfFile: publicKeyFile, encoding: .utf8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authorizedKeys))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(key.utf8))
    }

    /// Starts its server once, on first use.
    private actor SharedServer {
        static let instance = SharedServer(allowExternal: true)
        static let local = SharedServer(allowExternal: false)
        private let allowExternal: Bool
        private var server: TestSSHD?

        init(allowExternal: Bool) {
            self.allowExternal = allowExternal
        }

        func get() throws -> TestSSHD {
            if let server { return server }
            let environment = ProcessInfo.processInfo.environment
            let started: TestSSHD
            if allowExternal, let target = environment["P_TEST_SSH_TARGET"], !target.isEmpty {
                started = try TestSSHD(external: target, environment: environment)
            } else {
                started = try TestSSHD.start()
            }
            server = started
            return started
        }
    }

    private init(
        directory: String, host: String, port: Int, user: String, external: Bool, identityFile: String,
        knownHostsFile: String
    ) {
        self.directory = directory
        self.host = host
        self.port = port
        self.user = user
        self.isExternal = external
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
    }

    private convenience init(external target: String, environment: [String: String]) throws {
        guard let identity = environment["P_TEST_SSH_IDENTITY"], let known = environment["P_TEST_SSH_KNOWN_HOSTS"]
        else {
            throw TestFailure("P_TEST_SSH_TARGET needs P_TEST_SSH_IDENTITY and P_TEST_SSH_KNOWN_HOSTS")
        }
        let parsed = try SSHTarget.resolve(target, config: .empty)
        self.init(
            directory: try Self.makeTemporaryDirectory(), host: parsed.host, port: parsed.port, user: parsed.user,
            external: true, identityFile: identity, knownHostsFile: known)
    }

    /// Starts a private server (for tests that stop, restart or reconfigure it). With a
    /// `namespace`, sshd runs inside that network namespace on `listen`, port 22.
    static func start(
        options: [String] = [], passwordAuth: Bool = false, namespace: String? = nil, listen: String = "127.0.0.1"
    ) throws -> TestSSHD {
        if ProcessInfo.processInfo.environment["P_SKIP_INTEGRATION"] == "1" {
            throw TestFailure("P_SKIP_INTEGRATION=1: integration tests are disabled")
        }
        let directory = try makeTemporaryDirectory()
        let client = directory + "/client"
        try FileManager.default.createDirectory(atPath: client, withIntermediateDirectories: true)
        let identity = client + "/id_ed25519"
        try Shell.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "p-test-client", "-f", identity])
        try FileManager.default.copyItem(atPath: identity + ".pub", toPath: client + "/authorized_keys")
        var lastError: Error?
        for _ in 0..<5 {
            let port = namespace == nil ? try freePort() : 22
            let server = TestSSHD(
                directory: directory, host: listen, port: port, user: Shell.currentUser, external: false,
                identityFile: identity, knownHostsFile: client + "/known_hosts")
            server.namespace = namespace
            do {
                try server.launch(options: options, passwordAuth: passwordAuth)
                let hostKey = try String(
                    contentsOfFile: server.stateDirectory + "/ssh_host_ed25519_key.pub", encoding: .utf8)
                let fields = hostKey.split(separator: " ")
                let name = port == 22 ? listen : "[\(listen)]:\(port)"
                try "\(name) \(fields[0]) \(fields[1])\n".write(
                    toFile: server.knownHostsFile, atomically: true, encoding: .utf8)
                return server
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestFailure("sshd did not start")
    }

    private var namespace: String?
    private var launchOptions: [String] = []
    private var launchPassword = false

    private func launch(options: [String], passwordAuth: Bool) throws {
        launchOptions = options
        launchPassword = passwordAuth
        var arguments = [
            "--listen", host, "--port", String(port), "--state-dir", stateDirectory, "--authorized-keys",
            authorizedKeys,
            "--watch-pid", String(getpid()),
        ]
        if passwordAuth { arguments.append("--password-auth") }
        for option in options { arguments += ["--option", option] }
        if let namespace {
            try Shell.run("ip", ["netns", "exec", namespace, Self.scriptPath] + arguments)
        } else {
            try Shell.run(Self.scriptPath, arguments)
        }
    }

    /// The sshd daemon's pid.
    var pid: Int32? {
        (try? String(contentsOfFile: stateDirectory + "/sshd.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Stops the listener and every session it serves (as when the machine goes away):
    /// all its descendants, since a session's unprivileged child outlives its parent.
    func stop() {
        guard let pid else { return }
        kill(pid, SIGSTOP)
        for descendant in Self.descendants(of: pid) { kill(descendant, SIGKILL) }
        kill(pid, SIGKILL)
        try? FileManager.default.removeItem(atPath: stateDirectory + "/sshd.pid")
    }

    /// Every process below `pid` in the process tree.
    static func descendants(of pid: pid_t) -> [pid_t] {
        let table = ((try? Shell.run("ps", ["-A", "-o", "pid=,ppid="])) ?? "").split(separator: "\n").compactMap {
            line -> (pid_t, pid_t)? in
            let fields = line.split(separator: " ")
            guard fields.count == 2, let child = pid_t(fields[0]), let parent = pid_t(fields[1]) else { return nil }
            return (child, parent)
        }
        var found: [pid_t] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = table.filter { $0.1 == next }.map(\.0)
            found += children
            frontier += children
        }
        return found
    }

    /// Starts the server again on the same port with the same keys.
    func restart() throws {
        stop()
        for _ in 0..<50 {
            do {
                return try launch(options: launchOptions, passwordAuth: launchPassword)
            } catch {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        try launch(options: launchOptions, passwordAuth: launchPassword)
    }

    /// A target for this server with the test key and known_hosts.
    func target(user: String? = nil) -> SSHTarget {
        var target = SSHTarget(host: host, port: port, user: user ?? self.user, identityFiles: [identityFile])
        target.knownHostsFiles = [knownHostsFile]
        return target
    }

    /// An ssh_config file naming this server as `worker`, for `p _exec -F`.
    func writeClientConfig() throws -> String {
        try FileManager.default.createDirectory(atPath: directory + "/client", withIntermediateDirectories: true)
        let path = directory + "/client/config-\(UUID().uuidString.prefix(6))"
        let text = """
            Host worker
                HostName \(host)
                Port \(port)
                User \(user)
                IdentityFile \(identityFile)
                IdentitiesOnly yes
                UserKnownHostsFile \(knownHostsFile)
                StrictHostKeyChecking yes

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Options that never touch the developer's agent.
    static func options(
        policy: SSHHostKeyPolicy = .strict, deadPeerTimeout: Duration? = nil,
        credentials: SSHCredentials = SSHCredentials()
    ) -> SSHSessionOptions {
        SSHSessionOptions(
            hostKeyPolicy: policy, credentials: credentials, useAgent: false, deadPeerTimeout: deadPeerTimeout)
    }

    func connect(_ options: SSHSessionOptions = TestSSHD.options()) async throws -> SSHSession {
        try await SSHSession.connect(to: target(), options: options)
    }

    static var scriptPath: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("docker/sshd/start-sshd.sh").path
    }

    static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "p-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// 127.0.0.1:`port` as the socket calls take it.
    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// A port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs helper programs (ssh-keygen, the sshd script) for test setup. posix_spawn and
/// waitpid rather than Foundation's Process, whose exit notification depends on a run loop.
enum Shell {
    @discardableResult
    static func runWithEnvironment(_ program: String, _ arguments: [String], _ extra: [String: String]) throws -> String
    {
        try run("env", extra.map { "\($0)=\($1)" } + [program] + arguments)
    }

    /// Runs a program with `input` on its stdin (through a temporary file).
    @discardableResult
    static func runWithStdin(_ program: String, _ arguments: [String], _ input: String) throws -> String {
        let inputPath = NSTemporaryDirectory() + "p-stdin-" + UUID().uuidString
        try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
        defer { unlink(inputPath) }
        return try run(program, arguments, stdinFile: inputPath)
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String], stdinFile: String? = nil) throws -> String {
        let outputPath = NSTemporaryDirectory() + "p-shell-" + UUID().uuidString
        defer { unlink(outputPath) }
        let outcome = try spawnAndWait(program, arguments, stdin: stdinFile ?? "/dev/null", output: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard outcome.status == 0 else {
            throw TestFailure("\(program) \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(text)")
        }
        return text
    }

    /// Runs a program with stdout and stderr to /dev/null; returns its exit status and its
    /// peak resident memory. A small Python parent forks and waits for it: a child spawned
    /// straight from this process shares this process's memory until it execs, and Linux
    /// counts that (the whole test process) in the child's peak.
    static func measure(_ program: String, _ arguments: [String]) throws -> (status: Int32, peakResidentBytes: Int) {
        let script = """
            import os, sys
            pid = os.fork()
            if pid == 0:
                fd = os.open("/dev/null", os.O_RDWR)
                os.dup2(fd, 1); os.dup2(fd, 2)
                os.execv(sys.argv[1], sys.argv[1:])
            _, status, usage = os.wait4(pid, 0)
            print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
            """
        let words = try run("python3", ["-c", script, program] + arguments).split(separator: " ")
        guard words.count == 2, let status = Int32(words[0]),
            let kilobytes = Int(words[1].trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw TestFailure("cannot measure \(program)") }
        return (status, kilobytes * 1024)
    }

    /// posix_spawnp with stdin and stdout+stderr redirected to files, then wait4. The
    /// status is the exit code, or 128+N for signal N.
    private static func spawnAndWait(_ program: String, _ arguments: [String], stdin: String, output: String) throws
        -> (status: Int32, usage: rusage)
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        Spawn.closeInheritedDescriptors(&actions)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = Spawn.withDefaultSignals { posix_spawnp(&pid, program, &actions, &$0, argv, environ) }
        guard spawned == 0 else { throw TestFailure("cannot start \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, usage)
    }

    /// The `p` executable built next to the test bundle.
    static var pExecutable: String {
        get throws {
            let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("p").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestFailure("the p executable is not at \(path); run `swift build` before the tests")
            }
            return path
        }
    }

    static var currentUser: String {
        getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
    }
}
