import CLibSSH2

/// An ssh-agent connection through libssh2 (`SSH_AUTH_SOCK`). Confined to the session's I/O
/// thread (hence the `@unchecked Sendable`).
final class AgentHandle: @unchecked Sendable {
    private let raw: OpaquePointer
    private let session: SessionHandle
    private var identities: [UnsafeMutablePointer<libssh2_agent_publickey>] = []

    /// Connects to the agent and lists its keys; nil when there is no usable agent.
    init?(session: SessionHandle, socketPath: String) {
        guard let agent = libssh2_agent_init(session.raw) else { return nil }
        raw = agent
        self.session = session
        libssh2_agent_set_identity_path(agent, socketPath)
        guard libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 else {
            libssh2_agent_free(agent)
            return nil
        }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        while true {
            var next: UnsafeMutablePointer<libssh2_agent_publickey>?
            guard libssh2_agent_get_identity(agent, &next, previous) == 0, let next else { break }
            identities.append(next)
            previous = next
        }
    }

    deinit {
        libssh2_agent_disconnect(raw)
        libssh2_agent_free(raw)
    }

    var identityCount: Int { identities.count }

    /// The agent key's comment, for messages.
    func comment(at index: Int) -> String {
        identities[index].pointee.comment.map { String(cString: $0) } ?? "agent key \(index + 1)"
    }

    func authenticate(user: String, identityAt index: Int) throws(LibSSH2Failure) -> Attempt<Void> {
        try session.check(libssh2_agent_userauth(raw, user, identities[index]))
    }
}
