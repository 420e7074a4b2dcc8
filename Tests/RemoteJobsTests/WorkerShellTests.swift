import Foundation
import Testing

@testable import RemoteJobs

/// The worker's shell files (`Worker/`) as p sends them: each joins into one line a login
/// shell reads inside single quotes, parses under dash, bash and BusyBox sh, and is given
/// exactly the arguments it declares.
@Suite("Worker shell files")
struct WorkerShellTests {
    /// Every program p runs on a worker, by its file.
    static let programs: [String] = WorkerScriptFiles.texts.keys.filter { !$0.hasPrefix("lib/") }.sorted()

    /// Each script type with the names it passes.
    static let scripts: [(file: String, names: [String])] = {
        let launch = LaunchScript(
            root: "r", jobID: "j", cwd: "/", workerName: "w", environmentFile: [], timeoutSeconds: nil,
            graceSeconds: 1, follow: false, workdirName: "j", prepared: false, command: "true")
        func names<Script: WorkerScript>(_ script: Script) -> (String, [String]) {
            (Script.file, script.arguments.map(\.key))
        }
        return [
            names(launch), names(SlurmLaunchScript(launch: launch, sbatchOptions: [])),
            names(LaunchArrayScript(root: "r", elements: [], base: nil, hardLinks: false)),
            names(MatchResultsScript(workdir: "w", patterns: ["*"])),
            names(ClaimJobScript(root: "r", jobID: "j", request: KeyedRequest(JobRequest(command: "true")))),
            names(ClaimWorkdirScript(root: "r", name: "n", jobID: "j", takeover: nil)),
            names(CopyFromBaseScript(base: "b", workdir: "w", jobDirectory: "j", lines: [], hardLinks: false)),
            names(FollowScript(jobDirectory: "j", offset: 0, process: nil)),
            names(FreeSpaceScript(path: "/")), names(HeartbeatScript(jobDirectory: "j")), names(LoadScript(root: "r")),
            names(MakeDirectoriesScript(workdir: "w", jobDirectory: "j", directories: [], stale: nil)),
            names(PauseScript(jobDirectory: "j", pause: true, pid: nil)),
            names(PollScript(jobDirectory: "j", offset: 0, extent: .all)), names(ProbeScript()),
            names(ReconcileScript(root: "r", jobs: [])), names(RemoveScript(root: "r", jobs: [])),
            names(SlurmProbeScript(root: "r", waitSeconds: 1, sbatchOptions: [])),
            names(SlurmStopScript(jobDirectory: "j", signal: .term, graceSeconds: 1, slurmJobID: "1")),
            names(StopScript(jobDirectory: "j", signal: .term, graceSeconds: 1, pid: nil)),
            names(UntarScript(directory: "d")), names(WaitScript(jobDirectory: "j", process: nil)),
        ]
    }()

    @Test(arguments: programs)
    func eachFileJoinsIntoOneLineAShellReadsInSingleQuotes(file: String) throws {
        let program = try WorkerShell.join(WorkerShell.resolve(file, files: WorkerScriptFiles.texts))
        #expect(!program.contains("\n"))
        #expect(!program.contains("'"))
        // fish reads `\\` and `\'` inside single quotes; a lone `\n` for printf is fine.
        #expect(!program.contains(#"\\"#))
        #expect(!program.contains(". lib/"), "every library in place")
    }

    @Test(arguments: programs)
    func eachProgramParsesUnderEveryShell(file: String) async throws {
        let program = WorkerShell.program(file)
        for shell in LocalShell.all where !shell.isBusyBox || access("/bin/busybox", X_OK) == 0 {
            let executable = shell.isBusyBox ? "/bin/busybox" : shell.executable
            let arguments = (shell.isBusyBox ? ["sh"] : []) + ["-n", "-c", program]
            let result = try await ChildProcess.run(executable, arguments: arguments, onOutput: { _ in })
            #expect(result.status == 0, "\(shell.name): \(file): \(result.standardError)")
        }
    }

    @Test func everyScriptIsGivenWhatItDeclares() {
        #expect(Set(Self.scripts.map(\.file)).count == Self.scripts.count, "one type per file")
        for (file, names) in Self.scripts {
            #expect(!WorkerShell.declaredArguments(file).isEmpty || names.isEmpty, "\(file) declares its arguments")
            #expect(Set(names) == Set(WorkerShell.declaredArguments(file)), "\(file)")
            #expect(Set(names).count == names.count, "\(file): each name once")
        }
        #expect(Set(WorkerShell.declaredArguments("run.sh")).count == 7, "the wrapper's seven")
    }

