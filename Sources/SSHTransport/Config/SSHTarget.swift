import Foundation

/// Where and how to connect: a connection string resolved through `~/.ssh/config`.
///
/// Connection strings are `host`, `user@host`, `user@host:port`, `[v6addr]:port`,
/// `user@[v6addr]:port`, or an alias from the configuration. A user or port in the string
/// wins over the configuration, as on OpenSSH's command line.
public struct SSHTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name as the user typed it (an alias, or the host itself).
    public var alias: String
    /// The host name or address to connect to (`HostName`, else the alias).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The remote login name.
    public var user: String
    /// Identity files to offer, `~` and `%` tokens expanded, in order.
    public var identityFiles: [String]
    /// Whether `identityFiles` came from the configuration or the caller rather than the
    /// defaults (`id_ed25519`, `id_ecdsa`, `id_rsa`); a missing explicit file is reported.
    public var identityFilesAreExplicit: Bool
    /// `IdentitiesOnly`: offer only the identity files, not every key the agent holds.
    public var identitiesOnly: Bool
    /// `ProxyJump`: the jump host's connection string, if any.
    public var proxyJump: String?
    /// The jump hosts to go through, in order, resolved through the same configuration
    /// (a jump host's own `ProxyJump` comes before it).
    public var jumpHosts: [SSHTarget] = []
    /// The known_hosts files to check, the first being where new keys are recorded.
    public var knownHostsFiles: [String]
    /// `StrictHostKeyChecking` from the configuration, if it says anything.
    public var strictHostKeyChecking: StrictHostKeyChecking?
    /// `ConnectTimeout`, if set.
    public var connectTimeout: Duration?
    /// `ServerAliveInterval`, if set (0 turns keepalive off in OpenSSH; p still notices a
    /// dead peer through its own bound).
    public var serverAliveInterval: Int?
    /// `ServerAliveCountMax` (OpenSSH's default is 3).
    public var serverAliveCountMax: Int
    /// `HostKeyAlias`: the name the host key is looked up and recorded under, used as is
    /// (no port added), as OpenSSH does. Useful behind a tunnel or a proxy.
    public var hostKeyAlias: String?

    /// A target with explicit values and OpenSSH's defaults for the rest.
    public init(host: String, port: Int = 22, user: String? = nil, identityFiles: [String] = []) {
        let home = SSHPathExpansion.homeDirectory
        self.alias = host
        self.host = host
        self.port = port
        self.user = user ?? SSHPathExpansion.localUser
        self.identityFiles =
            identityFiles.isEmpty
            ? ["id_ed25519", "id_ecdsa", "id_rsa"].map { home + "/.ssh/" + $0 } : identityFiles
        self.identityFilesAreExplicit = !identityFiles.isEmpty
        self.identitiesOnly = false
        self.proxyJump = nil
        self.knownHostsFiles = [home + "/.ssh/known_hosts"]
        self.strictHostKeyChecking = nil
        self.connectTimeout = nil
        self.serverAliveInterval = nil
        self.serverAliveCountMax = 3
        self.hostKeyAlias = nil
    }

    /// Resolves a connection string through the user's `~/.ssh/config`.
    ///
    /// - Throws: `SSHError.invalidTarget` for a malformed string, `SSHError.configInvalid`
    ///   for a malformed configuration file.
    public static func resolve(_ connection: String) throws(SSHError) -> SSHTarget {
        try resolve(connection, config: SSHConfig.loadUserConfig())
    }

    /// Resolves a connection string through a given configuration.
    ///
    /// - Throws: `SSHError.invalidTarget` for a malformed string.
    public static func resolve(_ connection: String, config: SSHConfig) throws(SSHError) -> SSHTarget {
        try resolve(connection, config: config, depth: 0)
    }

    private static func resolve(_ connection: String, config: SSHConfig, depth: Int) throws(SSHError) -> SSHTarget {
        guard depth < 8 else { throw .invalidTarget(connection, reason: "ProxyJump hosts lead back to each other") }
        let parsed = try SSHConnectionString(connection)
        let settings = config.settings(for: parsed.host)
        let home = SSHPathExpansion.homeDirectory
        var target = SSHTarget(host: parsed.host)
        target.alias = parsed.host
        target.user = parsed.user ?? settings.user ?? SSHPathExpansion.localUser
        target.port = parsed.port ?? settings.port ?? 22
        let nameTokens: [Character: String] = ["h": parsed.host, "n": parsed.host, "%": "%"]
        target.host = settings.hostName.map { SSHPathExpansion.expandTokens($0, tokens: nameTokens) } ?? parsed.host
        let tokens: [Character: String] = [
            "h": target.host, "n": parsed.host, "p": String(target.port), "r": target.user,
            "u": SSHPathExpansion.localUser, "d": home,
        ]
        let expand = { (path: String) in
            SSHPathExpansion.expandTilde(SSHPathExpansion.expandTokens(path, tokens: tokens))
        }
        if !settings.identityFiles.isEmpty {
            target.identityFiles = settings.identityFiles.map(expand)
            target.identityFilesAreExplicit = true
        }
        target.identitiesOnly = settings.identitiesOnly ?? false
        if let jump = settings.proxyJump, jump.lowercased() != "none" {
            let expanded = SSHPathExpansion.expandTokens(jump, tokens: tokens)
            target.proxyJump = expanded
            for hop in expanded.split(separator: ",") {
                var hopTarget = try resolve(
                    String(hop.replacingOccurrences(of: "ssh://", with: "")), config: config, depth: depth + 1)
                let before = hopTarget.jumpHosts
                hopTarget.jumpHosts = []
                target.jumpHosts += before + [hopTarget]
            }
        }
        if let files = settings.userKnownHostsFiles { target.knownHostsFiles = files.map(expand) }
        target.strictHostKeyChecking = settings.strictHostKeyChecking
        target.connectTimeout = settings.connectTimeout.flatMap { $0 > 0 ? .seconds($0) : nil }
        target.serverAliveInterval = settings.serverAliveInterval
        target.serverAliveCountMax = settings.serverAliveCountMax ?? 3
        target.hostKeyAlias = settings.hostKeyAlias
        return target
    }

    /// `user@host:port`, with brackets around IPv6 addresses.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == 22 ? "\(user)@\(shownHost)" : "\(user)@\(shownHost):\(port)"
    }

    /// The name used in known_hosts: the `HostKeyAlias`, else `host`, or `[host]:port` off
    /// port 22.
    var knownHostsName: String { hostKeyAlias ?? (port == 22 ? host : "[\(host)]:\(port)") }

    /// The host and port to look up in known_hosts (an alias is looked up as is).
    var knownHostsLookup: (host: String, port: Int) { hostKeyAlias.map { ($0, 22) } ?? (host, port) }
}

/// The parts of a connection string, before configuration is applied.
struct SSHConnectionString: Equatable {
    var user: String?
    var host: String
    var port: Int?

    init(_ text: String) throws(SSHError) {
        func invalid(_ why: String) -> SSHError { .invalidTarget(text, reason: why) }
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw invalid("it contains whitespace")
        }
        var rest = Substring(text)
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at]
            guard !user.isEmpty else { throw invalid("the user before '@' is empty") }
            self.user = String(user)
            rest = rest[rest.index(after: at)...]
        }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("'[' has no matching ']'") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after ']'") }
                port = try Self.port(after.dropFirst(), in: text)
            }
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            host = String(rest[..<colon])
            port = try Self.port(rest[rest.index(after: colon)...], in: text)
        } else {
            // No colon, or a bare IPv6 address (several colons, no port).
            host = String(rest)
        }
        guard !host.isEmpty else { throw invalid("the host is empty") }
        guard !host.hasPrefix("-") else { throw invalid("a host cannot start with '-'") }
    }

    private static func port(_ text: Substring, in whole: String) throws(SSHError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw .invalidTarget(whole, reason: "the port '\(text)' is not a number from 1 to 65535")
        }
        return port
    }
}
