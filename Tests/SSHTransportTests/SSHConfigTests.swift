import Foundation
import Testing

@testable import SSHTransport

@Suite("ssh_config parsing and resolution")
struct SSHConfigTests {
    let home = SSHPathExpansion.homeDirectory

    func fixture() throws -> SSHConfig {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try SSHConfig.load(path: url.path + "/realistic_config", includeBase: url.path)
    }

    @Test func aliasWithEverything() throws {
        let target = try SSHTarget.resolve("beefy", config: fixture())
        #expect(target.host == "192.168.1.50")
        #expect(target.user == "builder")
        #expect(target.port == 2200)
        // First value wins, but IdentityFile accumulates in order.
        #expect(target.identityFiles == [home + "/.ssh/beefy_ed25519", home + "/.ssh/id_default"])
        #expect(target.identitiesOnly)
        #expect(target.connectTimeout == .seconds(7))
        #expect(target.serverAliveInterval == 15)
        #expect(target.serverAliveCountMax == 4)
        #expect(target.strictHostKeyChecking == .acceptNew)
    }

    @Test func commandLineUserAndPortWin() throws {
        let target = try SSHTarget.resolve("me@beefy:2", config: fixture())
        #expect(target.user == "me")
        #expect(target.port == 2)
        #expect(target.host == "192.168.1.50")
    }

    @Test func negatedPatternExcludes() throws {
        let config = try fixture()
        let inside = try SSHTarget.resolve("db.corp.example", config: config)
        #expect(inside.proxyJump == "jump.corp.example")
        #expect(inside.user == "corp")
        let jump = try SSHTarget.resolve("jump.corp.example", config: config)
        #expect(jump.proxyJump == nil)
        #expect(jump.user == "fallback")
    }

    @Test func questionMarkAndTokens() throws {
        let target = try SSHTarget.resolve("ops@gpu-7", config: fixture())
        #expect(target.host == "gpu-7.cluster.example")
        #expect(target.identityFiles.first == home + "/.ssh/ops@gpu-7.cluster.example:22")
        let notMatched = try SSHTarget.resolve("gpu-17", config: fixture())
        #expect(notMatched.host == "gpu-17")
    }

    @Test func quotedValuesAndSeveralKnownHostsFiles() throws {
        let target = try SSHTarget.resolve("quoted", config: fixture())
        #expect(target.host == "with space.example")
        #expect(target.knownHostsFiles == [home + "/.ssh/kh_a", home + "/.ssh/kh_b"])
    }

    @Test func includeIsExpanded() throws {
        let target = try SSHTarget.resolve("included-alias", config: fixture())
        #expect(target.host == "included.example")
        #expect(target.port == 2022)
        #expect(target.user == "fallback")
    }

    @Test func includeInsideHostBlockIsConditional() throws {
        let directory = NSTemporaryDirectory() + "p-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "User from-include\n".write(toFile: directory + "/inc", atomically: true, encoding: .utf8)
        let config = try SSHConfig.parse("Host a\n  Include inc\nHost *\n  Port 99\n", includeBase: directory)
        #expect(config.settings(for: "a").user == "from-include")
        #expect(config.settings(for: "b").user == nil)
        #expect(config.settings(for: "b").port == 99)
    }

    @Test func defaultsWithoutConfig() throws {
        let target = try SSHTarget.resolve("example.org", config: .empty)
        #expect(target.host == "example.org")
        #expect(target.port == 22)
        #expect(target.user == SSHPathExpansion.localUser)
        #expect(target.identityFiles == ["id_ed25519", "id_ecdsa", "id_rsa"].map { home + "/.ssh/" + $0 })
        #expect(!target.identityFilesAreExplicit)
        #expect(target.knownHostsFiles == [home + "/.ssh/known_hosts"])
    }

