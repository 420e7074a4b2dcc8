import Foundation
import Testing

@testable import RemoteJobs

/// The job wrapper run locally, without SSH, under the shells a worker may have: the command
/// starts with INT and QUIT at their defaults although the wrapper itself was started with
/// them ignored (as the launcher's `&` does), through either reset the launcher may pick.
@Suite("The job wrapper, run locally")
struct WrapperScriptTests {
    /// Runs `command` through the wrapper started in the background by `shell` (INT and QUIT
    /// ignored, as after `&`), with `reset`; returns the log and the exit code.
    static func run(_ command: String, shell: String, reset: String, runner: String = "argument") async throws -> (
        log: String, code: String
    ) {
        let base = NSTemporaryDirectory() + "p-wrapper-" + UUID().uuidString
        let job = base + "/jobs/x"
        let workdir = base + "/workdirs/x"
        try FileManager.default.createDirectory(atPath: job, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try command.write(toFile: job + "/cmd", atomically: true, encoding: .utf8)
        try (LaunchScript.wrapper + "\n").write(toFile: job + "/run", atomically: true, encoding: .utf8)
        let launcher =
            #"trap "" INT QUIT; SHELL=/bin/sh "$0" "$1/run" job="$1" workdir="$2" timeout=0 grace=1 runner="$3" umask=022 reset="$4" < /dev/null > /dev/null 2>&1 & wait"#
        let result = try await ChildProcess.run(
            "/bin/sh", arguments: ["-c", launcher, shell, job, workdir, runner, reset],
            onOutput: { _ in })
        #expect(result.status == 0, "\(result.standardError)")
        let log = try String(contentsOfFile: job + "/output.log", encoding: .utf8)
        let code = try String(contentsOfFile: job + "/exitcode", encoding: .utf8).trimmingCharacters(in: .newlines)
        return (log, code)
    }

    static var shells: [String] { ["/bin/sh", "/bin/dash", "/bin/bash"].filter { access($0, X_OK) == 0 } }

    /// Both runners: the words as the shell's `-c` argument, and, for words too long for
    /// one argument, evaluated from the command file.
    @Test(arguments: ["env", "perl"], ["argument", LaunchScript.evalCommandFile])
    func theCommandStartsWithINTAndQUITAtTheirDefaults(reset: String, runner: String) async throws {
        for shell in Self.shells {
            let (log, code) = try await Self.run(
                "grep '^SigIgn' /proc/self/status", shell: shell, reset: reset, runner: runner)
            #expect(code == "0", "\(shell)")
            let mask = UInt64(log.split(separator: "\t").last?.trimmingCharacters(in: .newlines) ?? "", radix: 16)
            #expect(mask.map { $0 & 0b110 == 0 } == true, "\(shell), \(reset): \(log)")
            let (_, killed) = try await Self.run(
                "echo before; kill -INT $$; echo after", shell: shell, reset: reset, runner: runner)
            #expect(killed == "130", "\(shell), \(reset)")
        }
    }

    /// The words keep every byte (trailing newlines, a backslash-newline, quotes) on their
    /// way from the file to the shell's argument, and `$0` is the login shell's name.
    @Test func theWordsReachTheShellExactly() async throws {
        for shell in Self.shells {
            let (log, code) = try await Self.run(
                "printf '%s|' \"a  b\" 'c'\\\n'd'; echo $0\n\n", shell: shell, reset: "env")
            #expect(code == "0")
            #expect(log == "a  b|cd|sh\n", "the login shell (SHELL=/bin/sh) by its name: \(shell): \(log)")
        }
    }

    @Test func withoutAResetTheInheritedIgnoresRemain() async throws {
        let (log, _) = try await Self.run("grep '^SigIgn' /proc/self/status", shell: "/bin/sh", reset: "-")
        let mask = UInt64(log.split(separator: "\t").last?.trimmingCharacters(in: .newlines) ?? "", radix: 16) ?? 0
        #expect(mask & 0b110 == 0b110, "this is what the reset is for: \(log)")
    }
}
