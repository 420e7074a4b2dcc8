import Foundation
import RemoteJobs
import Testing

/// Every p command closes its SSH sessions before it exits (an SSH disconnect, not a socket
/// the kernel closes behind it), so nothing it opened is left for the worker to notice later.
@Suite("Commands close their sessions before exiting", .timeLimit(.minutes(10)), .throttled)
struct CleanExitTests {
    @Test func eachCommandDisconnectsCleanly() async throws {
        let sshd = try TestSSHD.start()
        defer { sshd.stop() }
        // Each command's own connections: without the keeper (whose sessions' clean end the
        // keeper tests check).
        var world = try await JobWorld.make(sshd: sshd)
        world.extraEnvironment["P_KEEPER_IDLE"] = "0"
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        try await world.waitForOutput(id, "started")
        for arguments in [
            ["ls"], ["logs", id], ["logs", "--tail", "1", id], ["stop", id], ["wait", id], ["rm", id],
        ] {
            let result = try await world.p(arguments: arguments)
            #expect(result.status == (arguments[0] == "wait" ? 143 : 0), "\(arguments): \(result.stderr)")
        }
        let done = try await world.p("-n", "--", "true")
        #expect(done.status == 0)
        // Each connection p made ends with its own disconnect message; the tests' own
        // connections (waitForOutput) close the same way. sshd logs the last one after p has
        // exited, a moment later under load: the log is read until it has caught up (a
        // connection dropped without a disconnect never logs one, and fails below).
        func counts() throws -> (log: String, accepted: Int, disconnected: Int) {
            let log = try String(contentsOfFile: sshd.logFile, encoding: .utf8)
            return (
                log, log.components(separatedBy: "Accepted publickey").count - 1,
                log.components(separatedBy: "Received disconnect").count - 1
            )
        }
        try? await JobWorld.eventually("sshd logged every disconnect", timeout: .seconds(10)) {
            let now = try counts()
            return now.disconnected >= now.accepted
        }
        let (log, accepted, disconnected) = try counts()
        #expect(accepted >= 8)
        #expect(disconnected == accepted, "\(accepted) logins, \(disconnected) clean disconnects:\n\(log)")
    }
}