    @Test(arguments: [
        ("Port abc", 1, "Port 'abc'"),
        ("Host a\n  Port 70000", 2, "Port '70000'"),
        ("Host a\n\n  HostName", 3, "exactly one argument"),
        ("IdentitiesOnly maybe", 1, "IdentitiesOnly"),
        ("StrictHostKeyChecking sometimes", 1, "StrictHostKeyChecking"),
        ("HostName \"unterminated", 1, "unbalanced"),
        ("Host", 1, "needs an argument"),
        ("ConnectTimeout -3", 1, "whole number"),
    ])
    func malformedLinesNameFileAndLine(text: String, line: Int, fragment: String) throws {
        #expect {
            try SSHConfig.parse(text, name: "/home/u/.ssh/config")
        } throws: { error in
            guard let error = error as? SSHError, case .configInvalid(let file, let number, let message) = error else {
                return false
            }
            return file == "/home/u/.ssh/config" && number == line && message.contains(fragment)
                && error.description.hasPrefix("/home/u/.ssh/config:\(line):")
        }
    }

    @Test func unknownKeywordsAreIgnored() throws {
        let config = try SSHConfig.parse("Host x\n  ControlMaster auto\n  AddKeysToAgent yes\n  Port 5\n")
        #expect(config.settings(for: "x").port == 5)
    }

    @Test func equalsSignsAndComments() throws {
        let config = try SSHConfig.parse("# comment\nHost = x # trailing\n  User=alice\n  Port = 23\n")
        let settings = config.settings(for: "x")
        #expect(settings.user == "alice")
        #expect(settings.port == 23)
    }

    @Test func matchAllAppliesOtherMatchSkipped() throws {
        let config = try SSHConfig.parse("Match exec \"true\"\n  User skipped\nMatch all\n  Port 7\n")
        #expect(config.settings(for: "h").user == nil)
        #expect(config.settings(for: "h").port == 7)
    }
}

@Suite("Connection strings")
struct ConnectionStringTests {
    @Test(
        arguments: [
            ("host", nil, "host", nil),
            ("user@host", "user", "host", nil),
            ("user@host:2222", "user", "host", 2222),
            ("[::1]:2200", nil, "::1", 2200),
            ("me@[fe80::1]:22", "me", "fe80::1", 22),
            ("::1", nil, "::1", nil),
            ("a@b@host", "a@b", "host", nil),
        ] as [(String, String?, String, Int?)])
    func parses(text: String, user: String?, host: String, port: Int?) throws {
        let parsed = try SSHConnectionString(text)
        #expect(parsed.user == user)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["", "@host", "host:0", "host:99999", "host:x", "[::1", "[::1]x", "-oProxyCommand=x", "a b"])
    func rejects(text: String) {
        #expect(throws: SSHError.self) { try SSHConnectionString(text) }
    }

    @Test func patternMatching() {
        #expect(SSHConfigPattern.wildcardMatches("*.example", "a.b.example"))
        #expect(SSHConfigPattern.wildcardMatches("h?st", "HOST"))
        #expect(!SSHConfigPattern.wildcardMatches("h?st", "hst"))
        #expect(SSHConfigPattern.listMatches(["*", "!bad"], host: "good"))
        #expect(!SSHConfigPattern.listMatches(["*", "!bad"], host: "bad"))
        #expect(!SSHConfigPattern.listMatches(["!bad"], host: "good"))
    }
}

@Suite("HostKeyAlias")
struct HostKeyAliasTests {
    @Test func aliasReplacesTheKnownHostsName() throws {
        let config = try SSHConfig.parse("Host tunnel\n  HostName 127.0.0.1\n  Port 4022\n  HostKeyAlias [box]:2222\n")
        let target = try SSHTarget.resolve("tunnel", config: config)
        #expect(target.hostKeyAlias == "[box]:2222")
        #expect(target.knownHostsName == "[box]:2222")
        #expect(target.knownHostsLookup.host == "[box]:2222")
        #expect(target.knownHostsLookup.port == 22)
        let plain = try SSHTarget.resolve("other", config: config)
        #expect(plain.knownHostsName == "other")
    }
}
