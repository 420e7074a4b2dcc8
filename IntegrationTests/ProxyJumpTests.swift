import Foundation
import SSHTransport
import Testing

@Suite("ProxyJump through a real jump host", .timeLimit(.minutes(10)), .throttled)
struct ProxyJumpTests {
    @Test func innerHostOnlyReachableThroughTheJumpHost() async throws {
        try Power.networkNamespaces.require(for: "an inner host only a jump host reaches")
        try await withJumpAndInnerHosts { topology, jump, inner in

            // Directly, the inner host cannot be reached from here.
            var direct = inner.target()
            direct.connectTimeout = .seconds(2)
            await #expect(throws: SSHError.self) {
                try await SSHSession.connect(to: direct, options: TestSSHD.options())
            }

            // Through the jump host, with both host keys checked against their own known_hosts.
            var target = inner.target()
            target.jumpHosts = [jump.target()]
            let session = try await SSHSession.connect(to: target, options: TestSSHD.options())
            let result = try await session.run("ip -o -4 addr show | grep -c \(topology.innerAddress); printf ok")
            #expect(result.stdoutText == "1\nok")
            // Bulk data crosses the bridge intact.
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try await session.run("cat", stdin: bytes).stdout == bytes)
            session.close()
        }
    }

    @Test func jumpHostKeysAreCheckedToo() async throws {
        try Power.networkNamespaces.require(for: "an inner host only a jump host reaches")
        try await withJumpAndInnerHosts { topology, jump, inner in
            var jumpTarget = jump.target()
            let empty = try TestSSHD.makeTemporaryDirectory() + "/known_hosts"
            _ = FileManager.default.createFile(atPath: empty, contents: nil)
            jumpTarget.knownHostsFiles = [empty]
            var target = inner.target()
            target.jumpHosts = [jumpTarget]
            await #expect {
                try await SSHSession.connect(to: target, options: TestSSHD.options())
            } throws: { error in
                guard case .hostKeyUnknown(let host, _, _, _) = error as? SSHError else { return false }
                return host == topology.jumpAddress
            }
        }
    }

    @Test func proxyJumpIsResolvedFromTheConfiguration() throws {
        let config = try SSHConfig.parse(
            "Host inner\n  HostName 10.0.0.2\n  ProxyJump bastion\nHost bastion\n  HostName 192.0.2.1\n  User ops\n  Port 2200\n"
        )
        let target = try SSHTarget.resolve("inner", config: config)
        #expect(target.jumpHosts.map(\.host) == ["192.0.2.1"])
        #expect(target.jumpHosts.first?.user == "ops")
        #expect(target.jumpHosts.first?.port == 2200)
        let chained = try SSHTarget.resolve("x", config: SSHConfig.parse("Host x\n  ProxyJump a@one,two:2\n"))
        #expect(chained.jumpHosts.map(\.description) == ["a@one", "\(SSHTarget(host: "two").user)@two:2"])
        #expect(throws: SSHError.self) {
            try SSHTarget.resolve("loop", config: SSHConfig.parse("Host loop\n  ProxyJump loop\n"))
        }
    }

    /// Two sshds in network namespaces: the jump host reachable from here, the inner one only
    /// from the jump host.
    private func withJumpAndInnerHosts(
        _ body: (JumpTopology, TestSSHD, TestSSHD) async throws -> Void
    ) async throws {
        let topology = try JumpTopology()
        defer { topology.remove() }
        let jump = try TestSSHD.start(namespace: topology.jumpNamespace, listen: topology.jumpAddress)
        defer { jump.stop() }
        let inner = try TestSSHD.start(namespace: topology.innerNamespace, listen: topology.innerAddress)
        defer { inner.stop() }
        try await body(topology, jump, inner)
    }
}