    @Test func aLineEndsACommandOrGoesOn() throws {
        func join(_ text: String) throws -> String {
            try WorkerShell.join(WorkerShell.resolve("t.sh", files: ["t.sh": text]))
        }
        #expect(
            try join("# a comment\nif a; then\n\tb # why\nelse\n\tc\nfi\nx=$(\n\ty\n)\nz")
                == "if a; then b; else c; fi; x=$( y; ); z")
        #expect(try join("case $x in\na | \"\")\n\tb\n\t;;\n*) c ;;\nesac") == "case $x in a | \"\") b ;; *) c ;; esac")
        #expect(try join("f() {\n\ta &&\n\t\tb || {\n\t\tc\n\t}\n}") == "f() { a && b || { c; }; }")
        #expect(try join("a \\\n\tb\nwhile :; do\n\tc &\ndone") == "a b; while :; do c & done")
        #expect(try join("echo \"# not a comment\" ${#x} # one") == "echo \"# not a comment\" ${#x}")
        #expect(throws: WorkerShell.Failure.self) { try join("echo 'quoted'") }
        #expect(throws: WorkerShell.Failure.self) { try join("echo \"open\nclosed\"") }
        #expect(throws: WorkerShell.Failure.self) { try join("echo a\\\\b") }
    }

    @Test func librariesAreIncludedOnce() throws {
        let files = ["t.sh": ". lib/a.sh\n. lib/b.sh\nt", "lib/a.sh": ". lib/b.sh\na", "lib/b.sh": "b"]
        #expect(try WorkerShell.join(WorkerShell.resolve("t.sh", files: files)) == "b; a; t")
        #expect(throws: WorkerShell.Failure.self) {
            try WorkerShell.resolve("t.sh", files: ["t.sh": ". lib/none.sh"])
        }
    }
}

extension WorkerShellTests {
    /// An argument sets a variable of its name: a file that also assigned it for its own
    /// use would lose the argument.
    @Test(arguments: programs)
    func noFileAssignsANameItTakes(file: String) throws {
        let declared = WorkerShell.declaredArguments(file)
        let lines = try WorkerShell.resolve(file, files: WorkerScriptFiles.texts)
        for (index, line) in lines.enumerated() where !line.text.hasPrefix(#": "${"#) {
            // A line that goes on from the one before holds arguments, not a command's start.
            if index > 0, lines[index - 1].text.hasSuffix("\\") { continue }
            let code = line.text.trimmingCharacters(in: .whitespaces)
            if code.hasPrefix("#") { continue }
            for name in declared {
                // At a command's start: where a line, a list, a group or a branch begins.
                let assignment = try Regex("(^|[;&|({]\\s*|\\b(then|do|else)\\s+)\(name)=")
                #expect(
                    code.firstMatch(of: assignment) == nil,
                    "\(line.file):\(line.number) assigns \(name), an argument of \(file)")
            }
        }
    }
}

extension WorkerShellTests {
    /// Slurm's states are listed once, in the shell, and both sides read that list.
    @Test func slurmStatesAreOneListForBothSides() {
        #expect(SchedulerFacts.liveStates.contains("RUNNING") && SchedulerFacts.liveStates.contains("PENDING"))
        #expect(SchedulerFacts.liveStates.count == 13)
        #expect(SchedulerFacts.waitingStates.isSubset(of: SchedulerFacts.liveStates))
        #expect(SchedulerFacts.waitingStates.contains("PENDING") && !SchedulerFacts.waitingStates.contains("RUNNING"))
        #expect(!SchedulerFacts.liveStates.contains("COMPLETED") && !SchedulerFacts.liveStates.contains("CANCELLED"))
    }
}

extension WorkerShellTests {
    /// Control lines are printed only by `lib/protocol.sh`, so each is written once.
    @Test func onlyTheProtocolLibraryPrintsControlLines() throws {
        let words = try Regex("p-(begin|start|end|slurm|queued|state|alive|load)\\b")
        for (file, text) in WorkerScriptFiles.texts where file != "lib/protocol.sh" {
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("#") else { continue }
                #expect(code.firstMatch(of: words) == nil, "Worker/\(file):\(number + 1) prints a control line")
            }
        }
    }

    /// Every line `lib/protocol.sh` prints, under every shell, is read by its type.
    @Test(arguments: LocalShell.all)
    func everyControlLineAScriptPrintsParses(shell: LocalShell) async throws {
        struct Say: WorkerScript {
            var arguments: KeyValuePairs<String, String> { [:] }
            static let source = [
                #"say_start 4242 1700000000 0c1d2e3f-aaaa-bbbb-cccc-0123456789ab"#, #"say_start 4243 "" """#,
                #"end_line 10 "" "1 - - - - - - -" >&2"#,
                #"end_line 5000 /4096/8192 "0 3 TERM 1700000001 full - 1700000000 -" >&2"#,
                #"end_line 0 "" "1 - - - - $(printf "PENDING:Priority\037x") - -" >&2"#, #"missing_line >&2"#,
                #"say_slurm 123_4"#, "say_queued", #"say_state "$(printf "QUEUED:position\0371")""#,
                "say_alive",
            ].joined(separator: "; ")
        }
        let run = try await shell.run(Say())
        #expect(run.code == 0)
        #expect(run.control.otherText.isEmpty, "every line parsed: \(run.control.otherText)")
        #expect(run.control.start == StartLine(pid: 4243, startedAt: nil, bootID: nil))
        #expect(run.control.jobMissing)
        var control = ControlLines(token: nil)
        let lines: [String] = [
            "p-start 4242 1700000000 b", "p-end 5000/4096/8192 0 3 TERM 1700000001 full - 1700000000 -",
            "p-slurm 123_4", "p-queued", "p-state PENDING:Priority", "p-alive", "p-end missing",
        ]
        let events = control.feed(Array(lines.joined(separator: "\n").utf8) + [0x0A])
        #expect(events.count == 4, "\(events)")
        #expect(control.end?.gap == LogGap(from: 4096, to: 8192))
        #expect(control.end?.facts.exitCode == 3 && control.end?.facts.diskFull == true)
        #expect(control.otherText.isEmpty)
    }
}
