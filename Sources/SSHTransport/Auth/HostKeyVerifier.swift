import Foundation

/// Checks the server's host key against known_hosts under a policy, and records new keys.
/// Runs on the session's I/O thread (the policy's prompt may block there).
struct HostKeyVerifier {
    let target: SSHTarget
    let knownHosts: KnownHostsHandle
    /// The host-key algorithms known_hosts has keys for, for this host.
    let knownMethods: [String]

    /// Loads the target's known_hosts files and tells libssh2 to prefer the host-key types
    /// already recorded for this host, as OpenSSH does; otherwise libssh2 1.10 would
    /// negotiate ECDSA and a host known by its ed25519 key would look unknown.
    init?(session: SessionHandle, target: SSHTarget) {
        guard let knownHosts = KnownHostsHandle(session: session) else { return nil }
        self.target = target
        self.knownHosts = knownHosts
        for file in target.knownHostsFiles { knownHosts.load(path: file) }
        let known = knownHosts.knownHostKeyMethods(
            host: target.knownHostsLookup.host, port: target.knownHostsLookup.port)
        self.knownMethods = known
        let supported = session.supportedHostKeyMethods
        let preferred = known.filter(supported.contains)
        if !preferred.isEmpty {
            session.preferHostKeyMethods(preferred + supported.filter { !preferred.contains($0) })
        }
    }

    func verify(session: SessionHandle, policy: SSHHostKeyPolicy) throws(SSHError) {
        guard let (key, type) = session.hostKey() else {
            throw .sessionFailure(
                host: target.host, operation: "reading the host key", code: -1, message: "the server sent no host key")
        }
        var reader = SSHWireReader(bytes: key)
        let keyType = reader.string() ?? "unknown"
        let fingerprint = session.hostKeyFingerprint()
        let file = target.knownHostsFiles.first ?? "~/.ssh/known_hosts"
        switch knownHosts.check(
            host: target.knownHostsLookup.host, port: target.knownHostsLookup.port, key: key, hostKeyType: type)
        {
        case .match:
            return
        case .mismatch:
            throw .hostKeyChanged(
                host: target.knownHostsName, keyType: keyType, fingerprint: fingerprint, knownHostsFile: file)
        case .notFound:
            if !knownMethods.isEmpty && knownMethods.allSatisfy({ $0.contains("rsa") }) && !LibSSH2.signsRSASHA2 {
                throw .sessionFailure(
                    host: target.knownHostsName, operation: "verifying the host key", code: -1,
                    message:
                        "known_hosts holds only an RSA key for this host, and libssh2 \(LibSSH2.version) can check RSA "
                        + "host keys only with ssh-rsa (SHA-1), which OpenSSH 8.8 and later no longer offer "
                        + "(no rsa-sha2 before libssh2 1.11). The host offered \(keyType) \(fingerprint) instead; "
                        + "add the host's ed25519 or ecdsa key to \(file)"
                )
            }
            let question = SSHHostKeyQuestion(
                host: target.knownHostsName, keyType: keyType, fingerprint: fingerprint, knownHostsFile: file)
            switch policy {
            case .strict:
                throw .hostKeyUnknown(
                    host: target.knownHostsName, keyType: keyType, fingerprint: fingerprint, knownHostsFile: file)
            case .acceptNew:
                break
            case .ask(let ask):
                guard ask(question) else {
                    throw .hostKeyRejected(host: target.knownHostsName, fingerprint: fingerprint)
                }
            }
            try Self.record(line: "\(target.knownHostsName) \(keyType) \(Data(key).base64EncodedString())", in: file)
        }
    }

    /// Appends a known_hosts line, creating the file (0600) and its directory (0700).
    /// Appending keeps every other line, even ones this program cannot parse.
    static func record(line: String, in file: String) throws(SSHError) {
        let directory = (file as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .configInvalid(
                file: file, line: 0, message: "cannot record the host key: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // Start on a new line if the file does not end with one.
        var last: UInt8 = 0x0A
        let size = lseek(fd, 0, SEEK_END)
        if size > 0 { _ = pread(fd, &last, 1, size - 1) }
        let needsNewline = last != 0x0A
        let text = (needsNewline ? "\n" : "") + line + "\n"
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count else {
            throw .configInvalid(
                file: file, line: 0, message: "cannot record the host key: \(String(cString: strerror(errno)))")
        }
    }
}
