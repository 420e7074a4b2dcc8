import Foundation
import SSHTransport
import Testing

@Suite("Session pool against a real sshd", .timeLimit(.minutes(10)), .throttled)
struct SessionPoolTests {
    func connections(_ server: TestSSHD) throws -> Int {
        let log = try String(contentsOfFile: server.logFile, encoding: .utf8)
        return log.split(separator: "\n").filter { $0.contains("Connection from") }.count
    }

    /// 100 commands at once, 10 channels per session at most, 4 sessions at most: all
    /// succeed, and sshd saw no more than 4 TCP connections.
    @Test func hundredConcurrentExecsUseAtMostFourConnections() async throws {
        let server = try TestSSHD.start()
        defer { server.stop() }
        let pool = SSHSessionPool(options: TestSSHD.options())
        let target = server.target()
        let results = try await withThrowingTaskGroup(of: (Int, SSHExecResult).self) { group in
            for index in 0..<100 {
                group.addTask { (index, try await pool.run("echo \(index)", on: target)) }
            }
            var results: [Int: SSHExecResult] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        for index in 0..<100 {
            #expect(results[index]?.stdoutText == "\(index)\n")
            #expect(results[index]?.status == .exited(0))
        }
        #expect(await pool.sessionsOpened <= 4)
        #expect(try connections(server) <= 4)
        await pool.close()
    }

    @Test func sessionsAreReusedAcrossCalls() async throws {
        let server = try TestSSHD.start()
        defer { server.stop() }
        let pool = SSHSessionPool(options: TestSSHD.options())
        for _ in 0..<5 {
            #expect(try await pool.run("true", on: server.target()).status == .exited(0))
        }
        #expect(await pool.sessionsOpened == 1)
        #expect(try connections(server) == 1)
        await pool.close()
    }

    /// The server drops the pooled connection while it is idle; the next call notices and
    /// goes through a new session transparently.
    @Test func deadSessionIsReplaced() async throws {
        let server = try TestSSHD.start()
        defer { server.stop() }
        let pool = SSHSessionPool(options: TestSSHD.options())
        #expect(try await pool.run("true", on: server.target()).status == .exited(0))
        // Kill the per-connection sshd processes (by pid), keeping the listener, and wait
        // until they are gone.
        let sessions = TestSSHD.descendants(of: try #require(server.pid))
        #expect(!sessions.isEmpty)
        for process in sessions { kill(process, SIGKILL) }
        try await JobWorld.eventually("the connection's sshd processes are gone") {
            sessions.allSatisfy { kill($0, 0) != 0 && errno == ESRCH }
        }
        let result = try await pool.run("echo again", on: server.target())
        #expect(result.stdoutText == "again\n")
        #expect(await pool.sessionsOpened == 2)
        await pool.close()
    }

    @Test func idleSessionsAreClosed() async throws {
        let server = try TestSSHD.start()
        defer { server.stop() }
        let pool = SSHSessionPool(
            options: TestSSHD.options(), configuration: .init(idleTimeout: .milliseconds(300)))
        let session = try await pool.withSession(server.target()) { $0 }
        #expect(session.isAlive)
        let deadline = ContinuousClock.now + .seconds(30)
        while session.isAlive && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!session.isAlive)
        await pool.close()
    }

    @Test func closedPoolRefusesWork() async throws {
        let server = try await TestSSHD.shared()
        let pool = SSHSessionPool(options: TestSSHD.options())
        await pool.close()
        await #expect(throws: SSHError.self) { try await pool.run("true", on: server.target()) }
    }
}
