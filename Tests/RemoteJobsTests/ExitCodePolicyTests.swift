import Foundation
import Testing

@testable import RemoteJobs

/// One exit code for every way a job ends (`JobStatus.reportedExitCode`).
@Suite("The exit-code policy")
struct ExitCodePolicyTests {
    @Test(arguments: [
        (JobStatus.done(endedAt: nil), Int32?(0)),
        (.failed(exitCode: 2, endedAt: nil), 2),
        (.failed(exitCode: nil, endedAt: nil, reason: "disk full"), 1),
        (.failed(exitCode: 0, endedAt: nil, reason: "disk full"), 1),
        (.stopped(signal: "timeout", exitCode: 143, endedAt: nil), 124),
        (.stopped(signal: "timeout", exitCode: nil, endedAt: nil), 124),
        (.stopped(signal: "INT", exitCode: nil, endedAt: nil), 130),
        (.stopped(signal: "HUP", exitCode: nil, endedAt: nil), 129),
        (.stopped(signal: "TERM", exitCode: nil, endedAt: nil), 143),
        (.stopped(signal: "KILL", exitCode: nil, endedAt: nil), 137),
        (.stopped(signal: "INT", exitCode: 3, endedAt: nil), 3),
        (.unknown(reason: "gone"), 1),
        (.running, nil),
        (.syncing(by: ClientProcess(pid: 1, host: "h", started: nil)), nil),
    ])
    func eachEndHasOneCode(status: JobStatus, code: Int32?) {
        #expect(status.reportedExitCode == code, "\(status)")
    }
}
