import Foundation

/// What a client asks of the keeper, as the first frame of a connection.
struct KeeperRequest: Codable {
    enum Operation: String, Codable {
        /// Run `command` on an exec channel to `target`.
        case exec
        /// Start the subsystem `command` (`sftp`) on a channel to `target`.
        case subsystem
        /// Say what the keeper holds (`SSHKeeperStatus`).
        case status
        /// Close every session and leave.
        case stop
    }

    /// The protocol's version: a keeper answers only its own (an older keeper left running
    /// by an earlier p is told apart and stopped).
    static let currentVersion = 1

    var version = KeeperRequest.currentVersion
    var operation: Operation
    var command: String?
    var target: SSHTarget?
    var connection: SSHKeeperConnection?
}

/// How the keeper connects to a target on a client's behalf: everything besides the target
/// that decides which session may be shared. Two requests share sessions only when target
/// and connection are equal, so a changed known_hosts or identity file (their stamps), a
/// changed ssh_config (a differently resolved target) or another agent gets a new session.
struct SSHKeeperConnection: Codable, Hashable, Sendable {
    /// The host-key policy: nil follows `StrictHostKeyChecking` as a direct connection does;
    /// a client that would ask on its terminal sends `strict` (the keeper has no terminal)
    /// and connects directly when the host turns out to be unknown.
    var acceptNewHostKeys: Bool?
    var useAgent: Bool
    /// The agent's socket as the client sees it (the keeper's own environment is the first
    /// client's, not this one's).
    var agentSocket: String?
    var connectTimeout: Duration
    var setupTimeout: Duration
    var keepaliveInterval: Duration?
    var deadPeerTimeout: Duration?
    /// Device, inode, size and modification time of each known_hosts and identity file the
    /// target (and its jump hosts) name.
    var fileStamps: [String]

    /// The connection a client with `options` asks for to reach `target`.
    init(options: SSHSessionOptions, target: SSHTarget, environment: [String: String]) {
        switch options.hostKeyPolicy {
        case nil: acceptNewHostKeys = nil
        case .strict?, .ask?: acceptNewHostKeys = false
        case .acceptNew?: acceptNewHostKeys = true
        }
        useAgent = options.useAgent
        agentSocket = options.useAgent ? options.agentSocketPath ?? environment["SSH_AUTH_SOCK"] : nil
        connectTimeout = options.connectTimeout
        setupTimeout = options.setupTimeout
        keepaliveInterval = options.keepaliveInterval
        deadPeerTimeout = options.deadPeerTimeout
        fileStamps = Self.files(of: target).map(Self.stamp)
    }

    /// Equal when the sessions may be shared: the timeouts of connecting are left out (a
    /// session that is up needs no connecting; `p ls` asks for a shorter one than `p logs`,
    /// and both should use one login).
    static func == (left: Self, right: Self) -> Bool {
        left.sharingKey == right.sharingKey
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(sharingKey)
    }

    private var sharingKey: [String] {
        [
            acceptNewHostKeys.map { "\($0)" } ?? "configured", "\(useAgent)", agentSocket ?? "",
            keepaliveInterval.map { "\($0)" } ?? "", deadPeerTimeout.map { "\($0)" } ?? "",
        ] + fileStamps
    }

    /// The options the keeper connects with: no prompts (it has no terminal).
    var sessionOptions: SSHSessionOptions {
        let policy: SSHHostKeyPolicy? = acceptNewHostKeys.map { $0 ? .acceptNew : .strict }
        return SSHSessionOptions(
            hostKeyPolicy: policy, credentials: SSHCredentials(), useAgent: useAgent,
            agentSocketPath: agentSocket ?? (useAgent ? "" : nil), connectTimeout: connectTimeout,
            setupTimeout: setupTimeout, keepaliveInterval: keepaliveInterval, deadPeerTimeout: deadPeerTimeout)
    }

    private static func files(of target: SSHTarget) -> [String] {
        target.jumpHosts.flatMap(files) + target.knownHostsFiles + target.identityFiles
    }

    private static func stamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path + " -" }
        let modified = Int64(info.modified.tv_sec) * 1_000_000_000 + Int64(info.modified.tv_nsec)
        return "\(path) \(info.st_dev) \(info.st_ino) \(info.st_size) \(modified)"
    }
}

/// Why the keeper could not start a channel, or why one failed.
struct KeeperFailure: Codable {
    var error: SSHError
    /// Whether the request to start the command can have reached the server.
    var requestSent: Bool
}

/// What a keeper holds, as `p keeper status` shows it.
public struct SSHKeeperStatus: Codable, Sendable, Equatable {
    /// Sessions and channels open to one target.
    public struct Held: Codable, Sendable, Equatable {
        /// `user@host:port`.
        public var target: String
        /// Open SSH sessions.
        public var sessions: Int
        /// Channels running on them now.
        public var channels: Int
    }

    /// The keeper's process id.
    public var pid: Int32
    /// Seconds since the keeper started.
    public var uptimeSeconds: Double
    /// Seconds since the last channel ended (0 while one runs).
    public var idleSeconds: Double
    /// The keeper leaves after this many idle seconds.
    public var idleLimitSeconds: Double
    /// Sessions per target.
    public var held: [Held]
    /// Logins the keeper has made in its life.
    public var sessionsOpened: Int
    /// Channels it has carried in its life.
    public var channelsCarried: Int
}
