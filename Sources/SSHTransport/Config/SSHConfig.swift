import Foundation

/// A parsed OpenSSH client configuration file (`~/.ssh/config`), resolved per host the way
/// OpenSSH resolves it: blocks are applied in order, the first value obtained for a keyword
/// wins, `IdentityFile` and `UserKnownHostsFile` accumulate, `Include` is expanded in place.
///
/// Only the keywords `p` uses are interpreted; other keywords are accepted and ignored, so a
/// configuration written for a newer OpenSSH still loads. Syntax errors in the keywords `p`
/// reads are reported with the file and line.
public struct SSHConfig: Sendable {
    /// One meaningful line of a configuration file.
    struct Line: Sendable {
        var file: String
        var number: Int
        var keyword: String
        var arguments: [String]
    }

    let lines: [Line]
    let baseDirectory: String

    /// A configuration with no entries: every host resolves to OpenSSH's defaults.
    public static let empty = SSHConfig(lines: [], baseDirectory: "/")

    init(lines: [Line], baseDirectory: String) {
        self.lines = lines
        self.baseDirectory = baseDirectory
    }

    /// Reads and parses a configuration file, expanding `Include` directives.
    ///
    /// - Parameters:
    ///   - path: the file to read. A missing file gives an empty configuration.
    ///   - includeBase: where relative `Include` paths are looked up; OpenSSH uses `~/.ssh`
    ///     for the user's configuration, which is the default (the file's own directory).
    /// - Throws: `SSHError.configInvalid` naming the file and line of a malformed entry.
    public static func load(path: String, includeBase: String? = nil) throws(SSHError) -> SSHConfig {
        let base = includeBase ?? (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: path) else {
            return SSHConfig(lines: [], baseDirectory: base)
        }
        var visited: Set<String> = []
        let lines = try readFile(path, includeBase: base, depth: 0, visited: &visited)
        return SSHConfig(lines: lines, baseDirectory: base)
    }

    /// Loads the user's `~/.ssh/config` (empty when there is none), as `SSHTarget.resolve(_:)`
    /// does: a caller resolving many connections reads it once and resolves each through it.
    ///
    /// - Throws: `SSHError.configInvalid` naming the file and line of a malformed entry.
    public static func loadUserConfig() throws(SSHError) -> SSHConfig {
        try load(path: SSHPathExpansion.homeDirectory + "/.ssh/config")
    }

    /// Parses configuration text (for tests and callers with their own storage).
    ///
    /// - Throws: `SSHError.configInvalid` naming `name` and the line of a malformed entry.
    public static func parse(
        _ text: String, name: String = "<config>", includeBase: String = "/"
    ) throws(SSHError) -> SSHConfig {
        var visited: Set<String> = []
        let lines = try parseText(
            text, file: name, includeBase: includeBase, depth: 0, visited: &visited)
        return SSHConfig(lines: lines, baseDirectory: includeBase)
    }

    private static func readFile(
        _ path: String, includeBase: String, depth: Int, visited: inout Set<String>
    ) throws(SSHError) -> [Line] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .configInvalid(file: path, line: 0, message: "cannot be read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .configInvalid(file: path, line: 0, message: "is not valid UTF-8")
        }
        return try parseText(text, file: path, includeBase: includeBase, depth: depth, visited: &visited)
    }

    private static func parseText(
        _ text: String, file: String, includeBase: String, depth: Int, visited: inout Set<String>
    ) throws(SSHError) -> [Line] {
        var result: [Line] = []
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let tokens: [String]
            do {
                tokens = try SSHConfigTokenizer.tokenize(String(rawLine))
            } catch {
                throw .configInvalid(file: file, line: number, message: error.message)
            }
            guard let first = tokens.first else { continue }
            let keyword = first.lowercased()
            let arguments = Array(tokens.dropFirst())
            let line = Line(file: file, number: number, keyword: keyword, arguments: arguments)
            try validate(line)
            if keyword == "include" {
                // Included lines keep their place so that the Host/Match state they start
                // in is the including block's, as in OpenSSH.
                result.append(line)
                result.append(
                    contentsOf: try expandInclude(
                        line, includeBase: includeBase, depth: depth, visited: &visited))
                result.append(Line(file: file, number: number, keyword: "#endinclude", arguments: []))
            } else {
                result.append(line)
            }
        }
        return result
    }

    private static func expandInclude(
        _ line: Line, includeBase: String, depth: Int, visited: inout Set<String>
    ) throws(SSHError) -> [Line] {
        guard depth < 16 else {
            throw .configInvalid(file: line.file, line: line.number, message: "Include nested too deeply")
        }
        var lines: [Line] = []
        for argument in line.arguments {
            var pattern = SSHPathExpansion.expandTilde(argument)
            if !pattern.hasPrefix("/") { pattern = includeBase + "/" + pattern }
            for path in SSHPathExpansion.glob(pattern) where !visited.contains(path) {
                visited.insert(path)
                lines += try readFile(path, includeBase: includeBase, depth: depth + 1, visited: &visited)
                visited.remove(path)
            }
        }
        return lines
    }

    /// Checks the arguments of the keywords p interprets, so that a mistake is reported
    /// where it is rather than as a strange connection failure later.
    private static func validate(_ line: Line) throws(SSHError) {
        func fail(_ message: String) -> SSHError {
            .configInvalid(file: line.file, line: line.number, message: message)
        }
        let single: Set = [
            "hostname", "user", "port", "proxyjump", "stricthostkeychecking", "connecttimeout",
            "serveraliveinterval", "serveralivecountmax", "identitiesonly",
        ]
        switch line.keyword {
        case "host", "identityfile", "userknownhostsfile", "include", "match":
            if line.arguments.isEmpty { throw fail("\(line.keyword.capitalized) needs an argument") }
        case _ where single.contains(line.keyword):
            guard line.arguments.count == 1 else {
                throw fail("'\(line.keyword)' takes exactly one argument, found \(line.arguments.count)")
            }
        default:
            return
        }
        let value = line.arguments.first ?? ""
        switch line.keyword {
        case "port":
            guard let port = Int(value), (1...65535).contains(port) else {
                throw fail("Port '\(value)' is not a number from 1 to 65535")
            }
        case "connecttimeout", "serveraliveinterval", "serveralivecountmax":
            guard let number = Int(value), number >= 0 else {
                throw fail("'\(line.keyword)' needs a whole number of seconds or a count, not '\(value)'")
            }
        case "identitiesonly":
            guard ["yes", "no"].contains(value.lowercased()) else {
                throw fail("IdentitiesOnly must be yes or no, not '\(value)'")
            }
        case "stricthostkeychecking":
            guard StrictHostKeyChecking(configValue: value) != nil else {
                throw fail("StrictHostKeyChecking must be yes, no, accept-new, ask or off, not '\(value)'")
            }
        default:
            break
        }
    }

    /// The settings that apply to `host` (the name as typed: an alias or a host name).
    ///
    /// - Parameter host: the alias or host name to look up.
    public func settings(for host: String) -> SSHHostSettings {
        var settings = SSHHostSettings()
        var active = true
        var stack: [Bool] = []
        for line in lines {
            switch line.keyword {
            case "host":
                active = SSHConfigPattern.listMatches(line.arguments, host: host)
            case "match":
                // Only `Match all` is interpreted; other criteria need information (exec,
                // canonical names) p does not evaluate, so such blocks are skipped.
                active = line.arguments.map { $0.lowercased() } == ["all"]
            case "include":
                stack.append(active)
            case "#endinclude":
                active = stack.popLast() ?? true
            default:
                if active { settings.apply(line) }
            }
        }
        return settings
    }
}

