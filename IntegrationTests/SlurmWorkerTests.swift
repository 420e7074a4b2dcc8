import Foundation
import Testing

@testable import RemoteJobs

/// A Slurm cluster as a worker, against a real single-node Slurm (`SlurmCluster`): jobs are
/// submitted with sbatch on the login node, keep p's exact exit codes, stream as on any
/// worker, show as queued with Slurm's reason, and stop through scancel.
@Suite("Slurm clusters as workers", .timeLimit(.minutes(10)), .throttled)
struct SlurmWorkerTests {
    @Test func exitCodesAreExactAndTheSlurmIDIsRecorded() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let done = try await world.p("-n", "--", "echo on $(hostname) in $SLURM_JOB_ID; printf 'no newline'")
        #expect(done.status == 0, "\(done.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        let slurmID = try #require(record.slurmJobID)
        #expect(
            done.stdoutText
                == "on \(ProcessInfo.processInfo.hostName.split(separator: ".")[0]) in \(slurmID)\nno newline")
        #expect(record.status == .done(endedAt: record.status.endedAt))
        #expect(done.stderr.contains("[Job done: exit 0]"), "\(done.stderr)")
        let three = try await world.p("-n", "--", "echo out; echo err >&2; exit 3")
        #expect(three.status == 3, "\(three.stderr)")
        #expect(three.stdoutText == "out\nerr\n")
        let killed = try await world.p("-n", "--", "kill -KILL $$")
        #expect(killed.status == 137, "\(killed.stderr)")
        let listed = try await world.p("ls", "-a")
        #expect(
            listed.stdoutText.contains("failed [3]") && listed.stdoutText.contains("failed [137]"),
            "\(listed.stdoutText)")
    }

    /// p's own options keep their meaning on a Slurm worker: `--timeout` (counted from the
    /// start on the node) stops the job with 124, and `--reuse-workdir` runs in the
    /// directory's persistent work directory, where what a job left survives.
    /// An array on a Slurm worker is one Slurm job array: one sbatch, each element a task
    /// of it (`ID_K`), the cap Slurm's `%N`, each exit code exact, a synced directory.
    @Test func anArrayIsOneSlurmArray() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        // Its root relative to the login's home, as the default `~/.p` is: a task starts
        // in another directory and must still find it.
        let home = try #require(try JobWorld.workerAccount(cluster.sshd).home)
        #expect(world.root.hasPrefix(home + "/"))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.remove("hpc")
            try config.register(
                Worker(
                    name: "hpc", connection: "worker", root: String(world.root.dropFirst(home.count + 1)), kind: .slurm)
            )
        }
        let project = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "data\n".write(toFile: project + "/in.txt", atomically: true, encoding: .utf8)
        let run = try await world.p(
            "-C", project, "--array", "1-4%2", "--", "echo {} $SLURM_ARRAY_TASK_ID $(cat in.txt); exit $(({} % 3))",
            timeout: .seconds(120))
        #expect(run.status == 1, "element 1's code, the first failure: \(run.stdoutText) \(run.stderr)")
        let elements = world.records.loadAll().records.filter { $0.array != nil }.sorted {
            $0.array!.index < $1.array!.index
        }
        #expect(elements.count == 4)
        let slurmIDs = elements.compactMap(\.slurmJobID)
        #expect(slurmIDs.count == 4)
        let arrayJob = Set(slurmIDs.map { $0.split(separator: "_").first.map(String.init) ?? "" })
        #expect(arrayJob.count == 1, "one sbatch: \(slurmIDs)")
        #expect(slurmIDs.map { $0.split(separator: "_").last.map(String.init) ?? "" } == ["0", "1", "2", "3"])
        for element in elements {
            let index = try #require(element.array?.index)
            #expect(element.status.reportedExitCode == Int32(index % 3), "\(index): \(element.status)")
            let logs = try await world.p("logs", element.id)
            #expect(logs.stdoutText == "\(index) \(index - 1) data\n", "\(logs.stdoutText)")
        }
        // The cap is Slurm's own throttle on the array.
        let held = try await world.p("-n", "-d", "--array", "1-3%2", "--", "sleep 30")
        let heldID = held.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let task = try #require(world.records.loadAll().records.first { $0.array?.id == heldID }?.slurmJobID)
        let shown = try await world.workerText("scontrol show job \(task.split(separator: "_")[0])")
        #expect(shown.contains("ArrayTaskThrottle=2"), "\(shown)")
        let stopped = try await world.p("stop", heldID)
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }

    @Test func timeoutAndPersistentWorkDirectoriesWorkAsOnAnyWorker() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let timedOut = try await world.p("-n", "--timeout", "2s", "--grace", "1s", "--", "echo begun; sleep 60")
        #expect(timedOut.status == 124, "\(timedOut.stderr)")
        #expect(timedOut.stdoutText == "begun\n")
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(["a.txt": "a"], under: project)
        let first = try await world.p("-C", project, "--reuse-workdir", "--", "cat a.txt; echo cached > cache.txt")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutText == "a")
        let second = try await world.p("-C", project, "--reuse-workdir", "--", "cat cache.txt")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "cached\n")
    }

    /// Slurm's `--time` limit stops the job as p's `--timeout` would: exit 124, `stopped`
    /// by `timeout`; Slurm's own notice stays out of the job's output.
    @Test func slurmsTimeLimitIsATimeout() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        // `exec`: Slurm signals every process of the job, and a shell that outlives its
        // child by a moment prints "Terminated" (the shell's notice, not Slurm's).
        let result = try await world.p(
            "-n", "--time", "0:02", "--", "echo begun; exec sleep 300", timeout: .seconds(150))
        #expect(result.status == 124, "\(result.stderr)")
        #expect(result.stdoutText == "begun\n", "Slurm's notices go to slurm.log, not the output")
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.status.name == "stopped", "\(record.status)")
        #expect(result.stderr.contains("timeout"), "\(result.stderr)")
        let notices = try await world.workerText("cat '\(world.jobDirectory(record.id))/slurm.log'")
        #expect(notices.contains("TIME LIMIT"), "\(notices)")
    }

    /// A job behind a drained node is `queued` with Slurm's reason, in the stream and in
    /// `p ls`, and runs when the node comes back.
    @Test func aJobBehindADrainedNodeIsQueuedAndStartsOnResume() async throws {
        let cluster = try SlurmCluster.own()
        let world = try await cluster.world()
        try cluster.drain()
        let waiting = try world.start("-n", "--", "echo ran")
        try await JobWorld.eventually("the job shows as queued", timeout: .seconds(30)) {
            waiting.stderrSoFar.contains("queued by Slurm")
        }
        let record = try #require(world.records.loadAll().records.first)
        let slurmID = try #require(record.slurmJobID)
        #expect(try cluster.state(of: slurmID).hasPrefix("PENDING"))
        // Slurm words it as `ReqNodeNotAvail, UnavailableNodes:p-node` or as "Nodes required
        // for job are DOWN, DRAINED or ...", depending on which of its passes saw the job last.
        let drained = ["ReqNodeNotAvail", "DRAINED"]
        #expect(drained.contains { waiting.stderrSoFar.contains($0) }, "\(waiting.stderrSoFar)")
        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains("queued ("), "\(listed.stdoutText)")
        #expect(drained.contains { listed.stdoutText.contains($0) }, "\(listed.stdoutText)")
        let json = try await world.p("ls", "--json")
        #expect(json.stdoutText.contains("\"queued\""), "\(json.stdoutText)")
        // Ctrl+C while it is queued detaches: the job stays in Slurm's queue.
        let detached = try world.start("-n", "--", "echo second")
        try await JobWorld.eventually("the second job shows as queued", timeout: .seconds(30)) {
            detached.stderrSoFar.contains("queued by Slurm")
        }
        detached.signal(SIGINT)
        let interrupted = try await detached.wait()
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        #expect(interrupted.stderr.contains("Detached from job"), "\(interrupted.stderr)")
        let second = try #require(world.records.loadAll().records.first { $0.id != record.id })
        #expect(second.status.name == "queued")
        try cluster.resume()
        let secondEnded = try await world.p("wait", second.id, timeout: .seconds(90))
        #expect(secondEnded.status == 0, "\(secondEnded.stderr)")
        #expect(try await world.p("logs", second.id).stdoutText == "second\n")
        let ended = try await waiting.wait(timeout: .seconds(90))
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(ended.stdoutText == "ran\n")
        let final = try #require(try world.records.load(record.id))
        #expect(final.status.name == "done")
        #expect(final.startedAt != nil && final.startedAt! >= final.submittedAt.addingTimeInterval(-2))
    }

    /// `p stop` cancels a job still in the queue, and stops a running one with TERM
    /// first, which its command sees.
    @Test func stopCancelsAQueuedJobAndSignalsARunningOne() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let later = try JobWorld.id(
            try await world.p("-n", "-d", "--sbatch", "--begin=now+3600", "--", "echo never"))
        let queued = try await world.p("ls")
        #expect(queued.stdoutText.contains("queued (BeginTime)"), "\(queued.stdoutText)")
        let stopQueued = try await world.p("stop", later)
        #expect(stopQueued.status == 0, "\(stopQueued.stderr)")
        let slurmID = try #require(try world.records.load(later)?.slurmJobID)
        #expect(try cluster.state(of: slurmID).hasPrefix("CANCELLED"))
        #expect(try world.records.load(later)?.status.name == "stopped")

        let running = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--",
                "trap 'echo got TERM; exit 7' TERM; echo waiting; while :; do sleep 0.1; done"))
        try await world.waitForOutput(running, "waiting")
        let stopped = try await world.p("stop", running)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let record = try #require(try world.records.load(running))
        #expect(record.status == .stopped(signal: "TERM", exitCode: 7, endedAt: record.status.endedAt))
        // (bash may add "Terminated" for the sleep it was waiting for, as it does under `p
        // stop` on an SSH worker: the signal reaches every process of the job.)
        let logs = try await world.p("logs", running)
        #expect(logs.stdoutText.hasPrefix("waiting\n") && logs.stdoutText.hasSuffix("got TERM\n"), "\(logs.stdoutText)")
        let again = try await world.p("stop", running)
        #expect(again.status == 1 && again.stderr.contains("not running"), "\(again.stderr)")
    }

    /// The job's variables reach it through the 0600 env file on the shared root, never an
    /// argv on the login node (where sbatch and the scripts run) or the node.
    @Test func variablesNeverOnAnArgvAndTheFilesArePrivate() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let secret = "s3cret-slurm 'q' $HOME"
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "-e", "P_SECRET=\(secret)", "--",
                "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; printf '%s' \"$P_SECRET\""))
        try await JobWorld.eventually("the job runs on the node") {
            try await world.existsOnWorker(world.jobDirectory(id) + "/pid")
        }
        // The secret is on no argv (the words, which name the variable, are the shell's
        // argument, as under ssh).
        let processes = try await world.workerText("ps -eo args")
        #expect(!processes.contains("s3cret"))
        for file in ["cmd", "env", "run", "slurm_id", "output.log"] {
            #expect(try await world.workerText("stat -c %a '\(world.jobDirectory(id))/\(file)'") == "600", "\(file)")
        }
        try await world.letGo(id)
        let logs = try await world.p("logs", "-f", id)
        #expect(logs.stdoutText == secret)
        #expect(logs.status == 0, "\(logs.stderr)")
    }

    /// A Slurm job outlives the p that submitted it; `p wait` and `p logs` find it after.
    @Test func aJobSurvivesItsClient() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let client = try world.start(
            "-n", "--",
            "echo one; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo two; exit 5")
        try await client.waitForOutput("one\n")
        client.signal(SIGKILL)
        _ = try? await client.wait()
        let id = try #require(world.records.loadAll().records.first?.id)
        #expect(try world.records.load(id)?.status.isRunning == true)
        try await world.letGo(id)
        let waited = try await world.p("wait", id)
        #expect(waited.status == 5, "\(waited.stderr)")
        #expect(try await world.p("logs", id).stdoutText == "one\ntwo\n")
    }

    /// The stream of a Slurm job loses nothing when p's connection dies: `p logs -f`
    /// resumes at the byte where it stopped.
    @Test func outputIsExactThroughADroppedConnection() async throws {
        let cluster = try await SlurmCluster.shared()
        let proxy = try FaultProxy(targetPort: cluster.sshd.port)
        defer { proxy.stop() }
        let world = try await cluster.world()
        try
            (String(contentsOfFile: world.sshConfigFile, encoding: .utf8)
            + JobWorld.hostBlock(
                name: "flaky", sshd: cluster.sshd, port: proxy.port,
                extra: "    ServerAliveInterval 2\n    ServerAliveCountMax 3")).write(
                toFile: world.sshConfigFile, atomically: true, encoding: .utf8)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "flaky", connection: "flaky", root: world.root, kind: .slurm))
        }
        let process = try world.start("flaky", "-n", "--", JobFaultTests.counting)
        try await process.waitForOutput("line 3\n", timeout: .seconds(90))
        proxy.blackhole()
        let cut = try await process.wait(timeout: .seconds(30))
        #expect(cut.status == 255, "\(cut.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        #expect(record.resumeOffset == UInt64(cut.stdout.count))
        try await world.letGo(record.id)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.remove("flaky")
            try config.register(Worker(name: "flaky", connection: "worker", root: world.root, kind: .slurm))
        }
        let resumed = try await world.p("logs", "-f", record.id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(String(decoding: cut.stdout + resumed.stdout, as: UTF8.self) == JobFaultTests.expected)
        #expect(try world.records.load(record.id)?.status.name == "done")
    }

    /// `register --slurm` proves the compute node sees the root with a probe job; a busy
    /// cluster is registered with a note; plain `register` says sbatch is there.
    @Test func registerRunsAProbeJob() async throws {
        let cluster = try SlurmCluster.own()
        let world = try await JobWorld.make(sshd: cluster.sshd, register: false)
        let plain = try await world.p("worker", "register", "worker", "-n", "plain", "--root", world.root)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdoutText.contains("register it with --slurm"), "\(plain.stdoutText)")
        let slurm = try await world.p(
            "worker", "register", "worker", "-n", "hpc", "--slurm", "--root", world.root, "--sbatch-options",
            "--partition debug")
        #expect(slurm.status == 0, "\(slurm.stderr)")
        #expect(slurm.stdoutText.contains("registered Slurm cluster 'hpc'"), "\(slurm.stdoutText)")
        let node = try Shell.run("hostname", []).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(slurm.stdoutText.contains("ran on \(node) and wrote into the root"), "\(slurm.stdoutText)")
        let config = try world.store.load()
        let hpc = try config.worker(named: "hpc")
        #expect(hpc.kind == .slurm && hpc.sbatchOptions == ["--partition", "debug"])
        #expect(try await world.workerText("ls -A '\(world.root)'").contains("probe") == false, "the probe cleans up")

        try cluster.drain()
        let busy = try await world.p(
            "worker", "register", "worker", "-n", "busy", "--slurm", "--root", world.root, "--probe-wait", "3s")
        #expect(busy.status == 0, "\(busy.stderr)")
        #expect(busy.stdoutText.contains("was still queued"), "\(busy.stdoutText)")
        let refused = try await world.p(
            "worker", "register", "worker", "-n", "bad", "--slurm", "--root", world.root, "--sbatch-options",
            "--partition nosuch")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("invalid partition"), "\(refused.stderr)")
        #expect((try? world.store.load().worker(named: "bad")) == nil)
        try cluster.resume()
    }

    /// Bad requests: Slurm options on an SSH worker, an option sbatch refuses (its message,
    /// nothing left behind).
    /// The Slurm scripts (the probe job, the submission and its stream, stop, reconcile) on
    /// a login node whose `sh` is bash (in POSIX mode, as where `/bin/sh` is bash) or
    /// BusyBox's, with BusyBox's tools first: p runs every script as `sh -c '...'`, so they
    /// run under that shell, as the other scripts do in the unit tests.
    @Test(arguments: ["bash", "busybox"])
    func theSlurmScriptsRunUnderBashAndBusyBox(shell: String) async throws {
        try Power.root.require(for: "a login node whose sh is \(shell)")
        let cluster = try await SlurmCluster.shared()
        let (world, sshd) = try await cluster.world(sh: shell)
        defer { sshd.stop() }
        let sh = try await world.workerText("readlink -f \"$(command -v sh)\"")
        #expect(sh.hasSuffix(shell), "the login node's sh: \(sh)")
        let registered = try await world.p(
            "worker", "register", "worker", "-n", "hpc", "--slurm", "--root", world.root, "--probe-wait", "60s")
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stdoutText.contains("probe job"), "\(registered.stdoutText)")
        let three = try await world.p("-n", "--", "echo out; echo err >&2; exit 3")
        #expect(three.status == 3, "\(three.stderr)")
        #expect(three.stdoutText == "out\nerr\n")
        #expect(try world.records.loadAll().records.first?.slurmJobID != nil)
        let running = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "trap 'echo got TERM; exit 7' TERM; echo waiting; while :; do sleep 0.1; done"))
        try await world.waitForOutput(running, "waiting")
        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains("running"), "\(listed.stdoutText)")
        let stopped = try await world.p("stop", running)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let record = try #require(try world.records.load(running))
        #expect(record.status == .stopped(signal: "TERM", exitCode: 7, endedAt: record.status.endedAt))
    }

    @Test func badRequestsAreClearErrors() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "plain", connection: "worker", root: world.root))
        }
        let onSSH = try await world.p("plain", "-n", "--partition", "debug", "--", "true")
        #expect(onSSH.status == 1, "\(onSSH.stderr)")
        #expect(onSSH.stderr.contains("--partition=debug is an option for Slurm workers"), "\(onSSH.stderr)")
        // --gpus on an SSH worker claims GPUs there, through nvidia-smi, which this one lacks.
        let gpus = try await world.p("plain", "-n", "--gpus", "1", "--", "true")
        #expect(gpus.status == 1 && gpus.stderr.contains("needs nvidia-smi on the worker"), "\(gpus.stderr)")
        let refused = try await world.p("-n", "--partition", "nosuch", "--", "true")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("invalid partition"), "\(refused.stderr)")
        #expect(world.records.loadAll().records.isEmpty, "no record of a job Slurm refused")
        #expect(try await world.workerText("ls -A '\(world.root)/jobs'").isEmpty, "nothing left on the worker")
        let quote = try await world.p("-n", "--sbatch", "--comment 'open", "--", "true")
        #expect(quote.status == 2 || quote.status == 1)
        #expect(quote.stderr.contains("inside a quote"), "\(quote.stderr)")
    }

    /// `p mcp` submits to a Slurm worker, polls it through `queued` to its end, and lists it.
    @Test func theMCPToolsWorkOnASlurmWorker() async throws {
        let cluster = try await SlurmCluster.shared()
        let world = try await cluster.world()
        let session = try await MCPSession.start(world)
        defer { Task { await session.stop() } }
        let submitted = try await session.job(
            "submit", ["command": "echo from slurm; exit 4", "host": "hpc", "time": "5", "cpus": 1])
        let id = try #require(submitted.string("job_id"), "\(submitted.error ?? "")")
        #expect(submitted.string("status") == "queued")
        var output = ""
        var offset = 0
        var status = ""
        for _ in 0..<60 {
            let poll = try await session.job("poll", ["job_id": .string(id), "since": .int(offset), "wait_s": 5])
            #expect(poll.error == nil, "\(poll.error ?? "")")
            output += poll.string("output_chunk") ?? ""
            offset = poll.int("new_offset") ?? offset
            status = poll.string("status") ?? ""
            if !["queued", "running"].contains(status) && poll.bool("more") == false { break }
        }
        #expect(status == "failed")
        #expect(output == "from slurm\n")
        let listed = try await session.job("list")
        #expect(listed.error == nil)
    }
}
