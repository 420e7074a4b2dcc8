import Foundation
import SSHTransport
import Testing

@Suite("Exec against a real sshd")
struct ExecTests {
    @Test func runCollectsOutputAndStatus() async throws {
        let server = try await TestSSHD.shared()
        let session = try await server.connect()
        defer { session.close() }
        let result = try await session.run("printf 'out'; printf 'err' >&2; exit 3")
        #expect(result.stdoutText == "out")
        #expect(result.stderrText == "err")
        #expect(result.status == .exited(3))
    }
}
