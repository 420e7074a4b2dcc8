import Foundation
import Testing

@testable import RemoteJobs

/// Each worker-side script run locally, without SSH, under dash, bash and BusyBox sh (with
/// BusyBox's tools): its typed arguments built, its output parsed, as over SSH.
@Suite("Worker scripts under dash, bash and BusyBox sh", .timeLimit(.minutes(10)))
struct WorkerScriptTests {
    /// A worker root of its own: `R/jobs/<id>` and `R/workdirs/<id>`.
    struct Root {
        let path = NSTemporaryDirectory() + "p-root-" + UUID().uuidString

        func job(_ id: String, files: [String: String] = [:]) throws -> String {
            let directory = path + "/jobs/" + id
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: path + "/workdirs/" + id, withIntermediateDirectories: true)
            for (name, contents) in files {
                try contents.write(toFile: directory + "/" + name, atomically: false, encoding: .utf8)
            }
            return directory
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test(arguments: LocalShell.all)
    func eachShellIsWhatItSays(shell: LocalShell) async throws {
        struct Which: WorkerScript {
            var arguments: KeyValuePairs<String, String> { [:] }
            static let source = #"readlink /proc/$$/exe; command -v find"#
        }
        let lines = try await shell.run(Which()).text.split(separator: "\n").map(String.init)
        if shell.isBusyBox {
            #expect(lines.first?.hasSuffix("/busybox") == true, "\(lines)")
            #expect(lines.last?.hasPrefix(shell.pathPrefix ?? "-") == true, "BusyBox's own find: \(lines)")
        } else {
            #expect(lines.first == "/usr/bin/" + shell.name, "\(lines)")
        }
    }

    @Test(arguments: LocalShell.all)
    func pollSendsThePieceAskedForAndTheFacts(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job(
            "a", files: ["output.log": "hello\nworld\n", "exitcode": "3\n", "ended_at": "1700000000\n"])
        let piece = try await shell.run(PollScript(jobDirectory: job, offset: 6, extent: .bytes(3)))
        #expect(piece.text == "wor")
        #expect(piece.control.end?.logSize == 12)
        #expect(piece.control.end?.facts.exitCode == 3)
        #expect(piece.control.end?.facts.endedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(try await shell.run(PollScript(jobDirectory: job, offset: 6, extent: .all)).text == "world\n")
        #expect(try await shell.run(PollScript(jobDirectory: job, offset: 0, extent: .lastLines(1))).text == "world\n")
        let missing = try await shell.run(PollScript(jobDirectory: root.path + "/jobs/none", offset: 0, extent: .all))
        #expect(missing.control.jobMissing)
    }

