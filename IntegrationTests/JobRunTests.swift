import Foundation
import Testing

@testable import RemoteJobs

/// `p -- ...` end to end: the CLI as a process, a real sshd, real files on the worker.
@Suite("Running jobs with p", .timeLimit(.minutes(10)), .throttled)
struct JobRunTests {
    struct HostileCase: Sendable, CustomTestStringConvertible {
        var command: String
        var output: [UInt8]?
        var outputContains: String?
        var exit: Int32
        var testDescription: String { String(command.prefix(40)) }

        init(_ command: String, _ output: String, exit: Int32 = 0) {
            self.command = command
            self.output = Array(output.utf8)
            self.exit = exit
        }

        init(_ command: String, bytes: [UInt8], exit: Int32 = 0) {
            self.command = command
            self.output = bytes
            self.exit = exit
        }

        init(_ command: String, containing: String, exit: Int32) {
            self.command = command
            self.outputContains = containing
            self.exit = exit
        }
    }

    static let hostile: [HostileCase] = [
        HostileCase(
            #"echo "double quoted" 'single quoted' "it's" 'say "hi"'"#, "double quoted single quoted it's say \"hi\"\n"),
        HostileCase("echo $(echo dollar-paren) `echo backticks`", "dollar-paren backticks\n"),
        HostileCase("echo (unbalanced", containing: "syntax error", exit: 2),
        HostileCase("echo ok); echo more", containing: "syntax error", exit: 2),
        HostileCase(#"echo trailing\"#, "trailing\\\n"),
        HostileCase("echo one\necho two\n\necho three", "one\ntwo\nthree\n"),
        HostileCase(
            "cat <<EOF\nheredoc $((6 * 7)) 'kept'\n  indented\nEOF\necho after",
            "heredoc 42 'kept'\n  indented\nafter\n"),
        HostileCase("echo before; exit 42", "before\n", exit: 42),
        HostileCase("echo before; kill -9 $$", "before\n", exit: 137),
        HostileCase("kill -TERM $$", "", exit: 143),
        HostileCase("echo 'héllo wörld 日本語 🎉'", "héllo wörld 日本語 🎉\n"),
        HostileCase("printf '\\000\\377\\376no newline'", bytes: [0, 0xFF, 0xFE] + Array("no newline".utf8)),
        HostileCase("echo out; echo err >&2; exit 3", "out\nerr\n", exit: 3),
        // $0 is the login shell's name, as under ssh (not a path: not p's command file).
        HostileCase("case $0 in */*) echo path ;; *) echo name ;; esac", "name\n"),
        HostileCase("read line; echo \"stdin:[$line]\"", "stdin:[]\n", exit: 0),
        HostileCase(": " + String(repeating: "x", count: 100_000) + "; echo long command ran", "long command ran\n"),
    ]

    @Test(arguments: hostile)
    func hostileCommandsRunExactlyAsSSHWould(_ test: HostileCase) async throws {
        let world = try await JobWorld.make()
        let result = try await world.p(arguments: ["-n", "--", test.command])
        #expect(result.status == test.exit, "stderr: \(result.stderr)")
        if let output = test.output {
            #expect(result.stdout == output, "got \(result.stdoutText.debugDescription)")
        }
        if let fragment = test.outputContains {
            #expect(result.stdoutText.contains(fragment), "got \(result.stdoutText.debugDescription)")
        }
        #expect(result.stderr.contains("[Job done: exit \(test.exit)]"))
        let records = world.records.loadAll().records
        #expect(records.count == 1)
        #expect(records.first?.status.exitCode == test.exit)
        #expect(records.first?.command == test.command)
    }

    @Test(arguments: JobWorld.kinds) func wordsAreJoinedLikeSSH(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let result = try await world.p("-n", "--", "echo", "a", "'b  c'", "$((1+2))")
        #expect(result.stdoutText == "a b  c 3\n")
        #expect(result.status == 0)
    }

    @Test(arguments: JobWorld.kinds) func theJobRunsInItsOwnWorkDirectory(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let empty = world.directory + "/empty-project"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try await world.p("-C", empty, "--", "ls -A | wc -l; pwd")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(world.records.loadAll().records.first?.cwd == empty)
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.first == "0")
        let id = try #require(world.records.loadAll().records.first?.id)
        #expect(lines.last.map(String.init) == world.root + "/workdirs/" + id)
    }

    @Test(arguments: JobWorld.kinds) func environmentReachesTheJobButNoArgv(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        // The other kind's run, beside this one, has its own secret on its client's argv.
        let secret = "s3cret-\(kind) 'quoted' $HOME \"x\""
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "-e", "P_SECRET=\(secret)", "-e", "EMPTY=", "--",
                "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; printf '%s|%s' \"$P_SECRET\" \"${EMPTY-unset}\""
            ))
        // While it runs, no process on the worker shows the secret (the words, which name
        // the variable, are the shell's argument, as under ssh).
        let processes = try await world.workerText("ps -eo args")
        #expect(!processes.contains("s3cret-\(kind)"))
        let directory = world.jobDirectory(id)
        for file in ["cmd", "env", "cwd", "worker", "pid", "output.log"] {
            #expect(try await world.workerText("stat -c %a '\(directory)/\(file)'") == "600", "\(file)")
        }
        for path in [world.root, world.root + "/jobs", directory, world.root + "/workdirs/" + id] {
            #expect(try await world.workerText("stat -c %a '\(path)'") == "700", "\(path)")
        }
        #expect(try world.records.load(id)?.status.isRunning == true)
        try await world.letGo(id)
        let logs = try await world.p("logs", "-f", id)
        #expect(logs.stdoutText == secret + "|")
        let recordText = try String(contentsOfFile: world.records.path(of: id), encoding: .utf8)
        #expect(!recordText.contains("s3cret-\(kind)"), "secrets stay out of the client's records")
    }

    @Test(arguments: JobWorld.kinds) func detachPrintsTheIdAndLogsShowTheOutput(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--",
                "printf 'a\\nb\\n'; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; printf 'c\\377\\nd\\ne'"
            ))
        let listed = try await world.p("ls", "-q")
        #expect(listed.stdoutText == id + "\n", "-d returned while the job runs")
        try await world.letGo(id)
        let followed = try await world.p("logs", "-f", String(id.prefix(6)))
        #expect(followed.stdout == Array("a\nb\nc".utf8) + [0xFF] + Array("\nd\ne".utf8))
        #expect(followed.stderr.contains("[Job done: exit 0]"))
        let all = try await world.p("logs", id)
        #expect(all.stdout == followed.stdout)
        let tail = try await world.p("logs", "--tail", "2", id)
        #expect(tail.stdoutText == "d\ne")
        let notListed = try await world.p("ls", "-q")
        #expect(notListed.stdoutText.isEmpty)
        let everything = try await world.p("ls", "-a")
        #expect(everything.stdoutText.contains(String(id.prefix(8))))
        #expect(everything.stdoutText.contains("done"))
    }

    @Test(arguments: JobWorld.kinds) func largeOutputIsByteExact(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "head -c 3000000 /dev/urandom > data.bin; cat data.bin; cp data.bin ../../data.bin"))
        let followed = try await world.p("logs", "-f", id)
        #expect(followed.status == 0)
        let original = try await world.onWorker("cat '\(world.root)/data.bin'").stdout
        #expect(followed.stdout.count == 3_000_000)
        #expect(followed.stdout == original, "the streamed bytes differ")
        let again = try await world.p("logs", id)
        #expect(again.stdout == original, "the logged bytes differ")
    }

    @Test(arguments: JobWorld.kinds) func ctrlCDetachesAndLogsResumeWhereTheStreamStood(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        // Three lines, then it waits for a `go` file, so the detach always falls mid-job.
        let process = try world.start(
            "-n", "--",
            "for i in $(seq 1 30); do echo line $i; if [ $i = 3 ]; then n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; fi; done; exit 7"
        )
        try await process.waitForOutput("line 3\n")
        process.signal(SIGINT)
        let detached = try await process.wait()
        #expect(detached.status == 130)
        #expect(detached.stderr.contains("Detached"))
        #expect(detached.stderr.contains("p logs -f"))
        #expect(detached.stderr.contains("p stop"))
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.status.isRunning)
        #expect(record.resumeOffset == UInt64(detached.stdout.count))
        try await world.letGo(record.id)
        let resumed = try await world.p("logs", "-f", record.id)
        #expect(resumed.stderr.contains("Resuming"))
        let whole = detached.stdout + resumed.stdout
        let expected = (1...30).map { "line \($0)\n" }.joined()
        #expect(String(decoding: whole, as: UTF8.self) == expected, "nothing lost, nothing repeated")
        #expect(resumed.stderr.contains("[Job done: exit 7]"))
        #expect(
            try world.records.load(record.id)?.status
                == .failed(exitCode: 7, endedAt: world.records.load(record.id)?.status.endedAt))
    }

    @Test(arguments: JobWorld.kinds) func timeoutStopsTheJob(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let result = try await world.p(
            "-n", "--timeout", "1s", "--grace", "1s", "--", "echo started; sleep 30; echo never")
        #expect(!result.stdoutText.contains("never"))
        #expect(result.stderr.contains("[Job stopped (timeout)"))
        #expect(result.status == 124, "a timeout exits 124, as GNU timeout")
        let record = try #require(world.records.loadAll().records.first)
        guard case .stopped(let signal, _, _) = record.status else {
            Issue.record("expected stopped, got \(record.status)")
            return
        }
        #expect(signal == "timeout")
    }

    @Test(arguments: JobWorld.kinds) func unknownWorkerAndMissingCommandAreUsageErrors(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let unknown = try await world.p("nosuch", "--", "true")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no worker is named 'nosuch'"))
        let empty = try await world.p("--")
        #expect(empty.status == 1, "a usage error exits with 1, as SPEC.md says")
        #expect(empty.stderr.contains("Give the command"))
        let badEnv = try await world.p("-e", "NOEQUALS", "--", "true")
        #expect(badEnv.status == 1)
        #expect(badEnv.stderr.contains("KEY=VALUE"))
        // An invalid entry is named by its key only: the value may be a secret.
        let secret = try await world.p("-e", "1TOKEN=hunter2", "--", "true")
        #expect(secret.status == 1)
        #expect(secret.stderr.contains("'1TOKEN'"), "\(secret.stderr)")
        #expect(!secret.stderr.contains("hunter2"), "\(secret.stderr)")
        let noSecret = try await world.p("-e", "hunter2", "--", "true")
        #expect(!noSecret.stderr.contains("hunter2"), "\(noSecret.stderr)")
        #expect(world.records.loadAll().records.isEmpty)
        // An empty path or destination for pull is a usage error, not a connection failure.
        for arguments in [["pull", "abcd", ".", ""], ["pull", "abcd", ""]] {
            let pull = try await world.p(arguments: arguments)
            #expect(pull.status == 1, "\(arguments): \(pull.stderr)")
            #expect(pull.stderr.contains("is empty"), "\(arguments): \(pull.stderr)")
        }
    }
}
