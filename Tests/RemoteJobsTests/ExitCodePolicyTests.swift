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

/// Signals as `p stop --signal` and MCP `cancel` take them: names with or without `SIG`, in
/// any case, or numbers, as `kill -s` and `kill -n` do.
@Suite("Signals by name or number")
struct JobSignalTests {
    @Test func namesAndNumbersMeanTheSameSignal() {
        #expect(JobSignal(rawValue: "term") == .term)
        #expect(JobSignal(rawValue: "SIGUSR1")?.rawValue == "USR1")
        #expect(JobSignal(rawValue: "10")?.rawValue == "USR1")
        #expect(JobSignal(rawValue: "9") == .kill)
        #expect(JobSignal(rawValue: "iot")?.rawValue == "ABRT")
        #expect(JobSignal(rawValue: "40")?.rawValue == "40")
        #expect(JobSignal(rawValue: "40")?.number == 40)
        for bad in ["", "0", "65", "-1", "NOPE", "SIG", "TERM "] { #expect(JobSignal(rawValue: bad) == nil, "\(bad)") }
    }

    @Test func aJobStoppedByAnySignalReportsItsNumber() {
        #expect(JobStatus.stopped(signal: "USR1", exitCode: nil, endedAt: nil).reportedExitCode == 138)
        #expect(JobStatus.stopped(signal: "40", exitCode: nil, endedAt: nil).reportedExitCode == 168)
        #expect(JobStatus.stopped(signal: "USR1", exitCode: 3, endedAt: nil).reportedExitCode == 3)
        #expect(JobStatus.paused.reportedExitCode == nil)
    }
}