    /// Offsets past 4 GB: BusyBox's `wc -c` wraps there, so sizes come from `stat`.
    @Test(arguments: LocalShell.all)
    func aLogOfFiveGigabytesHasItsSize(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["exitcode": "0\n", "output.log": ""])
        let size: UInt64 = 5 << 30
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: job + "/output.log", isDirectory: false))
        try log.truncate(atOffset: size - 5)
        try log.seekToEnd()
        try log.write(contentsOf: Data("\nend\n".utf8))
        try log.close()
        let run = try await shell.run(PollScript(jobDirectory: job, offset: size - 4, extent: .all))
        #expect(run.control.end?.logSize == size)
        #expect(run.text == "end\n")
        let last = try await shell.run(PollScript(jobDirectory: job, offset: 0, extent: .lastLines(1)))
        #expect(last.text == "end\n")
    }

    @Test(arguments: LocalShell.all)
    func followCopiesTheRestOfAnEndedJob(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["output.log": "one\ntwo\n", "exitcode": "0\n"])
        let run = try await shell.run(FollowScript(jobDirectory: job, offset: 4, process: nil))
        #expect(run.text == "two\n")
        #expect(run.control.end == EndLine(logSize: 8, facts: JobFacts(exists: true, exitCode: 0)))
    }

    @Test(arguments: LocalShell.all)
    func waitReturnsTheFactsOfAnEndedJob(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["output.log": "", "exitcode": "7\n", "stopped": "TERM\n"])
        let run = try await shell.run(WaitScript(jobDirectory: job, process: nil))
        #expect(run.control.end?.facts.exitCode == 7)
        #expect(run.control.end?.facts.stoppedBy == "TERM")
    }

    @Test(arguments: LocalShell.all)
    func stopEndsTheWholeProcessGroup(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["output.log": ""])
        // A process group of this test's own: `setsid` makes the sleep its leader.
        let started = try await Shell.lines(
            "/bin/sh", ["-c", "setsid sleep 60 < /dev/null > /dev/null 2>&1 & echo $!"])
        let pid = try #require(started.first.flatMap { Int($0) })
        let run = try await shell.run(StopScript(jobDirectory: job, signal: .term, graceSeconds: 2, pid: pid))
        #expect(run.text == "stopped\n")
        #expect(run.control.end?.facts.processAlive == false)
        #expect(run.control.end?.facts.stoppedBy == "TERM")
        #expect(kill(pid_t(pid), 0) != 0 || Self.isZombie(pid), "the sleep is gone")
        let ended = try await shell.run(StopScript(jobDirectory: job, signal: .term, graceSeconds: 1, pid: nil))
        #expect(ended.text == "ended\n", "no pid: nothing to stop")
    }

    static func isZombie(_ pid: Int) -> Bool {
        ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").split(separator: ")").last?
            .trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    @Test(arguments: LocalShell.all)
    func reconcileReportsEveryJob(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("a", files: ["exitcode": "3\n", "pid": "\(getpid())\n"])
        let facts = try await shell.ask(ReconcileScript(root: root.path, jobs: [("a", nil), ("b", "12")]))
        #expect(facts.jobs["a"]?.exitCode == 3)
        #expect(facts.jobs["a"]?.processAlive == true, "the pid file names this live process")
        #expect(facts.jobs["b"] == JobFacts(exists: false))
    }

    /// A job the queue has just started (its entry renamed to `launched`, `queued` gone)
    /// whose wrapper has not written its pid yet is alive, not a job whose files are gone;
    /// a `launched` marker over a minute old without a pid is a wrapper that died.
    @Test(arguments: LocalShell.all)
    func reconcileSeesAJobJustTakenFromTheQueueAsAlive(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("f", files: ["launched": "", "start": "job=x\n"])
        let stale = try root.job("s", files: ["launched": "", "start": "job=x\n"])
        let old = Date().addingTimeInterval(-120)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: stale + "/launched")
        let facts = try await shell.ask(ReconcileScript(root: root.path, jobs: [("f", nil), ("s", nil)]))
        #expect(facts.jobs["f"]?.processAlive == true)
        #expect(facts.jobs["s"]?.processAlive == false)
    }

    /// A job whose process is a zombie (ended, not yet reaped) is not alive; the process
    /// check is one `stat` of `/proc/PID/exe`, which a zombie no longer has.
    @Test(arguments: LocalShell.all)
    func reconcileTellsAZombieFromALiveProcess(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let pidFile = root.path + "/zombie.pid"
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        // A child that ends only once its parent has become a `sleep 60`, which never reaps
        // it (ending earlier, the shell might reap it before the exec).
        let script = root.path + "/zombie.sh"
        try """
        sh -c 'until read -r c < /proc/$PPID/comm && [ "$c" = sleep ]; do [ -d /proc/$PPID ] || exit; sleep 0.01; done' &
        echo $! > "$1"
        exec sleep 60

        """.write(toFile: script, atomically: false, encoding: .utf8)
        let started = try await Shell.lines(
            "/bin/sh", ["-c", "/bin/sh \"$0\" \"$1\" < /dev/null > /dev/null 2>&1 & echo $!", script, pidFile])
        let parent = try #require(started.first.flatMap { pid_t($0) })
        defer { kill(parent, SIGKILL) }
        var zombie: Int?
        for _ in 0..<400 {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                Self.isZombie(pid), kill(pid_t(pid), 0) == 0
            {
                zombie = pid
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let pid = try #require(zombie, "a zombie to look at")
        _ = try root.job("z", files: ["pid": "\(pid)\n"])
        _ = try root.job("l", files: ["pid": "\(parent)\n"])
        let facts = try await shell.ask(
            ReconcileScript(root: root.path, jobs: [("z", nil), ("l", nil), ("y", "\(pid)")]))
        #expect(facts.jobs["z"]?.processAlive == false, "the pid file names a zombie")
        #expect(facts.jobs["l"]?.processAlive == true, "the pid file names a live process")
        #expect(facts.jobs["y"] == JobFacts(exists: false))
    }

    @Test(arguments: LocalShell.all)
    func removeDeletesReadOnlyTrees(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("a")
        let locked = root.path + "/workdirs/a/cache"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        try "x".write(toFile: locked + "/f", atomically: false, encoding: .utf8)
        chmod(locked, 0o500)
        #expect(try await shell.ask(RemoveScript(root: root.path, jobs: [("a", nil)])).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/workdirs/a"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/a"))
    }

    /// A job whose wrapper still runs (its `--on-end` command, after the exit code) keeps
    /// its files, whatever its record says; forced, the wrapper's group is killed first.
    /// A pid that names another process now (the system reused it) keeps nothing.
    @Test(arguments: LocalShell.all)
    func removeKeepsAJobWhoseWrapperStillRuns(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["exitcode": "0\n", "on_end": "sleep 60"])
        _ = try root.job("b", files: ["exitcode": "0\n"])
        // The wrapper as a launch starts it, `sh R/jobs/a/run` in a session of its own (a
        // shell that stays, waiting for its sleep); and a process with nothing of the job.
        try "sleep 60; :\n".write(toFile: job + "/run", atomically: false, encoding: .utf8)
        let started = try await Shell.lines(
            "/bin/sh",
            [
                "-c",
                "setsid /bin/sh \"$0\" < /dev/null > /dev/null 2>&1 & echo $!; setsid sleep 60 < /dev/null > /dev/null 2>&1 & echo $!",
                job + "/run",
            ])
        let wrapper = try #require(started.first.flatMap { pid_t($0) })
        let other = try #require(started.last.flatMap { pid_t($0) })
        defer {
            kill(-wrapper, SIGKILL)
            kill(-other, SIGKILL)
        }
        for _ in 0..<100 {
            let line = (try? String(contentsOfFile: "/proc/\(wrapper)/cmdline", encoding: .utf8)) ?? ""
            if line.contains("/jobs/a/run") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let kept = try await shell.ask(RemoveScript(root: root.path, jobs: [("a", "\(wrapper)"), ("b", "\(other)")]))
        #expect(kept == ["a": .running])
        #expect(FileManager.default.fileExists(atPath: job + "/exitcode"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/b"), "b's pid is another process's")
        #expect(kill(other, 0) == 0 && !Self.isZombie(Int(other)), "and that process was left alone")
        let forced = try await shell.ask(RemoveScript(root: root.path, jobs: [("a", "\(wrapper)")], force: true))
        #expect(forced.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: job))
        #expect(kill(wrapper, 0) != 0 || Self.isZombie(Int(wrapper)), "the wrapper is gone")
    }

    /// A job that ended but that a queued job runs after keeps its files (the queue needs
    /// its exit code) until that one left the queue; forced, it goes.
    @Test(arguments: LocalShell.all)
    func removeKeepsAJobAQueuedJobRunsAfter(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("a", files: ["exitcode": "0\n"])
        _ = try root.job("b", files: ["exitcode": "3\n"])
        _ = try root.job("w", files: ["queued": "1\n", "after": "ok x,a\n"])
        let kept = try await shell.ask(RemoveScript(root: root.path, jobs: [("a", nil), ("b", nil)]))
        #expect(kept == ["a": .needed(by: "w")])
        #expect(FileManager.default.fileExists(atPath: root.path + "/jobs/a"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/b"))
        try FileManager.default.removeItem(atPath: root.path + "/jobs/w/queued")
        #expect(try await shell.ask(RemoveScript(root: root.path, jobs: [("a", nil)])).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/a"))
    }

    @Test(arguments: LocalShell.all)
    func makeDirectoriesReplacesPlantedLinksInPlace(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a")
        let workdir = root.path + "/workdirs/shared"
        let outside = root.path + "/outside"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "keep".write(toFile: outside + "/old", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: workdir + "/src", withDestinationPath: outside)
        try "stale".write(toFile: workdir + "/gone.txt", atomically: false, encoding: .utf8)
        let prepared = try await shell.ask(
            MakeDirectoriesScript(
                workdir: workdir, jobDirectory: job, directories: [(0o755, "src"), (0o700, "src/deep")],
                stale: ["gone.txt", "src/old"]))
        #expect(prepared.replacedLinks == ["src"])
        #expect(prepared.tools.tar)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: workdir + "/src/deep", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
        #expect(!FileManager.default.fileExists(atPath: workdir + "/gone.txt"))
        #expect(FileManager.default.fileExists(atPath: outside + "/old"), "nothing behind the link was removed")
        let mode = try FileManager.default.attributesOfItem(atPath: workdir + "/src")[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test(arguments: LocalShell.all)
    func copyFromBaseCopiesOnlyFilesStillAsRecorded(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("new")
        let base = root.path + "/workdirs/old"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try "same".write(toFile: base + "/same.txt", atomically: false, encoding: .utf8)
        try "edited".write(toFile: base + "/edited.txt", atomically: false, encoding: .utf8)
        func line(_ name: String, size: Int) throws -> String {
            var info = stat()
            lstat(base + "/" + name, &info)
            return "\(size) \(info.st_mtim.tv_sec) \(String(info.st_mode & 0o7777, radix: 8)) \(name)"
        }
        try FileManager.default.createDirectory(atPath: base + "/sub dir", withIntermediateDirectories: true)
        try "deep".write(toFile: base + "/sub dir/deep.txt", atomically: false, encoding: .utf8)
        let lines = [
            try line("same.txt", size: 4), try line("edited.txt", size: 3), try line("sub dir/deep.txt", size: 4),
        ]
        // BusyBox has no find -printf and no cp --parents: the POSIX path (stat, tar, ln).
        for hardLinks in [false, true] {
            let workdir = root.path + "/workdirs/new-\(hardLinks)"
            let copied = try await shell.ask(
                CopyFromBaseScript(base: base, workdir: workdir, jobDirectory: job, lines: lines, hardLinks: hardLinks))
            #expect(copied == ["same.txt", "sub dir/deep.txt"])
            #expect(try String(contentsOfFile: workdir + "/same.txt", encoding: .utf8) == "same")
            #expect(try String(contentsOfFile: workdir + "/sub dir/deep.txt", encoding: .utf8) == "deep")
            #expect(!FileManager.default.fileExists(atPath: workdir + "/edited.txt"))
            var original = stat()
            var copy = stat()
            lstat(base + "/same.txt", &original)
            lstat(workdir + "/same.txt", &copy)
            #expect(copy.st_mtim.tv_sec == original.st_mtim.tv_sec && copy.st_mode == original.st_mode)
            #expect((copy.st_ino == original.st_ino) == hardLinks)
        }
    }

    @Test(arguments: LocalShell.all)
    func claimWorkdirHoldsOffOthersAndAllowsATakeover(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let first = try await shell.ask(ClaimWorkdirScript(root: root.path, name: "w", jobID: "j1", takeover: nil))
        #expect(first == .claimed(tookOverFrom: nil))
        let second = try await shell.ask(ClaimWorkdirScript(root: root.path, name: "w", jobID: "j2", takeover: nil))
        #expect(second == .busy(holder: "j1", preparing: true))
        let taken = try await shell.ask(ClaimWorkdirScript(root: root.path, name: "w", jobID: "j2", takeover: "j1"))
        #expect(taken == .claimed(tookOverFrom: "j1"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.path + "/workdirs/w.lock") == "j2")
        try "1\n".write(toFile: root.path + "/jobs/j2/preparing", atomically: false, encoding: .utf8)
        _ = try await shell.run(HeartbeatScript(jobDirectory: root.path + "/jobs/j2"))
        let beat = try String(contentsOfFile: root.path + "/jobs/j2/preparing", encoding: .utf8)
        #expect((Int(beat.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1_700_000_000)
    }

    @Test(arguments: LocalShell.all)
    func launchStartsAndFollowsAJob(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let script = LaunchScript(
            root: root.path, jobID: "j", cwd: "/client", workerName: "here",
            environmentFile: Array("export A='b c'\n".utf8),
            timeoutSeconds: nil, graceSeconds: 1, follow: true, workdirName: "j", prepared: false,
            command: "echo \"$A\"; kill -INT $$")
        let run = try await shell.run(script)
        #expect(run.code == 0, "\(run.control.otherText)")
        #expect(run.control.start != nil)
        #expect(run.text == "b c\n")
        #expect(run.control.end?.facts.exitCode == 130, "killed by INT, as under ssh: not a success")
        #expect(try String(contentsOfFile: root.path + "/jobs/j/cwd", encoding: .utf8) == "/client")
    }

    /// A launch whose stdin was cut short (the connection broke while p sent it) starts
    /// nothing: a command cut in the middle could be another command.
    @Test(arguments: LocalShell.all)
    func aLaunchWithItsInputCutShortStartsNothing(shell: LocalShell) async throws {
        struct Cut: WorkerScript {
            var launch: LaunchScript
            var dropped: Int
            var arguments: KeyValuePairs<String, String> { launch.arguments }
            var input: [UInt8] { Array(launch.input.dropLast(dropped)) }
            static let source = LaunchScript.source
        }
        let root = Root()
        defer { root.remove() }
        let marker = root.path + "/ran"
        let launch = LaunchScript(
            root: root.path, jobID: "j", cwd: "/client", workerName: "here",
            environmentFile: Array("export A=1\n".utf8),
            timeoutSeconds: nil, graceSeconds: 1, follow: false, workdirName: "j", prepared: false,
            command: "touch '\(marker)'; rm -rf /nothing-to-see")
        for dropped in [1, 30, launch.input.count - 3] {
            let run = try await shell.run(Cut(launch: launch, dropped: dropped))
            #expect(run.code == 91, "cut by \(dropped): \(run.code) \(run.control.otherText)")
            #expect(run.control.otherText.contains("arrived incomplete"), "\(run.control.otherText)")
            #expect(run.control.start == nil)
            #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/j"))
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!FileManager.default.fileExists(atPath: marker), "nothing ran")
    }

    @Test(arguments: LocalShell.all)
    func thePollServerAnswersEachRequest(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        let job = try root.job("a", files: ["output.log": "0123456789", "exitcode": "0\n"])
        let run = try await shell.run(
            PollServerSession(
                requests: PollServerScript.request(jobDirectory: job, offset: 2, maxBytes: 3)
                    + PollServerScript.request(jobDirectory: root.path + "/jobs/none", offset: 0, maxBytes: 9)))
        var lines = run.stdout.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(PollServerScript.parseAnnouncement(lines.removeFirst()) != nil)
        let first = try #require(PollServerScript.parseAnswerHeader(lines.removeFirst()))
        #expect(first.count == 3)
        #expect(first.control.end?.logSize == 10)
        #expect(lines.first?.hasPrefix("234") == true)
        let second = try #require(PollServerScript.parseAnswerHeader(String(lines[0].dropFirst(3))))
        #expect(second.count == 0 && second.control.jobMissing)
    }

    /// The dashboard's measurement through the poll server: the same lines as `load.sh`'s
    /// with detail, counted exactly, between two polls on one channel.
    @Test(arguments: LocalShell.all)
    func thePollServerMeasuresTheLoadOfARoot(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("running", files: ["pid": "\(getpid())\n"])
        let job = try root.job("a", files: ["output.log": "0123456789", "exitcode": "0\n"])
        let run = try await shell.run(
            PollServerSession(
                requests: PollServerScript.loadRequest(root: root.path)
                    + PollServerScript.request(jobDirectory: job, offset: 0, maxBytes: 4)))
        var rest = run.stdout[...]
        func line() -> String {
            let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
            defer { rest = rest[min(rest.endIndex, newline + 1)...] }
            return String(decoding: rest[..<newline], as: UTF8.self)
        }
        #expect(PollServerScript.parseAnnouncement(line()) != nil)
        let count = try #require(PollServerScript.parseLoadHeader(line()))
        let text = String(decoding: rest.prefix(count), as: UTF8.self)
        rest = rest.dropFirst(count)
        let load = try #require(LoadScript.parse(text), "\(text)")
        #expect(load.runningJobs == 1 && load.cpus == ProcessInfo.processInfo.activeProcessorCount)
        #expect(load.totalMemory ?? 0 > 0)
        let poll = try #require(PollServerScript.parseAnswerHeader(line()), "the next answer follows at once")
        #expect(poll.count == 4 && String(decoding: rest.prefix(4), as: UTF8.self) == "0123")
    }

    @Test(arguments: LocalShell.all)
    func untarExtractsP_sOwnArchive(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        // The directories exist before the stream (`MakeDirectoriesScript`): it holds files and links.
        try FileManager.default.createDirectory(atPath: root.path + "/dir", withIntermediateDirectories: true)
        var archive = TarWriter.header(path: "dir/f.txt", kind: .file, mode: 0o640, size: 5, modified: 1_700_000_000)
        archive += Array("hello".utf8) + TarWriter.padding(after: 5)
        archive += TarWriter.header(
            path: "dir/link", kind: .symlink(target: "f.txt"), mode: 0o777, size: 0, modified: 0)
        archive += TarWriter.end
        struct Untar: WorkerScript {
            var directory: String
            var archive: [UInt8]
            var arguments: KeyValuePairs<String, String> { ["directory": directory] }
            var input: [UInt8] { archive }
            static let source = UntarScript.source
        }
        let run = try await shell.run(Untar(directory: root.path, archive: archive))
        #expect(run.code == 0, "\(run.control.otherText)")
        #expect(try String(contentsOfFile: root.path + "/dir/f.txt", encoding: .utf8) == "hello")
        let mode = try FileManager.default.attributesOfItem(atPath: root.path + "/dir/f.txt")[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.path + "/dir/link") == "f.txt")
    }

    /// `p pause` and `p resume`: the job's process group stopped and continued, its marker
    /// set and removed, the facts saying PAUSED only while it is.
    @Test(arguments: LocalShell.all)
    func pauseStopsTheGroupAndResumeContinuesIt(shell: LocalShell) async throws {
        struct Start: WorkerScript {
            var arguments: KeyValuePairs<String, String> { [:] }
            // Not a group leader (no job control), so setsid makes the sleep one in place.
            static let source = #"setsid sleep 30 < /dev/null > /dev/null 2>&1 & echo $!"#
        }
        let root = Root()
        defer { root.remove() }
        let pid = try #require(Int32(try await shell.run(Start()).text.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        let job = try root.job("a", files: ["pid": "\(pid)\n", "output.log": ""])
        func state() throws -> String {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            return String(stat[stat.range(of: ") ")!.upperBound...].prefix(1))
        }
        let paused = try await shell.run(PauseScript(jobDirectory: job, pause: true, pid: Int(pid)))
        #expect(try state() == "T")
        #expect(FileManager.default.fileExists(atPath: job + "/paused"))
        #expect(paused.control.end?.facts.scheduler?.state == "PAUSED", "\(paused.control.otherText)")
        let resumed = try await shell.run(PauseScript(jobDirectory: job, pause: false, pid: Int(pid)))
        #expect(try state() != "T")
        #expect(!FileManager.default.fileExists(atPath: job + "/paused"))
        #expect(resumed.control.end?.facts.scheduler == nil && resumed.control.end?.facts.processAlive == true)
    }

    /// The load a worker reports for placement: its CPUs, and p's jobs running and queued.
    @Test(arguments: LocalShell.all)
    func loadCountsTheJobsOfTheRoot(shell: LocalShell) async throws {
        let root = Root()
        defer { root.remove() }
        _ = try root.job("running", files: ["pid": "\(getpid())\n"])
        _ = try root.job("queued", files: ["queued": "1\n"])
        _ = try root.job("ended", files: ["pid": "\(getpid())\n", "exitcode": "0\n"])
        let load = try await shell.ask(LoadScript(root: root.path))
        #expect(load.cpus == ProcessInfo.processInfo.activeProcessorCount)
        #expect(load.runningJobs == 1 && load.queuedJobs == 1)
        #expect(load.availableMemory ?? 0 > 0)
        #expect(load.totalMemory == nil, "placement's probe reads no more than it needs")
        let detailed = try await shell.ask(LoadScript(root: root.path, detailed: true))
        #expect(detailed.totalMemory ?? 0 >= detailed.availableMemory ?? UInt64.max)
        #expect(detailed.runningJobs == 1 && detailed.gpuUse.isEmpty)
    }

    @Test(arguments: LocalShell.all)
    func probeAndFreeSpaceAnswer(shell: LocalShell) async throws {
        let probe = try await shell.ask(ProbeScript())
        #expect(probe.system.hasPrefix("Linux"))
        #expect(probe.tar != nil && probe.hasSetsid)
        let free = try await shell.ask(FreeSpaceScript(path: NSTemporaryDirectory()))
        #expect((free ?? 0) > 0)
    }
}

/// The worker's queue (`WorkerQueue.kick`) from every state a crash, or a job of the same
/// account, can leave: it always moves on.
@Suite("The worker's queue after a crash, under dash, bash and BusyBox sh", .timeLimit(.minutes(5)))
struct WorkerQueueCrashTests {
    struct Kick: WorkerScript {
        var root: String
        var action: String = ""
        var id: String = ""
        var arguments: KeyValuePairs<String, String> { [:] }
        // As the wrapper and the launch run it: `sh R/kick root=R [add=ID | remove=ID]`.
        var trailingArguments: [String] { ["root=\(root)"] + (action.isEmpty ? [] : ["\(action)=\(id)"]) }
        static let source = WorkerQueue.kick
    }

    /// A root whose jobs' wrapper (`run`) only notes that it ran, with its pid.
    struct QueueRoot {
        let path = NSTemporaryDirectory() + "p-queue-" + UUID().uuidString

        init() throws {
            try FileManager.default.createDirectory(atPath: path + "/queue", withIntermediateDirectories: true)
        }

        /// Job `id`, ready to be queued: its `start` arguments and a `run` that writes its pid
        /// and an exit code at once.
        func job(_ id: String) throws -> String {
            let directory = path + "/jobs/" + id
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "#!/bin/sh\necho $$ > \"$1/pid\"; echo ran > \"$1/ran\"; echo 0 > \"$1/exitcode\"\n".write(
                toFile: directory + "/run", atomically: false, encoding: .utf8)
            try "\(directory)\n\(path)/workdirs/\(id)\n0\n10\n-\n022\n-\n".write(
                toFile: directory + "/start", atomically: false, encoding: .utf8)
            return directory
        }

        func ran(_ id: String) -> Bool { FileManager.default.fileExists(atPath: path + "/jobs/" + id + "/ran") }

        func entries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path + "/queue")) ?? []).sorted()
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("timed out waiting until \(what)")
    }

    /// Locks an older p left (an empty `queue.lock` directory: a kick killed between its
    /// `mkdir` and writing its pid; one naming a dead owner) stall nothing: the queue moves
    /// at once, without a shell error.
    @Test(arguments: LocalShell.all)
    func locksAnOlderPLeftStallNothing(shell: LocalShell) async throws {
        let root = try QueueRoot()
        defer { root.remove() }
        try FileManager.default.createDirectory(atPath: root.path + "/queue.lock", withIntermediateDirectories: true)
        _ = try root.job("a")
        let run = try await shell.run(Kick(root: root.path, action: "add", id: "a"))
        #expect(run.code == 0 && run.control.otherText.isEmpty, "\(run.code): \(run.control.otherText)")
        try await Self.eventually("the queued job ran") { root.ran("a") }
        let dead = try await Shell.lines("/bin/sh", ["-c", "sh -c 'echo $$' "]).first ?? "999999"
        try "\(dead)\n".write(toFile: root.path + "/queue.lock/pid", atomically: false, encoding: .utf8)
        _ = try root.job("b")
        #expect(try await shell.run(Kick(root: root.path, action: "add", id: "b")).code == 0)
        try await Self.eventually("the second queued job ran") { root.ran("b") }
    }

    /// The lock is the kernel's (`flock`): a kick killed while it holds it leaves nothing
    /// to break, and the next one goes on at once.
    @Test(arguments: LocalShell.all)
    func aKickKilledHoldingTheLockLeavesNoLock(shell: LocalShell) async throws {
        let root = try QueueRoot()
        defer { root.remove() }
        // A process that holds it as a kick does (fd 9, locked), and becomes a sleep.
        let holder = try await Shell.lines(
            "/bin/sh",
            [
                "-c",
                "sh -c 'exec 9>> \"$0/queue.flock\"; flock 9; exec sleep 60' \"$0\" < /dev/null > /dev/null 2>&1 & echo $!",
                root.path,
            ])
        let pid = try #require(holder.first.flatMap { pid_t($0) })
        defer { kill(pid, SIGKILL) }
        for _ in 0..<200 {
            let free = try await ChildProcess.run(
                "/usr/bin/flock", arguments: ["-n", root.path + "/queue.flock", "true"], onOutput: { _ in })
            if free.status != 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // Held: a kick waits for it.
        _ = try root.job("a")
        let waiting = Task { try await shell.run(Kick(root: root.path, action: "add", id: "a")) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!root.ran("a"))
        // The holder is killed outright (SIGKILL: no trap runs): the kick goes on.
        kill(pid, SIGKILL)
        #expect(try await waiting.value.code == 0)
        try await Self.eventually("the queued job ran") { root.ran("a") }
    }

    /// Without `flock` and perl, the lock is a symbolic link, broken only when it is over
    /// a minute old.
    @Test(arguments: LocalShell.all.filter { !$0.isBusyBox })
    func withoutFlockOrPerlAStaleLinkIsBroken(shell: LocalShell) async throws {
        let bare = try shell.without(["flock", "perl"])
        let root = try QueueRoot()
        defer { root.remove() }
        #expect(symlink("999999", root.path + "/queue.lock") == 0)
        var old = [timespec(tv_sec: time(nil) - 150, tv_nsec: 0), timespec(tv_sec: time(nil) - 150, tv_nsec: 0)]
        utimensat(AT_FDCWD, root.path + "/queue.lock", &old, AT_SYMLINK_NOFOLLOW)
        _ = try root.job("a")
        let run = try await bare.run(Kick(root: root.path, action: "add", id: "a"))
        #expect(run.code == 0, "\(run.control.otherText)")
        try await Self.eventually("the queued job ran") { root.ran("a") }
        #expect(!FileManager.default.fileExists(atPath: root.path + "/queue.lock"), "released")
    }

    /// Twenty launches kick the queue at once, each job's wrapper kicks it as it ends: with
    /// two slots, never more than two run at once, whichever lock the worker has (flock,
    /// perl, the link). (Breaking the link when its owner looked gone let three and four run.)
    @Test(arguments: ["flock", "perl", "link"])
    func twentyKicksAtOnceKeepTheSlots(lock: String) async throws {
        let shell: LocalShell
        switch lock {
        case "flock": shell = .dash
        case "perl": shell = try LocalShell.dash.without(["flock"])
        default: shell = try LocalShell.dash.without(["flock", "perl"])
        }
        struct Stress: WorkerScript {
            var root: String
            var arguments: KeyValuePairs<String, String> { [:] }
            var trailingArguments: [String] { [root, WorkerQueue.kick] }
            static let source =
                #"R=$1; mkdir -p "$R/queue" "$R/jobs"; printf "%s" "$2" > "$R/kick"; echo 2 > "$R/slots"; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do J=$R/jobs/j$i; mkdir -p "$J" "$R/workdirs/j$i"; printf "%s\n" "J=\$1; R=\${J%/jobs/*}; echo \$\$ > \"\$J/pid.tmp\"; mv -f \"\$J/pid.tmp\" \"\$J/pid\"; echo \"start \$(date +%s%N)\" >> \"\$J/times\"; sleep 0.2; echo \"end \$(date +%s%N)\" >> \"\$J/times\"; echo 0 > \"\$J/exitcode.tmp\"; mv -f \"\$J/exitcode.tmp\" \"\$J/exitcode\"; sh \"\$R/kick\" root=\"\$R\" < /dev/null > /dev/null 2>&1" > "$J/run"; printf "%s\n" "$J" "$R/workdirs/j$i" 0 10 argument 022 - > "$J/start"; done; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sh "$R/kick" root="$R" add=j$i < /dev/null > /dev/null 2>&1 & done; wait; n=0; while [ $n -lt 300 ]; do c=0; for J in "$R"/jobs/*; do [ -f "$J/exitcode" ] && c=$((c+1)); done; [ $c = 20 ] && break; sleep 0.1; n=$((n+1)); done; for J in "$R"/jobs/*; do cat "$J/times"; done"#
        }
        let root = try QueueRoot()
        defer { root.remove() }
        let run = try await shell.run(Stress(root: root.path))
        var edges: [(UInt64, Int)] = []
        for line in run.text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, let time = UInt64(words[1]) { edges.append((time, words[0] == "start" ? 1 : -1)) }
        }
        #expect(edges.count == 40, "every job ran once: \(edges.count / 2)")
        var running = 0
        var peak = 0
        for edge in edges.sorted(by: { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }) {
            running += edge.1
            peak = max(peak, running)
        }
        #expect(peak <= 2, "\(lock): \(peak) ran at once")
    }

    /// A job started from the queue whose wrapper died before writing its pid holds its
    /// slot for a minute at most, not for ever.
    @Test(arguments: LocalShell.all)
    func aLaunchWithoutPidHoldsNoSlotForEver(shell: LocalShell) async throws {
        let root = try QueueRoot()
        defer { root.remove() }
        try "1\n".write(toFile: root.path + "/slots", atomically: false, encoding: .utf8)
        let dead = try root.job("dead")
        try "".write(toFile: dead + "/launched", atomically: false, encoding: .utf8)
        _ = try root.job("next")
        // Just launched (its wrapper may write its pid any moment): it holds the slot.
        #expect(try await shell.run(Kick(root: root.path, action: "add", id: "next")).code == 0)
        #expect(!root.ran("next"))
        #expect(root.entries().count == 1)
        // Two minutes later, still without a pid: it holds nothing.
        var old = [timespec(tv_sec: time(nil) - 150, tv_nsec: 0), timespec(tv_sec: time(nil) - 150, tv_nsec: 0)]
        utimensat(AT_FDCWD, dead + "/launched", &old, 0)
        #expect(try await shell.run(Kick(root: root.path)).code == 0)
        try await Self.eventually("the next job ran") { root.ran("next") }
    }

    /// A sequence counter left at 2^63-1 (the old `queue.seq`) or an entry with a number of
    /// any size: new entries are still numbered within twelve digits, after the others.
    @Test(arguments: LocalShell.all)
    func sequenceNumbersStayInRange(shell: LocalShell) async throws {
        let root = try QueueRoot()
        defer { root.remove() }
        try "9223372036854775807\n".write(toFile: root.path + "/queue.seq", atomically: false, encoding: .utf8)
        try "1\n".write(toFile: root.path + "/slots", atomically: false, encoding: .utf8)
        // A job that holds the only slot, so the others stay queued and their entries show.
        let holder = try root.job("holder")
        try "\(getpid())\n".write(toFile: holder + "/pid", atomically: false, encoding: .utf8)
        for id in ["a", "b"] {
            _ = try root.job(id)
            #expect(try await shell.run(Kick(root: root.path, action: "add", id: id)).code == 0)
        }
        #expect(root.entries() == ["000000000001-a", "000000000002-b"], "\(root.entries())")
        // A forged entry at the top of the range: the next one is numbered at most there too.
        FileManager.default.createFile(atPath: root.path + "/queue/999999999999-x", contents: nil)
        _ = try root.job("c")
        #expect(try await shell.run(Kick(root: root.path, action: "add", id: "c")).code == 0)
        #expect(root.entries().allSatisfy { $0.count == 14 }, "\(root.entries())")
        #expect(root.entries().last == "999999999999-x" || root.entries().contains("999999999999-c"))
        // The slot frees: the queue starts its first job, in order, and drops the stray entry.
        try "0\n".write(toFile: holder + "/exitcode", atomically: false, encoding: .utf8)
        #expect(try await shell.run(Kick(root: root.path)).code == 0)
        try await Self.eventually("job a ran") { root.ran("a") }
        #expect(!root.ran("b"))
    }
}

