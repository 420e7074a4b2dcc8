import Foundation
import Testing

@testable import RemoteJobs

/// Slots, the queue on the worker, dependencies and placement, against real sshds: the
/// queue runs with no client connected, never exceeds its slots with many clients at once,
/// and comes back after the worker lost its jobs.
@Suite("The queue on the worker, dependencies and placement", .timeLimit(.minutes(10)), .throttled)
struct WorkerQueueTests {
    static func setSlots(_ world: JobWorld, _ slots: Int?, worker: String = "box") async throws {
        try await world.store.update { config throws(RemoteJobsError) in
            try config.change(worker, slots: .some(slots))
        }
    }

    /// The output of job `id` as the worker holds it, read without p (no contact that
    /// would run the queue).
    static func log(_ world: JobWorld, _ id: String) async throws -> String {
        try await world.workerText("cat '\(world.jobDirectory(id))/output.log' 2>/dev/null")
    }

    @Test(arguments: JobWorld.kinds) func threeJobsWithOneSlotRunInOrderWithNoClientConnected(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        try await Self.setSlots(world, 1)
        var ids: [String] = []
        for index in 1...3 {
            ids.append(
                try JobWorld.id(
                    try await world.p(
                        "-n", "-d", "--", "echo start $(date +%s%N); sleep 0.5; echo end $(date +%s%N) \(index)")))
        }
        // Nothing of p touches the worker from here on: the wrappers start one another.
        try await JobWorld.eventually("all three ended", timeout: .seconds(60)) {
            try await world.workerText(
                "ls \(ids.map { "'\(world.jobDirectory($0))/exitcode'" }.joined(separator: " ")) 2>/dev/null | wc -l")
                == "3"
        }
        var previousEnd: UInt64 = 0
        for (index, id) in ids.enumerated() {
            let lines = try await Self.log(world, id).split(separator: "\n").map { $0.split(separator: " ") }
            #expect(lines.count == 2 && lines[1].last.map(String.init) == "\(index + 1)", "\(lines)")
            let start = try #require(UInt64(lines[0][1]))
            let end = try #require(UInt64(lines[1][1]))
            #expect(start >= previousEnd, "job \(index + 1) started after job \(index) ended")
            previousEnd = end
        }
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.components(separatedBy: "done").count == 4, "\(listed.stdoutText)")
    }

    /// A client that waits for its queued job (`p -- ...`) and is killed: the script that
    /// waited for it on the worker ends within seconds (it checks that its client is still
    /// there), holding nothing; the job itself waits on and runs when the slot frees.
    @Test(arguments: JobWorld.kinds) func aWaitingLaunchEndsSoonAfterItsClient(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        try await Self.setSlots(world, 1)
        let holder = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"))
        let client = try world.start("-n", "--", "echo queued job ran")
        try await JobWorld.eventually("the second job is queued") {
            try world.records.loadAll().records.contains { record in
                guard record.command == "echo queued job ran", case .queued = record.status else { return false }
                return true
            }
        }
        let queued = try #require(try world.records.loadAll().records.first { $0.command == "echo queued job ran" })
        func scriptsOnWorker() async throws -> [String] {
            try await world.workerText("ps -A -ww -o args=").split(separator: "\n").map(String.init).filter {
                $0.contains(queued.id)
            }
        }
        #expect(try await !scriptsOnWorker().isEmpty, "the launch waits on the worker")
        client.signal(SIGKILL)
        _ = try? await client.wait(timeout: .seconds(10))
        try await JobWorld.eventually("the launch script ended", timeout: .seconds(30)) {
            try await scriptsOnWorker().isEmpty
        }
        try await world.letGo(holder)
        let waited = try await world.p("wait", queued.id)
        #expect(waited.status == 0, "\(waited.stderr)")
        let log = try await Self.log(world, queued.id)
        #expect(log == "queued job ran", "\(log)")
    }

    @Test(arguments: JobWorld.kinds) func twentyJobsFromTwoClientsNeverRunMoreThanTheSlots(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        try await Self.setSlots(world, 2)
        let other = try await JobWorld.make(register: false)
        try await other.store.update { config throws(RemoteJobsError) in
            var box = Worker(name: "box", connection: "worker", root: world.root, slots: 2)
            if kind == .local {
                box = Worker.local(name: "box", root: world.root)
                box.slots = 2
            }
            try config.register(box)
        }
        let command = "echo $(date +%s%N); sleep 0.3; echo $(date +%s%N)"
        let launches = try (0..<20).map { index in
            try (index % 2 == 0 ? world : other).start("-n", "-d", "--", command)
        }
        var most = 0
        let count =
            "n=0; for j in '\(world.root)'/jobs/*; do [ -f \"$j/exitcode\" ] && continue; [ -f \"$j/pid\" ] || continue; read -r k < \"$j/pid\"; kill -0 \"$k\" 2>/dev/null && n=$((n+1)); done; echo $n; ls '\(world.root)'/jobs/*/exitcode 2>/dev/null | wc -l"
        var ended = 0
        let deadline = ContinuousClock.now + .seconds(90)
        while ended < 20 && ContinuousClock.now < deadline {
            let answer = try await world.workerText(count).split(separator: "\n")
            most = max(most, Int(answer.first ?? "0") ?? 0)
            ended = Int(answer.last ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(30))
        }
        for launch in launches {
            let result = try await launch.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(ended == 20)
        #expect(most <= 2, "at most 2 ran at once (sampled \(most))")
        // Exactly, from what each job wrote: its run lies inside its slot, so no instant
        // may fall inside more than two runs.
        var edges: [(UInt64, Int)] = []
        for record in world.records.loadAll().records + other.records.loadAll().records {
            let times = try await Self.log(world, record.id).split(separator: "\n").compactMap { UInt64($0) }
            #expect(times.count == 2, "\(record.id): \(times)")
            if times.count == 2 { edges += [(times[0], 1), (times[1], -1)] }
        }
        var overlapping = 0
        var peak = 0
        for edge in edges.sorted(by: { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }) {
            overlapping += edge.1
            peak = max(peak, overlapping)
        }
        #expect(edges.count == 40)
        #expect(peak <= 2, "at most 2 jobs ran at once (their own clocks say \(peak))")
    }

    @Test(arguments: JobWorld.kinds) func dependenciesRunAfterSuccessAndFailWithTheReason(kind: WorkerKind) async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let first = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; exit 3"))
        let strict = try JobWorld.id(try await world.p("-n", "-d", "--after", first, "--", "echo should not run"))
        let lenient = try JobWorld.id(try await world.p("-n", "-d", "--after-any", first, "--", "echo ran anyway"))
        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains("queued (position"), "\(listed.stdoutText)")
        #expect(listed.stdoutText.contains("after \(first.prefix(8))"), "\(listed.stdoutText)")
        // Following a queued job waits for it, then streams.
        let follower = try world.start("logs", "-f", lenient)
        try await world.letGo(first)
        let followed = try await follower.wait()
        #expect(followed.stdoutText == "ran anyway\n", "\(followed.stderr)")
        let waited = try await world.p("wait", strict)
        #expect(waited.status == 1, "\(waited.stderr)")
        #expect(try world.records.load(strict)?.status.name == "failed")
        let log = try await world.p("logs", strict)
        #expect(log.stdoutText == "p: not started: job \(first), which it runs after, failed (exit 3)\n")
        // After a success, and through `p -- ...`, which waits in the queue and streams.
        let ok = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"))
        let chained = try world.start("-n", "--after", ok, "--", "echo second")
        try await JobWorld.eventually("the chained job says it is queued") {
            chained.stderrSoFar.contains("is queued on the worker")
        }
        try await world.letGo(ok)
        let result = try await chained.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "second\n")
        // Jobs on other workers are refused.
        let elsewhere = try await JobWorld.makeWithUnreachableWorker()
        let foreign = try JobWorld.id(try await elsewhere.p("-n", "-d", "--", "true"))
        let refused = try await elsewhere.p("gone", "-n", "--after", foreign, "--", "true")
        #expect(
            refused.status == 1 && refused.stderr.contains("only run after jobs on its own worker"), "\(refused.stderr)"
        )
    }

    @Test(arguments: JobWorld.kinds) func aQueuedJobIsStoppedWithoutRunning(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        try await Self.setSlots(world, 1)
        let holder = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--", "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done"))
        let waiting = try JobWorld.id(try await world.p("-n", "-d", "--", "echo never"))
        #expect(try world.records.load(waiting)?.status.name == "queued")
        let stopped = try await world.p("stop", waiting)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try world.records.load(waiting)?.status.name == "stopped")
        try await world.letGo(holder)
        #expect(try await world.p("wait", holder).status == 0)
        let after = try await world.p("-n", "--", "echo next")
        #expect(after.stdoutText == "next\n", "the slot is free again: \(after.stderr)")
        #expect(try await Self.log(world, waiting).isEmpty, "the stopped job never ran")
    }

    @Test func aQueueStrandedByAWorkerRestartRunsOnceBackInTouch() async throws {
        let sshd = try TestSSHD.start()
        defer { sshd.stop() }
        let world = try await JobWorld.make(sshd: sshd)
        try await Self.setSlots(world, 1)
        let holder = try JobWorld.id(try await world.p("-n", "-d", "--", "echo holding; sleep 300"))
        let queued = try JobWorld.id(try await world.p("-n", "-d", "--", "echo finally"))
        try await world.waitForOutput(holder, "holding")
        // The worker loses its jobs (KILL, as a reboot would) and its sshd restarts: no
        // wrapper ends normally to start the next job.
        try await world.killOutsideP(holder)
        try sshd.restart()
        #expect(try await Self.log(world, queued).isEmpty)
        let listed = try await world.p("ls", "-a")
        #expect(listed.status == 0, "\(listed.stderr)")
        let waited = try await world.p("wait", queued)
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try await Self.log(world, queued) == "finally")
    }

    @Test func placementPrefersTheIdleWorkerAndSkipsTheUnreachable() async throws {
        let world = try await JobWorld.makeWithUnreachableWorker()
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "idle", connection: "worker", root: world.root + "-idle"))
            for name in ["box", "idle", "gone"] { try config.change(name, addLabels: ["gpu"]) }
            // `box` and `idle` are one machine here, so their load averages are the same
            // machine's, sampled a moment apart (and far apart under load): `box`'s one slot,
            // taken, is what tells them apart. (The load and memory keys: `PlacementTests`.)
            try config.change("box", slots: 1)
        }
        // `box` is busy: a job burning a CPU, in its only slot.
        let burner = try JobWorld.id(
            try await world.p("box", "-n", "-d", "--", "while [ ! -f go ]; do :; done"))
        defer { Task { try? await world.letGo(burner) } }
        let placed = try await world.p("@gpu", "-v", "-n", "--", "echo placed")
        #expect(placed.status == 0, "\(placed.stderr)")
        #expect(placed.stdoutText == "placed\n")
        #expect(placed.stderr.contains("chose idle"), "\(placed.stderr)")
        #expect(placed.stderr.contains("skipped worker gone"), "\(placed.stderr)")
        let record = try #require(world.records.loadAll().records.first { $0.command == "echo placed" })
        #expect(record.worker == "idle")
        let none = try await world.p("@nosuch", "-n", "--", "true")
        #expect(none.status == 1 && none.stderr.contains("No worker has the label 'nosuch'"), "\(none.stderr)")
        // A label whose every worker is out of reach is a connection failure: 255, as ssh.
        try await world.store.update { config throws(RemoteJobsError) in
            try config.change("gone", addLabels: ["far"])
        }
        let unreachable = try await world.p("@far", "-n", "--", "true")
        #expect(
            unreachable.status == 255 && unreachable.stderr.contains("none of the workers labelled 'far' answered"),
            "\(unreachable.status) \(unreachable.stderr)")
        let listed = try await world.p("worker", "ls")
        #expect(listed.stdoutText.contains("gpu"), "\(listed.stdoutText)")
        try await world.letGo(burner)
    }
}

