import Foundation
import Testing

@testable import SSHTransport

@Suite("Connection failures", .timeLimit(.minutes(10)), .throttled)
struct ConnectionFailureTests {
    @Test func refusedPort() async throws {
        let port = try TestSSHD.freePort()
        var target = SSHTarget(host: "127.0.0.1", port: port, identityFiles: ["/nonexistent"])
        target.knownHostsFiles = ["/nonexistent/known_hosts"]
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options())
        } throws: { error in
            guard case .connectionRefused(let host, let refusedPort) = error as? SSHError else { return false }
            return host == "127.0.0.1" && refusedPort == port && (error as! SSHError).description.contains("refused")
        }
    }

    @Test func unresolvableName() async throws {
        let target = SSHTarget(host: "no-such-host.invalid", port: 22, identityFiles: ["/nonexistent"])
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options())
        } throws: { error in
            guard case .nameResolutionFailed(let host, _) = error as? SSHError else { return false }
            return host == "no-such-host.invalid"
        }
    }

    /// Linux refuses a TCP connect to a multicast address locally with ENETUNREACH: an
    /// unreachable network without sending a packet anywhere.
    @Test func unreachableNetwork() async throws {
        let target = SSHTarget(host: "224.0.0.1", port: 22, identityFiles: ["/nonexistent"])
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options())
        } throws: { error in
            guard case .hostUnreachable(let host, let port, _) = error as? SSHError else { return false }
            return host == "224.0.0.1" && port == 22
        }
    }

    /// A listener that never accepts: TCP connects, but the SSH banner never comes.
    @Test func handshakeTimeout() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var target = SSHTarget(host: "127.0.0.1", port: port, identityFiles: ["/nonexistent"])
        target.knownHostsFiles = ["/nonexistent/known_hosts"]
        // ConnectTimeout bounds the greeting, as OpenSSH's does; the whole setup may take longer.
        target.connectTimeout = .milliseconds(700)
        var options = TestSSHD.options()
        options.setupTimeout = .seconds(60)
        let started = ContinuousClock.now
        await #expect {
            try await SSHSession.connect(to: target, options: options)
        } throws: { error in
            guard case .timedOut(let host, let operation, _) = error as? SSHError else { return false }
            return host == "127.0.0.1" && operation == "waiting for the server's greeting"
        }
        // Not a timing assertion: a generous ceiling that only catches "waited for the setup timeout".
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// sshd allows one channel here; the second concurrent one is refused with libssh2's
    /// own message and code.
    @Test func channelFailureCarriesLibSSH2Message() async throws {
        let server = try TestSSHD.start(options: ["MaxSessions 1"])
        defer { server.stop() }
        let session = try await server.connect()
        defer { session.close() }
        let first = try await session.exec("sleep 60")
        await #expect {
            try await session.exec("true")
        } throws: { error in
            guard case .channelFailure(_, let operation, let code, let message) = error as? SSHError else {
                return false
            }
            return operation == "opening a channel" && code < 0 && message.contains("Channel open failure")
        }
        first.close()
        #expect(session.isAlive)
    }

    @Test func sshdKilledMidStreamFailsThePendingRead() async throws {
        let server = try TestSSHD.start()
        let session = try await server.connect()
        let exec = try await session.exec("while true; do echo tick; sleep 0.1; done")
        _ = try await exec.nextChunk()
        server.stop()
        await #expect {
            while try await exec.nextChunk() != nil {}
        } throws: { error in
            guard case .connectionLost(let host, _) = error as? SSHError else { return false }
            return host == "127.0.0.1"
        }
        #expect(!session.isAlive)
        await #expect(throws: SSHError.self) { try await session.run("true") }
    }

    /// `server` reached through `proxy`, its host key known under the proxy's port.
    static func target(_ server: TestSSHD, through proxy: FaultProxy) throws -> SSHTarget {
        var target = server.target()
        target.port = proxy.port
        let hostKey = try String(contentsOfFile: server.stateDirectory + "/ssh_host_ed25519_key.pub", encoding: .utf8)
        let knownHosts = try TestSSHD.makeTemporaryDirectory() + "/known_hosts"
        try "[127.0.0.1]:\(proxy.port) \(hostKey.split(separator: " ").prefix(2).joined(separator: " "))\n".write(
            toFile: knownHosts, atomically: true, encoding: .utf8)
        target.knownHostsFiles = [knownHosts]
        return target
    }

    /// Traffic silently dropped: no FIN, no RST. Keepalives go unanswered and the pending
    /// read fails within the dead-peer bound. The bound is 10 s, not less: on a loaded
    /// two-core CI machine (a container image being built next door) a healthy sshd has
    /// been seen silent for over 3 s.
    @Test func silentlyDroppedTrafficIsNoticed() async throws {
        let server = try await TestSSHD.sharedLocal()
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        let session = try await SSHSession.connect(
            to: Self.target(server, through: proxy), options: TestSSHD.options(deadPeerTimeout: .seconds(10)))
        let exec = try await session.exec("while true; do echo tick; sleep 0.2; done")
        _ = try await exec.nextChunk()
        proxy.blackhole()
        let started = ContinuousClock.now
        await #expect {
            while try await exec.nextChunk() != nil {}
        } throws: { error in
            guard case .connectionLost(_, let reason) = error as? SSHError else { return false }
            return reason.contains("keepalive")
        }
        // Not a timing assertion: a generous ceiling that only catches "never noticed".
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    /// An idle session (no command, nothing reading) wakes for its keepalives and little
    /// else, long past the dead-peer bound, and stays usable: the replies to its
    /// keepalives wait unread and count as the peer's sign of life. (It once woke without
    /// pause from the moment its last read was older than the bound.)
    @Test func anIdleSessionSleepsBetweenKeepalives() async throws {
        let server = try await TestSSHD.sharedLocal()
        // A bound of 10 s, not less: a loaded CI machine's sshd has been seen silent for 3 s.
        var options = TestSSHD.options(deadPeerTimeout: .seconds(10))
        options.keepaliveInterval = .seconds(1)
        let session = try await SSHSession.connect(to: server.target(), options: options)
        defer { session.close() }
        _ = try await session.run("true")
        let before = session.loop.roundsSoFar
        // Idle past the dead-peer bound: the state that once spun.
        try await Task.sleep(for: .seconds(13))
        let rounds = session.loop.roundsSoFar - before
        // Thirteen keepalives, and a round or two each; a spinning loop goes round hundreds
        // of thousands of times a second.
        #expect(rounds < 300, "\(rounds) rounds while idle")
        #expect(session.isAlive)
        #expect(try await session.run("echo still here").stdoutText == "still here\n")
    }

    /// An idle session whose peer goes silent (traffic dropped, after replies to earlier
    /// keepalives were left unread) is found gone within the bound, not kept alive by
    /// those old replies.
    @Test func anIdleSessionWhosePeerGoesSilentIsFoundGone() async throws {
        let server = try await TestSSHD.sharedLocal()
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.stop() }
        var options = TestSSHD.options(deadPeerTimeout: .seconds(10))
        options.keepaliveInterval = .seconds(1)
        let session = try await SSHSession.connect(to: Self.target(server, through: proxy), options: options)
        defer { session.close() }
        _ = try await session.run("true")
        // Replies to a few keepalives arrive and wait unread; then nothing more comes.
        try await Task.sleep(for: .seconds(3))
        proxy.blackhole()
        let silent = ContinuousClock.now
        while session.isAlive && ContinuousClock.now - silent < .seconds(60) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!session.isAlive, "still counted alive 60 s after its peer went silent")
        // Found gone, it waits to be closed without going round.
        let before = session.loop.roundsSoFar
        try await Task.sleep(for: .seconds(2))
        #expect(session.loop.roundsSoFar - before < 20, "\(session.loop.roundsSoFar - before) rounds once gone")
    }
}