/// The claim a submit with a client key makes on the worker (`ClaimJobScript`), and the
/// request it keeps there (`KeyedRequest`).
@Suite("Claiming a client key's job, under dash, bash and BusyBox sh")
struct ClaimJobScriptTests {
    let request = KeyedRequest(JobRequest(command: "make test", worker: "box", clientKey: "k"))

    @Test(arguments: LocalShell.all)
    func oneClaimWinsAndTheOthersSeeWhatItAskedFor(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        let claim = ClaimJobScript(root: root.path, jobID: "a", request: request)
        #expect(try await shell.ask(claim) == .claimed)
        #expect(try await shell.ask(claim) == .taken(request: request, started: false))
        // Started: its cmd is there, and its pid.
        try "x".write(toFile: root.path + "/jobs/a/cmd", atomically: false, encoding: .utf8)
        try "4242\n".write(toFile: root.path + "/jobs/a/pid", atomically: false, encoding: .utf8)
        #expect(try await shell.ask(claim) == .taken(request: request, started: true, pid: 4242))
    }

    /// A claim whose p stopped refreshing it (killed while syncing) is taken over; one
    /// whose job started never is.
    @Test(arguments: LocalShell.all)
    func aStaleClaimIsTakenOver(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        let claim = ClaimJobScript(root: root.path, jobID: "a", request: request)
        #expect(try await shell.ask(claim) == .claimed)
        try "\(Int(Date().timeIntervalSince1970) - 60)\n".write(
            toFile: root.path + "/jobs/a/preparing", atomically: false, encoding: .utf8)
        #expect(try await shell.ask(claim) == .claimed)
        try "x".write(toFile: root.path + "/jobs/a/cmd", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: root.path + "/jobs/a/exitcode", atomically: false, encoding: .utf8)
        try "\(Int(Date().timeIntervalSince1970) - 60)\n".write(
            toFile: root.path + "/jobs/a/preparing", atomically: false, encoding: .utf8)
        #expect(try await shell.ask(claim) == .taken(request: request, started: true))
    }

