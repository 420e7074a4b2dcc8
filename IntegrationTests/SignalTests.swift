import Foundation
import Testing

@testable import RemoteJobs

/// A job starts with every signal at its default disposition, as under `ssh host words`:
/// INT and HUP stop a plain program, a program that handles INT sees it, and a command that
/// kills itself with a signal is a failure, never a success.
@Suite("Signals reach the job as under ssh", .timeLimit(.minutes(10)), .throttled)
struct SignalTests {
    @Test func theCommandStartsWithTheSignalsAnSSHCommandHas() async throws {
        let world = try await JobWorld.make()
        let command = "grep '^SigIgn' /proc/self/status; sleep 0 | grep '^SigIgn' /proc/self/status"
        let reference = try await world.onWorker(command).stdoutText
        let result = try await world.p("-n", "--", command)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == reference)
        // INT, QUIT and HUP (bits 2, 3 and 1) are never ignored.
        for line in result.stdoutText.split(separator: "\n") {
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? .max
            #expect(mask & 0b111 == 0, "\(line)")
        }
    }

    @Test(arguments: [("INT", 2), ("HUP", 1), ("TERM", 15)])
    func stopWithASignalEndsAPlainProgramByThatSignal(signal: String, number: Int32) async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 300"))
        try await world.waitForOutput(id, "started")
        let stopped = try await world.p("stop", "--signal", signal, "--grace", "20", id)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let record = try #require(try world.records.load(id))
        // Ignored, the signal would leave the job to the KILL after the grace period (137).
        #expect(record.status == .stopped(signal: signal, exitCode: 128 + number, endedAt: record.status.endedAt))
    }

    @Test(arguments: ["INT", "HUP", "QUIT", "TERM"])
    func aCommandThatKillsItselfEndsAsUnderSSH(signal: String) async throws {
        let world = try await JobWorld.make()
        let command = "echo before; kill -\(signal) $$; echo after"
        let reference = try await world.onWorker(command)
        let result = try await world.p("-n", "--", command)
        #expect(result.stdoutText == reference.stdoutText, "\(signal)")
        #expect(Int32(result.status) == reference.status.shellCode, "\(signal): \(result.stderr)")
        if signal != "QUIT" {
            // Whether QUIT ends the shell depends on the shell; INT, HUP and TERM end it.
            #expect(result.stdoutText == "before\n", "\(signal)")
            #expect(world.records.loadAll().records.first?.status.name == "failed")
        }
    }

    /// Waits for the job `id` to print `ready`, stops it with INT, and expects it to have
    /// printed `caught` and exited 3 on its own.
    static func interruptAndExpectCaught(_ world: JobWorld, _ id: String) async throws {
        try await world.waitForOutput(id, "ready")
        let stopped = try await world.p("stop", "--signal", "INT", "--grace", "20", id)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try await world.p("logs", id).stdoutText == "ready\ncaught\n")
        let record = try #require(try world.records.load(id))
        #expect(record.status == .stopped(signal: "INT", exitCode: 3, endedAt: record.status.endedAt))
    }

    /// A shell script that traps INT: a shell cannot trap a signal that was ignored when it
    /// started, so this sees INT only if the job started with INT at its default.
    @Test func aScriptThatTrapsINTSeesIt() async throws {
        let world = try await JobWorld.make()
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "trap 'echo caught; exit 3' INT; echo ready; while :; do sleep 1; done"))
        try await Self.interruptAndExpectCaught(world, id)
    }

    /// Python installs no INT handler when INT is ignored as it starts: it raises
    /// KeyboardInterrupt only when the job starts as under ssh. (The local sshd: python3 is a
    /// test requirement there, not on every worker.)
    @Test func aPythonProgramRaisesKeyboardInterrupt() async throws {
        let world = try await JobWorld.make(sshd: try await TestSSHD.sharedLocal())
        let script =
            "import sys, time\nprint('ready', flush=True)\ntry:\n    time.sleep(300)\nexcept KeyboardInterrupt:\n    print('caught', flush=True)\n    sys.exit(3)\n"
        let id = try JobWorld.id(
            try await world.p("-n", "-d", "-e", "SCRIPT=\(script)", "--", "python3 -c \"$SCRIPT\""))
        try await Self.interruptAndExpectCaught(world, id)
    }
}

/// Stopping a job leaves in its log only what the command wrote: no notice of the login
/// shell's own ("Terminated", "Killed"), whichever shell and signal, whether the command is
/// one program, a pipeline or a list; and the exit status stays exact.
@Suite("No shell notices in the log", .timeLimit(.minutes(10)), .throttled)
struct ShellNoticeTests {
    @Test(arguments: ["bash", "dash", "zsh"])
    func stoppingAJobLeavesOnlyItsOwnOutput(shell: String) async throws {
        try Power.root.require(for: "accounts of the tests' own whose login shell is \(shell)")
        let path = "/bin/" + shell
        guard access(path, X_OK) == 0 else {
            throw TestFailure("\(path) is missing (scripts/requirements.sh installs it)")
        }
        let account = try JobWorld.localTestAccount("ptest" + shell)
        _ = try Shell.run("usermod", ["-s", path, account.user])
        let world = try await JobWorld.make(sshd: try await TestSSHD.sharedLocal(), login: account)
        for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1), ("KILL", 9)] {
            for command in ["sleep 300", "sleep 300 | cat", "sleep 300; echo after"] {
                let id = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; " + command))
                try await world.waitForOutput(id, "started")
                let stopped = try await world.p("stop", "--signal", signal, "--grace", "5", id)
                #expect(stopped.status == 0, "\(stopped.stderr)")
                let log = try await world.p("logs", id).stdoutText
                #expect(log == "started\n", "\(shell), \(signal), \(command): \(log.debugDescription)")
                let record = try #require(try world.records.load(id))
                // The status is the login shell's own: zsh ends with 1 when it gets HUP
                // while it waits (and now and then zsh 5.9 dies of SEGV there instead: 139,
                // seen in CI; the log stays clean either way); `zsh -c` execs a lone last
                // command, which dies of HUP itself.
                let zshWaits = shell == "zsh" && signal == "HUP" && command != "sleep 300"
                let expected: Set<Int32> = zshWaits ? [1, 139] : [Int32(128 + number)]
                #expect(
                    record.status.reportedExitCode.map(expected.contains) == true,
                    "\(shell), \(signal), \(command): \(record.status)")
            }
        }
    }
}
