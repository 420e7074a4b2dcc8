import Foundation

/// Everything that can go wrong in SSHTransport. Each message names the host (or file) and
/// says what to do next.
public enum SSHError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// A connection string that cannot be understood.
    case invalidTarget(String, reason: String)
    /// A malformed line in an ssh configuration file.
    case configInvalid(file: String, line: Int, message: String)
    /// The host name does not resolve.
    case nameResolutionFailed(host: String, reason: String)
    /// No route to the host or its network.
    case hostUnreachable(host: String, port: Int, reason: String)
    /// The host answered, but nothing listens on the port.
    case connectionRefused(host: String, port: Int)
    /// An operation did not finish in time. `operation` says which.
    case timedOut(host: String, operation: String, seconds: Double)
    /// The host's key is not in known_hosts and the policy does not allow adding it.
    case hostKeyUnknown(host: String, keyType: String, fingerprint: String, knownHostsFile: String)
    /// The host presented a key that differs from the one recorded: possibly an attack.
    case hostKeyChanged(host: String, keyType: String, fingerprint: String, knownHostsFile: String)
    /// The user declined an unknown host key at the prompt.
    case hostKeyRejected(host: String, fingerprint: String)
    /// No authentication method succeeded.
    case authenticationFailed(
        host: String, user: String, methodsTried: [String], serverMethods: [String], hint: String?)
    /// An identity file named in the configuration does not exist, and nothing else worked.
    case identityFileMissing(host: String, path: String)
    /// The connection died: the peer closed it, reset it, or stopped answering keepalives.
    case connectionLost(host: String, reason: String)
    /// A session-level libssh2 failure (handshake, protocol), with libssh2's code and message.
    case sessionFailure(host: String, operation: String, code: Int32, message: String)
    /// A channel failed to open or to run a request, with libssh2's code and message.
    case channelFailure(host: String, operation: String, code: Int32, message: String)
    /// The session was closed by this program before or during the operation.
    case sessionClosed(host: String)
    /// An SFTP request on `path` failed; `reason` is the server's status.
    case sftpFailure(host: String, operation: String, path: String, reason: SFTPFailureReason, message: String)
    /// A local file could not be read or written during a transfer.
    case localFileFailure(path: String, operation: String, message: String)
    /// A download found a symbolic link in its destination where it was about to write a
    /// directory; links in a destination are never written through.
    case symbolicLinkInDestination(path: String)
    /// p's connection keeper (`SSHKeeper`) ended while it carried a command to `host`: the
    /// connection to the worker may be fine, and a caller may go on over one of its own.
    case keeperLost(host: String)

    /// A sentence a person can act on: what failed, where, and what to check.
    public var description: String {
        switch self {
        case .invalidTarget(let text, let reason):
            return
                "'\(text)' is not a valid connection string: \(reason). Use host, user@host, user@host:port or [v6addr]:port."
        case .configInvalid(let file, let line, let message):
            let place = line > 0 ? "\(file):\(line)" : file
            return "\(place): \(message). Fix or remove that line."
        case .nameResolutionFailed(let host, let reason):
            return
                "Cannot resolve host name '\(host)' (\(reason)). Check the spelling, your DNS, or the HostName in ~/.ssh/config."
        case .hostUnreachable(let host, let port, let reason):
            return
                "Cannot reach \(host) port \(port): \(reason). Check that the machine is up and on a network you can reach."
        case .connectionRefused(let host, let port):
            return
                "Connection to \(host) port \(port) refused: no SSH server listens there. Check the port and that sshd runs."
        case .timedOut(let host, let operation, let seconds):
            return
                "Timed out after \(Self.format(seconds)) s while \(operation) with \(host). The host may be down or a firewall may drop the traffic; try again or raise ConnectTimeout."
        case .hostKeyUnknown(let host, let keyType, let fingerprint, let file):
            return
                "The host key of \(host) is not known (\(keyType) \(fingerprint)). Verify the fingerprint with the machine's owner, then accept it (for example with --accept-new-host-key) or add it to \(file)."
        case .hostKeyChanged(let host, let keyType, let fingerprint, let file):
            return """
                WARNING: THE HOST KEY OF \(host) HAS CHANGED. Someone could be intercepting the connection, or the host was reinstalled. \
                It now presents \(keyType) \(fingerprint), which differs from the key recorded in \(file). \
                The connection was refused. If the change is expected, remove the old entry from \(file) and connect again.
                """
        case .hostKeyRejected(let host, let fingerprint):
            return "The host key of \(host) (\(fingerprint)) was not accepted; nothing was recorded."
        case .authenticationFailed(let host, let user, let tried, let server, let hint):
            let triedText = tried.isEmpty ? "nothing p could offer" : tried.joined(separator: ", ")
            var text =
                "Authentication as \(user) on \(host) failed. Tried: \(triedText). The server accepts: \(server.joined(separator: ", "))."
            if let hint { text += " " + hint }
            return text + " Check the user name, load a key into ssh-agent, or name the right IdentityFile."
        case .identityFileMissing(let host, let path):
            return
                "The identity file \(path) for \(host) does not exist, and no other key was accepted. Create it or fix IdentityFile in ~/.ssh/config."
        case .connectionLost(let host, let reason):
            return "The connection to \(host) was lost: \(reason)."
        case .sessionFailure(let host, let operation, let code, let message):
            return "SSH failure with \(host) while \(operation): \(message) (libssh2 error \(code))."
        case .channelFailure(let host, let operation, let code, let message):
            return "SSH channel failure with \(host) while \(operation): \(message) (libssh2 error \(code))."
        case .sessionClosed(let host):
            return "The SSH session to \(host) is closed."
        case .sftpFailure(let host, let operation, let path, let reason, let message):
            return "SFTP failure on \(host) while \(operation) \(path): \(reason.explanation) (\(message))."
        case .localFileFailure(let path, let operation, let message):
            return "Local file \(path) failed while \(operation): \(message)."
        case .symbolicLinkInDestination(let path):
            return
                "\(path) is a symbolic link where the download would write a directory; nothing is written through a link in a destination. Remove the link, or choose another destination."
        case .keeperLost(let host):
            return
                "p's connection keeper ended while it carried a command to \(host); the command's connection went with it. Run the command again (p connects directly when no keeper answers)."
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

/// Why an SFTP request failed, from the server's status code.
public enum SFTPFailureReason: Sendable, Equatable, Codable {
    /// The path does not exist.
    case noSuchFile
    /// The server user may not do this.
    case permissionDenied
    /// The remote disk or quota is full.
    case noSpace
    /// The file system or file is write-protected.
    case readOnly
    /// Something exists at the path already.
    case alreadyExists
    /// A directory to remove still has entries.
    case directoryNotEmpty
    /// A path component is not a directory.
    case notADirectory
    /// The server does not implement the operation.
    case unsupported
    /// The server's generic failure (OpenSSH uses it for many errors, a full disk among them).
    case failure
    /// Another status or libssh2 error code.
    case other(Int32)

    var explanation: String {
        switch self {
        case .noSuchFile: return "no such file or directory"
        case .permissionDenied: return "permission denied"
        case .noSpace: return "no space left on the remote disk (or quota exceeded)"
        case .readOnly: return "the remote file system is read-only"
        case .alreadyExists: return "it already exists"
        case .directoryNotEmpty: return "the directory is not empty"
        case .notADirectory: return "not a directory"
        case .unsupported: return "the server does not support this operation"
        case .failure: return "the server reported a failure (for example a full disk)"
        case .other(let code): return "error \(code)"
        }
    }
}
