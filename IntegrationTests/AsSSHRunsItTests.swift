import Foundation
import Testing

@testable import RemoteJobs

/// "Exactly as `ssh host <words>`": a corpus of commands run by OpenSSH's client and by p
/// against the same sshd, as the same account, whose login shell is bash, dash or BusyBox
/// sh. The job's stdout and stderr (kept apart, as ssh keeps them) are compared byte for
/// byte with ssh's, with runs of digits (pids) made alike, and so is the exit code (where
/// ssh has one: a command killed by a signal has none under ssh, and 128+N under p).
@Suite("Words run exactly as ssh runs them", .timeLimit(.minutes(15)), .throttled)
struct AsSSHRunsItTests {
    /// What to run: a name for messages, and the words.
    static let corpus: [(name: String, words: String)] = [
        ("$0", "echo $0"),
        ("a failed cd", "cd /nonexistent-p-dir"),
        ("a syntax error", "echo \"unterminated"),
        ("a lone command killed by HUP", "sh -c 'kill -HUP $$'"),
        ("a lone command killed by TERM", "sh -c 'kill -TERM $$'"),
        ("the last of a list killed", "echo before; sh -c 'kill -TERM $$'"),
        ("an exit code", "exit 3"),
        ("no final newline", "printf 'no newline'"),
        ("no arguments", "echo $# \"$@\""),
        ("the shell's flags", "echo $-"),
        ("a command not found", "no-such-command-p"),
        ("both streams", "echo out; echo err >&2; exit 4"),
        ("an exit trap", "trap 'echo trapped' EXIT; false"),
        ("a backslash-newline", "echo a\\\necho b"),
        ("bytes that are not text", "printf '\\377\\000\\001'"),
        ("a subshell's code", "(echo sub; exit 5)"),
        ("the shell level", "echo \"${SHLVL-unset}\""),
        ("no terminal", "[ -t 0 ] && echo tty || echo notty; [ -t 1 ] && echo tty || echo notty"),
        ("an empty stdin", "cat; echo end"),
        ("the shell killing itself", "kill -TERM $$"),
        ("a background job waited for", "sleep 0.1 & wait; echo waited"),
        ("set -e", "set -e; false; echo unreachable"),
        ("a builtin's message", "type no-such-command-p"),
        ("an ignored signal", "trap '' TERM; sh -c 'kill -TERM $$; echo survived'"),
    ]

    /// The login shells compared: the path of each, and the account that has it.
    static let shells = ["bash", "dash", "busybox"]

    static func loginShell(_ name: String) throws -> String {
        switch name {
        case "bash": return "/bin/bash"
        case "dash": return "/bin/dash"
        default:
            try BusyBoxWorkerTests.installApplets()
            return BusyBoxWorkerTests.applets + "/sh"
        }
    }

    /// What a command left: its stdout, stderr and exit code (nil: ended by a signal).
    struct Outcome: Equatable, CustomStringConvertible {
        var stdout: [UInt8]
        var stderr: String
        var code: Int32?

        /// Runs of digits made alike (pids, line numbers are compared as shapes then; the
        /// exit code is compared on its own).
        var normalized: Outcome {
            func digitless(_ text: String) -> String {
                text.replacingOccurrences(of: "[0-9]+", with: "N", options: .regularExpression)
            }
            return Outcome(
                stdout: Array(digitless(String(decoding: stdout, as: UTF8.self)).utf8), stderr: digitless(stderr),
                code: code)
        }

        var description: String {
            "stdout \(String(decoding: stdout, as: UTF8.self).debugDescription), stderr \(stderr.debugDescription), code \(code.map(String.init) ?? "signal")"
        }
    }

    /// Each login shell, with the wrapper's usual way to start the command (perl, which
    /// gives the shell its name as `argv[0]`, as sshd does); and bash and dash on a worker
    /// without perl, where GNU `env` starts it and the name follows the words as `$0`.
    @Test(arguments: [
        ("bash", "perl"), ("dash", "perl"), ("busybox", "perl"), ("bash", "env"), ("dash", "env"),
    ])
    func pRunsTheWordsAsOpenSSHDoes(shell: String, reset: String) async throws {
        try Power.root.require(for: "accounts whose login shells are bash, dash and BusyBox sh")
        let account = try JobWorld.localTestAccount("pas" + shell, shell: try Self.loginShell(shell))
        let sshd: TestSSHD
        if reset == "env" {
            sshd = try TestSSHD.start(options: ["SetEnv PATH=\(try Self.pathWithoutPerl())"])
        } else {
            sshd = try await TestSSHD.sharedLocal()
        }
        defer { if reset == "env" { sshd.stop() } }
        let world = try await JobWorld.make(sshd: sshd, login: account)
        let probe = try await world.p("worker", "ls", "--check")
        #expect(probe.status == 0, "\(probe.stderr)")
        let found = try await world.workerText("command -v perl || echo none")
        #expect((found == "none") == (reset == "env"), "perl on the worker: \(found)")
        var differences: [String] = []
        for (name, words) in Self.corpus {
            let ssh = try await viaOpenSSH(world, words)
            let p = try await viaP(world, words)
            var expected = ssh
            if ssh.code == 255 || ssh.code == nil {
                // ssh has no code for a command a signal ended; p says 128+N.
                expected.code = p.code.flatMap { $0 > 128 && $0 < 160 ? $0 : nil } ?? -1
            }
            if p.normalized != expected.normalized {
                differences.append("\(name) (\(words.debugDescription)):\n  ssh \(ssh)\n  p   \(p)")
            }
        }
        #expect(
            differences.isEmpty,
            "\(shell), \(reset): \(differences.count) of \(Self.corpus.count) differ:\n\(differences.joined(separator: "\n"))"
        )
    }

    /// A directory of links to every program of `/usr/bin` but perl, for a `PATH` without it.
    static func pathWithoutPerl() throws -> String {
        let directory = "/opt/p-test-noperl/bin"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: "/usr/bin") where !name.hasPrefix("perl") {
            let link = directory + "/" + name
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
                try? FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/usr/bin/" + name)
            }
        }
        return directory
    }

    /// OpenSSH's client, with the world's ssh configuration and no stdin (`-n`).
    func viaOpenSSH(_ world: JobWorld, _ words: String) async throws -> Outcome {
        let result = try await PProcess(
            ["-F", world.sshConfigFile, "-n", "-o", "BatchMode=yes", "worker", words], environment: world.environment,
            executable: "/usr/bin/ssh"
        ).wait(timeout: .seconds(60))
        return Outcome(stdout: result.stdout, stderr: result.stderr, code: result.status)
    }

    /// p: the job started detached with its stderr apart, waited for, and both logs read.
    func viaP(_ world: JobWorld, _ words: String) async throws -> Outcome {
        let id = try JobWorld.id(try await world.p("-n", "-d", "--separate-stderr", "--", words))
        let waited = try await world.p("wait", id)
        let stdout = try await world.p("logs", id)
        let stderr = try await world.p("logs", "--stderr", id)
        return Outcome(stdout: stdout.stdout, stderr: stderr.stdoutText, code: waited.status)
    }
}
