import CLibSSH2

/// Process-wide libssh2 state and the one place return codes become Swift values.
enum LibSSH2 {
    /// `libssh2_init` is not thread-safe; a `static let` runs it exactly once.
    private static let initialized: Int32 = {
        p_crypto_disable_atexit_cleanup()
        return libssh2_init(0)
    }()

    static func ensureInitialized() {
        precondition(initialized == 0, "libssh2_init failed: \(initialized)")
    }

    /// The linked library's version, for example "1.10.0".
    static var version: String {
        libssh2_version(0).map { String(cString: $0) } ?? "unknown"
    }

    /// Whether this libssh2 can sign with rsa-sha2 (1.11+). Without it, OpenSSH 8.8+
    /// refuses RSA user keys.
    static var signsRSASHA2: Bool { p_libssh2_signs_rsa_sha2() == 1 }

}

/// A libssh2 failure, with the message copied at once (the next call overwrites it).
struct LibSSH2Failure: Error {
    var code: Int32
    var message: String
    /// The server's SFTP status, when an SFTP request failed (`LIBSSH2_FX_*`).
    var sftpStatus: UInt32?
}

/// The outcome of one non-blocking libssh2 call.
enum Attempt<Value> {
    case done(Value)
    case wouldBlock
}

extension LibSSH2Failure {
    /// The server said no to a credential (as opposed to the connection failing).
    var isAuthenticationRejection: Bool {
        code == LIBSSH2_ERROR_AUTHENTICATION_FAILED || code == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED
            || code == LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED || code == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED
    }

    /// The key file could not be read or decrypted (wrong passphrase, unknown format).
    var isKeyFileProblem: Bool { code == LIBSSH2_ERROR_FILE }

    /// The socket failed or the peer went away.
    var isConnectionFailure: Bool {
        [
            LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
            LIBSSH2_ERROR_SOCKET_TIMEOUT,
        ]
        .contains(code)
    }

    /// This failure as an `SSHError` that names the host and what was being done.
    func sshError(host: String, operation: String, channel: Bool = false) -> SSHError {
        if isConnectionFailure { return .connectionLost(host: host, reason: "\(message) while \(operation)") }
        if channel { return .channelFailure(host: host, operation: operation, code: code, message: message) }
        return .sessionFailure(host: host, operation: operation, code: code, message: message)
    }
}

extension Attempt {
    /// Maps libssh2's failure to an `SSHError` for `IOLoop.perform`.
    static func mapping(
        host: String, operation: String, channel: Bool = false, _ body: () throws(LibSSH2Failure) -> Attempt<Value>
    ) throws(SSHError) -> Attempt<Value> {
        do {
            return try body()
        } catch {
            throw error.sshError(host: host, operation: operation, channel: channel)
        }
    }
}

extension LibSSH2Failure {
    /// This failure of an SFTP operation on `path` as an `SSHError`.
    func sftpError(host: String, operation: String, path: String) -> SSHError {
        if isConnectionFailure { return .connectionLost(host: host, reason: "\(message) while \(operation) \(path)") }
        guard let status = sftpStatus else {
            return .sftpFailure(host: host, operation: operation, path: path, reason: .other(code), message: message)
        }
        return .sftpFailure(host: host, operation: operation, path: path, reason: Self.reason(status), message: message)
    }

    static func reason(_ status: UInt32) -> SFTPFailureReason {
        switch UInt(status) {
        case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH: return .noSuchFile
        case LIBSSH2_FX_PERMISSION_DENIED: return .permissionDenied
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM, LIBSSH2_FX_QUOTA_EXCEEDED: return .noSpace
        case LIBSSH2_FX_WRITE_PROTECT: return .readOnly
        case LIBSSH2_FX_FILE_ALREADY_EXISTS: return .alreadyExists
        case LIBSSH2_FX_DIR_NOT_EMPTY: return .directoryNotEmpty
        case LIBSSH2_FX_NOT_A_DIRECTORY: return .notADirectory
        case LIBSSH2_FX_OP_UNSUPPORTED: return .unsupported
        case LIBSSH2_FX_FAILURE: return .failure
        default: return .other(Int32(status))
        }
    }
}
