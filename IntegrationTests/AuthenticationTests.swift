import Foundation
import SSHTransport
import Testing

@Suite("Authentication against a real sshd", .timeLimit(.minutes(10)), .throttled)
struct AuthenticationTests {
    func newKey(_ type: String, passphrase: String = "", authorize: Bool = true) async throws -> (TestSSHD, String) {
        let server = try await TestSSHD.sharedLocal()
        let path = try TestSSHD.makeTemporaryDirectory() + "/id_\(type)"
        try Shell.run("ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", "p-test-\(type)", "-f", path])
        if authorize { try server.authorize(publicKeyFile: path + ".pub") }
        return (server, path)
    }

    func target(_ server: TestSSHD, identities: [String]) -> SSHTarget {
        var target = server.target()
        target.identityFiles = identities
        target.identityFilesAreExplicit = true
        return target
    }

    @Test func ecdsaKeyFile() async throws {
        let (server, key) = try await newKey("ecdsa")
        let session = try await SSHSession.connect(to: target(server, identities: [key]), options: TestSSHD.options())
        #expect(try await session.run("echo ok").stdoutText == "ok\n")
        session.close()
    }

    @Test func encryptedKeyAsksForItsPassphrase() async throws {
        let (server, key) = try await newKey("ed25519", passphrase: "correct horse")
        let asked = Box<[String]>([])
        let credentials = SSHCredentials(passphrase: { path in
            asked.value.append(path)
            return "correct horse"
        })
        let session = try await SSHSession.connect(
            to: target(server, identities: [key]), options: TestSSHD.options(credentials: credentials))
        session.close()
        #expect(asked.value == [key])

        let wrong = SSHCredentials(passphrase: { _ in "wrong" })
        await #expect {
            try await SSHSession.connect(
                to: target(server, identities: [key]), options: TestSSHD.options(credentials: wrong))
        } throws: { error in
            guard case .authenticationFailed(_, _, let tried, _, _) = error as? SSHError else { return false }
            return tried.contains { $0.contains(key) && $0.contains("wrong passphrase") }
        }
    }

    @Test func rejectedKeyListsWhatWasTried() async throws {
        let (server, key) = try await newKey("ed25519", authorize: false)
        await #expect {
            try await SSHSession.connect(to: target(server, identities: [key]), options: TestSSHD.options())
        } throws: { error in
            guard case .authenticationFailed(let host, let user, let tried, let serverMethods, _) = error as? SSHError
            else {
                return false
            }
            return host == server.host && user == server.user && tried == [key] && serverMethods.contains("publickey")
                && (error as! SSHError).description.contains("Tried: \(key)")
        }
    }

    @Test func rsaKeyRefusalExplainsRSASHA2() async throws {
        let (server, key) = try await newKey("rsa")
        let target = target(server, identities: [key])
        if LibSSH2Info.supportsRSASHA2 {
            try await SSHSession.connect(to: target, options: TestSSHD.options()).close()
            return
        }
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options())
        } throws: { error in
            guard case .authenticationFailed(_, _, _, _, let hint) = error as? SSHError else { return false }
            return hint?.contains("rsa-sha2") == true && hint?.contains("ed25519") == true
        }
    }

    @Test func missingIdentityFileIsNamed() async throws {
        let server = try await TestSSHD.sharedLocal()
        let missing = "/nonexistent/p-test/id_ed25519"
        await #expect {
            try await SSHSession.connect(to: target(server, identities: [missing]), options: TestSSHD.options())
        } throws: { error in
            guard case .identityFileMissing(_, let path) = error as? SSHError else { return false }
            return path == missing
        }
    }

    @Test func agentKeysAreOffered() async throws {
        let (server, key) = try await newKey("ed25519")
        let socket = try TestSSHD.makeTemporaryDirectory() + "/agent.sock"
        // ssh-agent prints `SSH_AGENT_PID=<pid>; ...`: the one this test started is ended by pid.
        let started = try Shell.run("ssh-agent", ["-a", socket])
        let agent = try #require(
            started.split(whereSeparator: { $0 == ";" || $0.isNewline }).first { $0.hasPrefix("SSH_AGENT_PID=") }
                .flatMap { pid_t($0.dropFirst("SSH_AGENT_PID=".count)) })
        defer { kill(agent, SIGTERM) }
        try Shell.runWithEnvironment("ssh-add", [key], ["SSH_AUTH_SOCK": socket])
        var target = server.target()
        target.identityFiles = ["/nonexistent/default_key"]
        target.identityFilesAreExplicit = false
        let options = SSHSessionOptions(hostKeyPolicy: .strict, useAgent: true, agentSocketPath: socket)
        let session = try await SSHSession.connect(to: target, options: options)
        #expect(try await session.run("echo agent").stdoutText == "agent\n")
        session.close()
    }

    @Test func passwordCallback() async throws {
        try Power.root.require(for: "a password login needs sshd running as root and a user with a password")
        let user = "ptestpw"
        _ = try? Shell.run("useradd", ["-m", "-s", "/bin/sh", user])
        try Shell.runWithStdin("chpasswd", [], "\(user):p-test-Secret-1\n")
        let server = try TestSSHD.start(passwordAuth: true)
        defer { server.stop() }
        var target = server.target(user: user)
        target.identityFiles = []
        target.identityFilesAreExplicit = true
        let asked = Box<Int>(0)
        let credentials = SSHCredentials(password: { who, _ in
            asked.value += 1
            return who == user ? "p-test-Secret-1" : nil
        })
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options(credentials: credentials))
        #expect(try await session.run("id -un").stdoutText == "\(user)\n")
        session.close()
        #expect(asked.value == 1)
        let wrong = SSHCredentials(password: { _, _ in "nope" })
        await #expect {
            try await SSHSession.connect(to: target, options: TestSSHD.options(credentials: wrong))
        } throws: { error in
            guard case .authenticationFailed(_, _, let tried, _, _) = error as? SSHError else { return false }
            return tried == ["password"]
        }
    }

    @Test func keyboardInteractiveCallback() async throws {
        try Power.root.require(
            for: "keyboard-interactive needs sshd running as root with PAM and a user with a password")
        let user = "ptestkbd"
        _ = try? Shell.run("useradd", ["-m", "-s", "/bin/sh", user])
        try Shell.runWithStdin("chpasswd", [], "\(user):p-test-Secret-2\n")
        let server = try TestSSHD.start(options: [
            "UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no",
        ])
        defer { server.stop() }
        var target = server.target(user: user)
        target.identityFiles = []
        target.identityFilesAreExplicit = true
        let prompts = Box<[SSHPrompt]>([])
        let credentials = SSHCredentials(keyboardInteractive: { _, _, asked in
            prompts.value += asked
            return asked.map { _ in "p-test-Secret-2" }
        })
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options(credentials: credentials))
        #expect(try await session.run("id -un").stdoutText == "\(user)\n")
        session.close()
        #expect(prompts.value.contains { $0.text.lowercased().contains("password") && !$0.echo })
    }
}
