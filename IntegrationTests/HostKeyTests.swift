import Foundation
import SSHTransport
import Testing

@Suite("Host keys against a real sshd", .timeLimit(.minutes(10)), .throttled)
struct HostKeyTests {
    /// A target for the shared server whose known_hosts is a fresh file with `content`.
    func target(knownHosts content: String) async throws -> (SSHTarget, String) {
        let server = try await TestSSHD.shared()
        let file = try TestSSHD.makeTemporaryDirectory() + "/known_hosts"
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        var target = server.target()
        target.knownHostsFiles = [file]
        return (target, file)
    }

    func hostKey(_ type: String) async throws -> String {
        let server = try await TestSSHD.shared()
        let text = try String(contentsOfFile: server.hostKeyDirectory + "/ssh_host_\(type)_key.pub", encoding: .utf8)
        return text.split(separator: " ").prefix(2).joined(separator: " ")
    }

    func name() async throws -> String {
        let server = try await TestSSHD.shared()
        return "[\(server.host)]:\(server.port)"
    }

    @Test func unknownHostIsRefusedUnderStrictPolicy() async throws {
        let (target, file) = try await target(knownHosts: "")
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .strict))
        } throws: { error in
            guard case .hostKeyUnknown(let host, _, let fingerprint, let knownHosts) = error as? SSHError else {
                return false
            }
            return host.contains("127.0.0.1") && fingerprint.hasPrefix("SHA256:") && knownHosts == file
                && (error as! SSHError).description.contains("not known")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8).isEmpty)
    }

    @Test func acceptNewRecordsTheKeyThenStrictAccepts() async throws {
        let (target, file) = try await target(knownHosts: "# a comment without newline")
        let first = try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .acceptNew))
        first.close()
        let recorded = try String(contentsOfFile: file, encoding: .utf8)
        #expect(recorded.hasPrefix("# a comment without newline\n[127.0.0.1]:"))
        let second = try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .strict))
        #expect(try await second.run("true").status == .exited(0))
        second.close()
    }

    @Test func askPolicyConsultsTheCallback() async throws {
        let (target, file) = try await target(knownHosts: "")
        let asked = Box<SSHHostKeyQuestion?>(nil)
        await #expect(throws: SSHError.self) {
            try await SSHSession.connect(
                to: target,
                options: TestSSHD.options(
                    policy: .ask({
                        asked.value = $0
                        return false
                    })))
        }
        let question = try #require(asked.value)
        #expect(question.host == (try await name()))
        #expect(question.fingerprint.hasPrefix("SHA256:"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).isEmpty)
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .ask({ _ in true })))
        session.close()
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(question.keyType))
    }

    @Test func changedKeyIsRefusedWhateverThePolicy() async throws {
        let other = try TestSSHD.makeTemporaryDirectory() + "/other"
        try Shell.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let (target, file) = try await target(knownHosts: "\(try await name()) \(otherKey)\n")
        for policy in [SSHHostKeyPolicy.strict, .acceptNew, .ask({ _ in true })] {
            await #expect {
                try await SSHSession.connect(to: target, options: TestSSHD.options(policy: policy))
            } throws: { error in
                guard case .hostKeyChanged = error as? SSHError else { return false }
                return (error as! SSHError).description.contains("HAS CHANGED")
            }
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "\(try await name()) \(otherKey)\n")
    }

    /// libssh2 1.10 prefers ECDSA: without the preference set from known_hosts, a host
    /// known only by its ed25519 or RSA key would look unknown.
    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func hostKnownByOneKeyType(type: String) async throws {
        let (target, _) = try await target(knownHosts: "\(try await name()) \(try await hostKey(type))\n")
        if type == "rsa" && LibSSH2Info.version.hasPrefix("1.10") {
            // OpenSSH 8.8+ offers RSA host keys only with rsa-sha2, which libssh2 1.10 lacks.
            await #expect {
                try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .strict))
            } throws: { error in
                (error as? SSHError)?.description.contains("add the host's ed25519 or ecdsa key") ?? false
            }
            return
        }
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .strict))
        #expect(try await session.run("true").status == .exited(0))
        session.close()
    }

    @Test func hashedEntriesAndBadLinesAreHandled() async throws {
        let (target, file) = try await target(knownHosts: "\(try await name()) \(try await hostKey("ed25519"))\n")
        try Shell.run("ssh-keygen", ["-q", "-H", "-f", file])
        let hashed = try String(contentsOfFile: file, encoding: .utf8)
        #expect(hashed.hasPrefix("|1|"))
        // A line libssh2 cannot parse must not hide the lines after it.
        try ("this is not a known_hosts line\n@cert-authority * ssh-ed25519 AAAA\n" + hashed).write(
            toFile: file, atomically: true, encoding: .utf8)
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options(policy: .strict))
        session.close()
    }
}

/// A mutable value shared with a `@Sendable` callback in a test.
final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