    /// A claim whose stamp is being written (empty: its writer truncated the file and has not
    /// written the time yet) is not stale: taking it over let two machines' submits of one
    /// key both launch, and one removed the other's files (`twoMachinesRunAKeyOnce`, in CI).
    @Test(arguments: LocalShell.all)
    func aClaimWhoseStampIsBeingWrittenIsNotTakenOver(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        let claim = ClaimJobScript(root: root.path, jobID: "a", request: request)
        #expect(try await shell.ask(claim) == .claimed)
        try "".write(toFile: root.path + "/jobs/a/preparing", atomically: false, encoding: .utf8)
        #expect(try await shell.ask(claim) == .taken(request: request, started: false))
        #expect(FileManager.default.fileExists(atPath: root.path + "/jobs/a/request"), "nothing removed")
    }

    /// A key's job that ran and was removed leaves its request behind: the key is not
    /// claimed again (never run twice); one that never started frees its key.
    @Test(arguments: LocalShell.all)
    func aRemovedJobKeepsItsKeyUsed(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        let claim = ClaimJobScript(root: root.path, jobID: "a", request: request)
        #expect(try await shell.ask(claim) == .claimed)
        _ = try await shell.ask(RemoveScript(root: root.path, jobs: [("a", nil)]))
        #expect(try await shell.ask(claim) == .claimed, "it never started: the key is free")
        try "x".write(toFile: root.path + "/jobs/a/cmd", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: root.path + "/jobs/a/exitcode", atomically: false, encoding: .utf8)
        _ = try await shell.ask(RemoveScript(root: root.path, jobs: [("a", nil)]))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/jobs/a"))
        #expect(try await shell.ask(claim) == .removed(request: request))
    }

    @Test func requestsNameWhatDiffers() {
        let same = KeyedRequest(JobRequest(command: "make test", worker: "box", clientKey: "other"))
        #expect(request.difference(from: same) == nil)
        #expect(KeyedRequest.parse(request.line) == request)
        #expect(KeyedRequest.parse("v1 a b") == nil)
        let command = KeyedRequest(JobRequest(command: "make", worker: "box"))
        #expect(request.difference(from: command) == "a different command")
        let pool = KeyedRequest(JobRequest(command: "make test", worker: "@gpu"))
        #expect(request.difference(from: pool) == "another worker ('@gpu', not 'box')")
        let variables = KeyedRequest(
            JobRequest(command: "make test", worker: "box", environment: [(key: "A", value: "1")]))
        #expect(request.difference(from: variables) == "other environment variables")
    }
}