/// GPU claims on a worker whose `nvidia-smi` is a stand-in: the one fake the tests allow, a
/// script on the worker's PATH (sshd's `SetEnv`) that prints what the real one prints for
/// two GPUs (`--query-gpu=index,uuid`) and for the processes on them (`--query-compute-apps`,
/// from a file the test writes).
@Suite("GPUs claimed on a worker", .timeLimit(.minutes(10)), .throttled)
struct GPUClaimTests {
    @Test func jobsPlacedAtOnceNeverShareAGPU() async throws {
        let fake = try TestSSHD.makeTemporaryDirectory() + "/bin"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        let apps = fake + "/apps"
        try """
        #!/bin/sh
        # A stand-in for nvidia-smi: two GPUs; the processes on them are listed in \(apps).
        case "$*" in
          *--query-gpu=index,uuid*) printf '0, GPU-aaaa-0000\\n1, GPU-bbbb-1111\\n' ;;
          *--query-compute-apps=gpu_uuid*) cat '\(apps)' 2>/dev/null ;;
          *) echo "fake nvidia-smi: $*" >&2; exit 2 ;;
        esac
        """.write(toFile: fake + "/nvidia-smi", atomically: true, encoding: .utf8)
        chmod(fake + "/nvidia-smi", 0o755)
        chmod((fake as NSString).deletingLastPathComponent, 0o755)
        chmod(fake, 0o755)
        let sshd = try TestSSHD.start(options: ["SetEnv PATH=\(fake):/usr/local/bin:/usr/bin:/bin"])
        defer { sshd.stop() }
        let world = try await JobWorld.make(sshd: sshd)
        let other = try await JobWorld.make(sshd: sshd, register: false)
        for client in [world, other] {
            try await client.store.update { config throws(RemoteJobsError) in
                if (try? config.worker(named: "box")) == nil {
                    try config.register(Worker(name: "box", connection: "worker", root: world.root))
                }
                try config.change("box", addLabels: ["gpu"])
            }
        }
        let probe = try await world.workerText(
            "echo $PATH; command -v nvidia-smi; nvidia-smi --query-gpu=index,uuid --format=csv,noheader")
        #expect(probe.contains("GPU-bbbb-1111"), "\(probe)")
        let hold = "echo $CUDA_VISIBLE_DEVICES; until [ -f '\(world.root)/go' ]; do sleep 0.05; done"
        // Two clients at once, one GPU each: never the same one.
        let first = try world.start("@gpu", "--gpus", "1", "-n", "-d", "--", hold)
        let second = try other.start("@gpu", "--gpus", "1", "-n", "-d", "--", hold)
        let ids = [try JobWorld.id(try await first.wait()), try JobWorld.id(try await second.wait())]
        var devices: [String] = []
        for id in ids {
            try await JobWorld.eventually("job \(id.prefix(8)) printed its GPU") {
                !(try await world.workerText("cat '\(world.jobDirectory(id))/output.log'")).isEmpty
            }
            devices.append(try await world.workerText("cat '\(world.jobDirectory(id))/output.log'"))
        }
        #expect(Set(devices) == ["0", "1"], "\(devices)")
        let none = try await world.p("@gpu", "--gpus", "1", "-n", "--", "true")
        #expect(none.status == 1 && none.stderr.contains("has 1 free GPU(s): box 0 of 2"), "\(none.stderr)")
        let named = try await world.p("box", "--gpus", "1", "-n", "--", "true")
        #expect(named.status == 1 && named.stderr.contains("0 of the 2 GPUs of the worker are free"), "\(named.stderr)")
        _ = try await world.onWorker("touch '\(world.root)/go'")
        for (client, id) in zip([world, other], ids) {
            let waited = try await client.p("wait", id)
            #expect(waited.status == 0, "\(waited.stdoutText) \(waited.stderr)")
        }
        // Released at the end; a GPU running someone else's process is not free.
        try "GPU-aaaa-0000\n".write(toFile: apps, atomically: true, encoding: .utf8)
        let one = try await world.p("@gpu", "--gpus", "1", "-v", "-n", "--", "echo $CUDA_VISIBLE_DEVICES")
        #expect(one.stdoutText == "1\n", "\(one.stderr)")
        #expect(one.stderr.contains("1 of 2 GPUs free"), "\(one.stderr)")
        try FileManager.default.removeItem(atPath: apps)
        // A claim whose job died without an exit code is taken over.
        let dead = try JobWorld.id(
            try await world.p("-n", "-d", "--gpus", "2", "--", "echo $CUDA_VISIBLE_DEVICES; sleep 300"))
        try await world.waitForOutput(dead, "0,1")
        try await world.killOutsideP(dead)
        let both = try await world.p("--gpus", "2", "-n", "--", "echo $CUDA_VISIBLE_DEVICES")
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdoutText == "0,1\n")
    }
}
