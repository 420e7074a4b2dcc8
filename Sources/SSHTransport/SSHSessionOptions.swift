import Foundation

/// A prompt from a keyboard-interactive exchange.
public struct SSHPrompt: Sendable, Equatable {
    /// The text the server shows, for example "Password: ".
    public var text: String
    /// Whether the answer may be shown as it is typed.
    public var echo: Bool

    /// Creates a prompt.
    public init(text: String, echo: Bool) {
        self.text = text
        self.echo = echo
    }
}

/// What the host-key check found that needs a decision.
public struct SSHHostKeyQuestion: Sendable, Equatable {
    /// The host as it appears in known_hosts (`host` or `[host]:port`).
    public var host: String
    /// The key's algorithm, for example `ssh-ed25519`.
    public var keyType: String
    /// The SHA-256 fingerprint, as OpenSSH prints it.
    public var fingerprint: String
    /// Where the key will be recorded if accepted.
    public var knownHostsFile: String
}

/// What to do with a host whose key is not in known_hosts. A key that differs from the
/// recorded one is refused under every policy.
public enum SSHHostKeyPolicy: Sendable {
    /// Refuse unknown hosts (OpenSSH's `StrictHostKeyChecking yes`).
    case strict
    /// Record an unknown host's key and continue (`accept-new`).
    case acceptNew
    /// Ask: the callback returns true to record the key and continue. It runs on the
    /// session's I/O thread and may block (for a terminal prompt).
    case ask(@Sendable (SSHHostKeyQuestion) -> Bool)
}

/// Answers to the questions authentication may ask. Each callback runs on the session's
/// I/O thread and may block while a person types; returning nil skips that method.
public struct SSHCredentials: Sendable {
    /// The passphrase of an encrypted identity file (its path is given).
    public var passphrase: (@Sendable (_ identityFile: String) -> String?)?
    /// A password for `user@host`.
    public var password: (@Sendable (_ user: String, _ host: String) -> String?)?
    /// Answers to keyboard-interactive prompts, one per prompt.
    public var keyboardInteractive:
        (@Sendable (_ name: String, _ instruction: String, _ prompts: [SSHPrompt]) -> [String]?)?

    /// Credentials with the given callbacks; with none, only the agent and unencrypted
    /// identity files are tried.
    public init(
        passphrase: (@Sendable (String) -> String?)? = nil,
        password: (@Sendable (String, String) -> String?)? = nil,
        keyboardInteractive: (@Sendable (String, String, [SSHPrompt]) -> [String]?)? = nil
    ) {
        self.passphrase = passphrase
        self.password = password
        self.keyboardInteractive = keyboardInteractive
    }
}

/// How a session connects and watches its connection.
public struct SSHSessionOptions: Sendable {
    /// The host-key policy; nil takes it from `StrictHostKeyChecking` in the target's
    /// configuration (`yes` → strict, `accept-new`/`no` → acceptNew), else strict.
    public var hostKeyPolicy: SSHHostKeyPolicy?
    /// Callbacks for passphrases, passwords and keyboard-interactive prompts.
    public var credentials: SSHCredentials
    /// Use ssh-agent when its socket is known.
    public var useAgent: Bool
    /// The agent's socket; nil means `SSH_AUTH_SOCK`.
    public var agentSocketPath: String?
    /// TCP connect timeout per address; the target's `ConnectTimeout` wins when set.
    public var connectTimeout: Duration
    /// Bound for the handshake, authentication and opening channels.
    public var setupTimeout: Duration
    /// How often to send keepalives; the target's `ServerAliveInterval` wins when set.
    public var keepaliveInterval: Duration?
    /// How long the peer may stay silent, keepalives unanswered, before pending operations
    /// fail with `connectionLost`. Defaults to `ServerAliveInterval × ServerAliveCountMax`
    /// when the configuration sets them, else 30 s.
    public var deadPeerTimeout: Duration?

    /// Options with safe defaults: strict host keys unless configured otherwise, the agent,
    /// a 10 s connect timeout, a 30 s dead-peer bound.
    public init(
        hostKeyPolicy: SSHHostKeyPolicy? = nil, credentials: SSHCredentials = SSHCredentials(),
        useAgent: Bool = true, agentSocketPath: String? = nil, connectTimeout: Duration = .seconds(10),
        setupTimeout: Duration = .seconds(30),
        keepaliveInterval: Duration? = nil, deadPeerTimeout: Duration? = nil
    ) {
        self.hostKeyPolicy = hostKeyPolicy
        self.credentials = credentials
        self.useAgent = useAgent
        self.agentSocketPath = agentSocketPath
        self.connectTimeout = connectTimeout
        self.setupTimeout = setupTimeout
        self.keepaliveInterval = keepaliveInterval
        self.deadPeerTimeout = deadPeerTimeout
    }

    func resolvedPolicy(for target: SSHTarget) -> SSHHostKeyPolicy {
        if let hostKeyPolicy { return hostKeyPolicy }
        switch target.strictHostKeyChecking {
        case .acceptNew, .no: return .acceptNew
        default: return .strict
        }
    }

    func resolvedLiveness(for target: SSHTarget) -> IOLoop.Liveness {
        let configured = target.serverAliveInterval.flatMap { $0 > 0 ? Duration.seconds($0) : nil }
        let interval = keepaliveInterval ?? configured ?? .seconds(10)
        let bound =
            deadPeerTimeout ?? configured.map { $0 * max(1, target.serverAliveCountMax) } ?? .seconds(30)
        return IOLoop.Liveness(keepaliveInterval: min(interval, bound / 2), deadPeerTimeout: bound)
    }
}