/// What `~/.ssh/config` says about one host, before defaults and `%` expansion.
public struct SSHHostSettings: Sendable, Equatable {
    /// `HostName`: the real host to connect to.
    public var hostName: String?
    /// `User`: the login name.
    public var user: String?
    /// `Port`.
    public var port: Int?
    /// `IdentityFile`s, in the order given (all of them, as OpenSSH collects them).
    public var identityFiles: [String] = []
    /// `IdentitiesOnly`: offer only the configured identities, not the agent's others.
    public var identitiesOnly: Bool?
    /// `ProxyJump`: the hosts to tunnel through, comma-separated, or `none`.
    public var proxyJump: String?
    /// `UserKnownHostsFile`s.
    public var userKnownHostsFiles: [String]?
    /// `StrictHostKeyChecking`.
    public var strictHostKeyChecking: StrictHostKeyChecking?
    /// `ConnectTimeout`, in seconds.
    public var connectTimeout: Int?
    /// `ServerAliveInterval`, in seconds (0 turns keepalives off).
    public var serverAliveInterval: Int?
    /// `ServerAliveCountMax`: unanswered keepalives before the connection counts as lost.
    public var serverAliveCountMax: Int?
    /// `HostKeyAlias`: the name to look the host key up under instead of the host's.
    public var hostKeyAlias: String?

    /// An empty set of settings.
    public init() {}

    mutating func apply(_ line: SSHConfig.Line) {
        let value = line.arguments.first ?? ""
        switch line.keyword {
        case "hostname": if hostName == nil { hostName = value }
        case "user": if user == nil { user = value }
        case "port": if port == nil { port = Int(value) }
        case "identityfile": identityFiles += line.arguments
        case "identitiesonly": if identitiesOnly == nil { identitiesOnly = value.lowercased() == "yes" }
        case "proxyjump": if proxyJump == nil { proxyJump = value }
        case "userknownhostsfile": if userKnownHostsFiles == nil { userKnownHostsFiles = line.arguments }
        case "stricthostkeychecking":
            if strictHostKeyChecking == nil { strictHostKeyChecking = StrictHostKeyChecking(configValue: value) }
        case "connecttimeout": if connectTimeout == nil { connectTimeout = Int(value) }
        case "serveraliveinterval": if serverAliveInterval == nil { serverAliveInterval = Int(value) }
        case "serveralivecountmax": if serverAliveCountMax == nil { serverAliveCountMax = Int(value) }
        case "hostkeyalias": if hostKeyAlias == nil { hostKeyAlias = value }
        default: break
        }
    }
}

/// OpenSSH's `StrictHostKeyChecking` values.
public enum StrictHostKeyChecking: String, Sendable, Hashable, Codable {
    /// Refuse unknown hosts.
    case yes
    /// Record unknown hosts; refuse changed keys.
    case acceptNew = "accept-new"
    /// Record unknown hosts (changed keys are still refused by p).
    case no
    /// Ask about unknown hosts (on a terminal).
    case ask

    init?(configValue: String) {
        switch configValue.lowercased() {
        case "yes": self = .yes
        case "accept-new": self = .acceptNew
        case "no", "off": self = .no
        case "ask": self = .ask
        default: return nil
        }
    }
}
