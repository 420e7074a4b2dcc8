import Foundation

/// Tries the authentication methods in OpenSSH's order: ssh-agent, identity files (asking
/// for passphrases), keyboard-interactive, password. Each libssh2 call runs on the session's
/// I/O thread; callbacks that may block (prompts) run there too, never on the cooperative
/// pool.
struct Authenticator {
    let loop: IOLoop
    let session: SessionHandle
    let target: SSHTarget
    let options: SSHSessionOptions

    private var host: String { target.host }

    /// Keys are offered before asking the server which methods it allows: the usual case
    /// (a key works) then costs no extra round trip for the "none" request that lists them.
    func authenticate() async throws {
        let user = target.user
        var tried: [String] = []
        var hint: String?
        var missingExplicitFile: String?

        if try await authenticateWithAgent(tried: &tried) { return }
        for file in target.identityFiles {
            guard FileManager.default.fileExists(atPath: file) else {
                if target.identityFilesAreExplicit && missingExplicitFile == nil { missingExplicitFile = file }
                continue
            }
            let outcome = try await authenticate(identityFile: file)
            switch outcome {
            case .accepted: return
            case .rejected(let note, let keyHint):
                tried.append(note)
                hint = hint ?? keyHint
            }
        }

        let serverMethods = try await perform("asking which authentication methods \(user) may use") {
            () throws(LibSSH2Failure) in
            try session.authenticationMethods(user: user)
        }
        guard let serverMethods else { return }  // "none" authentication succeeded
        if serverMethods.contains("keyboard-interactive"), let answer = options.credentials.keyboardInteractive {
            tried.append("keyboard-interactive")
            let context = session.context
            let accepted = try await perform("keyboard-interactive authentication") { () throws(LibSSH2Failure) in
                context.keyboardInteractive = answer
                defer { context.keyboardInteractive = nil }
                return try acceptance(session.authenticateKeyboardInteractive(user: user))
            }
            if accepted { return }
        }
        if serverMethods.contains("password"), let ask = options.credentials.password {
            if let password = try await loop.runBlocking({ _ in ask(user, host) }) {
                tried.append("password")
                let accepted = try await perform("password authentication") { () throws(LibSSH2Failure) in
                    try acceptance(session.authenticate(user: user, password: password))
                }
                if accepted { return }
            }
        }
        if let missingExplicitFile, !tried.contains(where: { $0.hasPrefix("/") }) {
            // The key the configuration names is absent and no other key file was offered:
            // that is the problem to report, not the methods that could not have worked.
            throw SSHError.identityFileMissing(host: host, path: missingExplicitFile)
        }
        throw SSHError.authenticationFailed(
            host: host, user: user, methodsTried: tried, serverMethods: serverMethods, hint: hint)
    }

    private func authenticateWithAgent(tried: inout [String]) async throws -> Bool {
        guard options.useAgent, !target.identitiesOnly,
            let socketPath = options.agentSocketPath ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"],
            !socketPath.isEmpty
        else { return false }
        let session = self.session
        let user = target.user
        guard let agent = try await loop.runBlocking({ _ in AgentHandle(session: session, socketPath: socketPath) })
        else {
            return false
        }
        for index in 0..<agent.identityCount {
            tried.append("agent key \(agent.comment(at: index))")
            let accepted = try await perform("authenticating with an ssh-agent key") { () throws(LibSSH2Failure) in
                try acceptance(agent.authenticate(user: user, identityAt: index))
            }
            if accepted { return true }
        }
        return false
    }

    private enum KeyOutcome {
        case accepted
        case rejected(note: String, hint: String?)
    }

    private func authenticate(identityFile file: String) async throws -> KeyOutcome {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let info = PrivateKeyFile(text: text)
        var passphrase: String?
        if info.isEncrypted {
            guard let ask = options.credentials.passphrase,
                let answer = try await loop.runBlocking({ _ in ask(file) })
            else {
                return .rejected(note: "\(file) (encrypted; no passphrase was given)", hint: nil)
            }
            passphrase = answer
        }
        // For an encrypted key, libssh2 reports a wrong passphrase clearly only when it must
        // derive the public key itself; with the .pub file it fails later, obscurely.
        let publicKey = !info.isEncrypted && FileManager.default.fileExists(atPath: file + ".pub") ? file + ".pub" : nil
        let user = target.user
        let session = self.session
        let given = passphrase
        let verdict = try await loop.perform("authenticating with \(file)", timeout: options.setupTimeout) {
            () throws(SSHError) -> Attempt<KeyVerdict> in
            do throws(LibSSH2Failure) {
                switch try acceptance(
                    session.authenticate(user: user, privateKey: file, publicKey: publicKey, passphrase: given))
                {
                case .done(let accepted): return .done(accepted ? .accepted : .rejected)
                case .wouldBlock: return .wouldBlock
                }
            } catch  where error.isKeyFileProblem {
                return .done(.unreadable(error.message))
            } catch {
                throw error.sshError(host: host, operation: "authenticating with \(file)")
            }
        }
        switch verdict {
        case .accepted:
            return .accepted
        case .unreadable(let message):
            let reason = info.isEncrypted ? "wrong passphrase or unreadable key" : "unreadable key: \(message)"
            return .rejected(note: "\(file) (\(reason))", hint: nil)
        case .rejected:
            break
        }
        if info.keyType == .rsa && !LibSSH2.signsRSASHA2 {
            return .rejected(
                note: file,
                hint:
                    "The RSA key \(file) was refused: libssh2 \(LibSSH2.version) can only sign with ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse, and cannot sign rsa-sha2. Use an ed25519 or ecdsa key (ssh-keygen -t ed25519), or allow ssh-rsa on the server (PubkeyAcceptedAlgorithms +ssh-rsa)."
            )
        }
        return .rejected(note: file, hint: nil)
    }

    private enum KeyVerdict: Sendable {
        case accepted
        case rejected
        case unreadable(String)
    }

    /// A rejection is a normal outcome (`false`), not an error.
    private func acceptance(_ body: @autoclosure () throws(LibSSH2Failure) -> Attempt<Void>) throws(LibSSH2Failure)
        -> Attempt<Bool>
    {
        do throws(LibSSH2Failure) {
            switch try body() {
            case .done: return .done(true)
            case .wouldBlock: return .wouldBlock
            }
        } catch  where error.isAuthenticationRejection {
            return .done(false)
        }
    }

    private func perform<T: Sendable>(_ operation: String, _ body: @escaping () throws(LibSSH2Failure) -> Attempt<T>)
        async throws -> T
    {
        let host = self.host
        return try await loop.perform(operation, timeout: options.setupTimeout) { () throws(SSHError) in
            try Attempt.mapping(host: host, operation: operation, body)
        }
    }
}
