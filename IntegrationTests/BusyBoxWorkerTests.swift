import Foundation
import Testing

@testable import RemoteJobs

/// A worker whose login shell and tools are BusyBox's: an account on a test sshd whose shell
/// is BusyBox's `sh` (ash) and whose `PATH` (set by sshd, `SetEnv`) holds only BusyBox's
/// applets, so every command p's scripts run by name (`tail`, `cp`, `find`, `stat`, `date`,
/// `setsid`, `tar`, `env`...) is BusyBox's: no bash, no GNU coreutils, no perl, no rsync.
/// Everything p does to a job runs there: register (which says what it found), launch and
/// follow, sync by tar and by SFTP, the incremental copy, stop, wait, reconcile, pause and
/// resume; `--max-log` is refused with the reason (BusyBox's `fallocate` cannot punch).
@Suite("A BusyBox worker", .timeLimit(.minutes(10)), .throttled)
struct BusyBoxWorkerTests {
    static let applets = "/opt/p-test-busybox/bin"

    /// A world whose worker `box` is the BusyBox account, registered through `p worker
    /// register` (its report is returned).
    static func world() async throws -> (JobWorld, registered: PProcess.Result) {
        try Power.root.require(for: "an account whose login shell and tools are BusyBox's")
        try installApplets()
        let account = try JobWorld.localTestAccount("pbusybox", shell: applets + "/sh")
        let sshd = try TestSSHD.start(options: ["SetEnv PATH=\(applets)"])
        let world = try await JobWorld.make(sshd: sshd, register: false, login: account)
        let registered = try await world.p("worker", "register", "worker", "-n", "box", "--root", world.root)
        return (world, registered)
    }

    /// A directory of links to BusyBox, one per applet (as an Alpine system has them).
    static func installApplets() throws {
        let candidates: [String] = ["/bin/busybox", "/usr/bin/busybox"]
        guard let busybox = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw TestFailure("BusyBox is not installed; scripts/test installs it (apt-get install busybox)")
        }
        try FileManager.default.createDirectory(atPath: applets, withIntermediateDirectories: true)
        for applet in try Shell.run(busybox, ["--list"]).split(separator: "\n") {
            let link = applets + "/" + applet
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
                try? FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: busybox)
            }
        }
    }

    /// The processes of group `pgid` on this machine (the worker), zombies left out: read
    /// from `/proc` here, since the worker's BusyBox `ps` has too few columns.
    static func livingProcesses(inGroup pgid: Int) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name in
            guard Int(name) != nil, let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After the command's name: state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int(fields[2]) == pgid else { return nil }
            return stat
        }
    }

    @Test func registerSaysWhatItFoundAndJobsSyncRunAndEnd() async throws {
        let (world, registered) = try await Self.world()
        defer { world.sshd.stop() }
        #expect(registered.status == 0, "\(registered.stderr)")
        let report = registered.stdoutText
        #expect(report.contains("shell \(Self.applets)/sh, BusyBox tools"), "\(report)")
        #expect(report.contains("rsync not installed"), "\(report)")
        #expect(report.contains("INT and QUIT ignored"), "\(report)")
        #expect(report.contains("--max-log needs"), "\(report)")

        // The job runs under BusyBox; its output, exit code and synced files are exact.
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(
            ["input.txt": "from the client\n", "src/deep/a.txt": "a\n", "src/b.txt": "b\n"], under: project)
        SharedWorkdirTests.setModified(under: project)
        let first = try await world.p(
            "-C", project, "-v", "--", "tail --help 2>&1 | head -n 1 | cut -c1-7; cat input.txt src/deep/a.txt; exit 3")
        #expect(first.status == 3, "\(first.stderr)")
        #expect(first.stdoutText == "BusyBox\nfrom the client\na\n")

        // The second sync copies the unchanged files on the worker (BusyBox cp) and sends
        // only the changed one, by tar and by SFTP.
        for transport in ["tar", "sftp"] {
            try "changed for \(transport)\n".write(toFile: project + "/input.txt", atomically: true, encoding: .utf8)
            let again = try await world.p(
                "-C", project, "-v", "--sync-via", transport, "--", "cat input.txt src/b.txt src/deep/a.txt")
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdoutText == "changed for \(transport)\nb\na\n")
            #expect(again.stderr.contains("2 files already on the worker"), "\(transport): \(again.stderr)")
        }

        // --max-log is refused with the reason, and nothing is left of the job.
        let capped = try await world.p("-n", "--max-log", "1M", "--", "echo never")
        #expect(capped.status != 0)
        #expect(capped.stderr.contains("fallocate"), "\(capped.stderr)")
        #expect(!capped.stdoutText.contains("never"))
    }

    @Test func stopWaitPauseAndReconcile() async throws {
        let (world, registered) = try await Self.world()
        defer { world.sshd.stop() }
        #expect(registered.status == 0, "\(registered.stderr)")

        // A counting job, paused: its count stands still until it is resumed.
        let counting = try JobWorld.id(
            try await world.p("-n", "-d", "--", "i=0; while :; do i=$((i+1)); echo $i > count; sleep 0.05; done"))
        let count = "\(world.root)/workdirs/\(counting)/count"
        try await JobWorld.eventually("the job counts") { (try? String(contentsOfFile: count, encoding: .utf8)) != nil }
        #expect(try await world.p("pause", counting).status == 0)
        let listed = try await world.p("ls")
        #expect(listed.stdoutText.contains("paused"), "\(listed.stdoutText)")
        let held = try String(contentsOfFile: count, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try String(contentsOfFile: count, encoding: .utf8) == held, "a paused job does not count")
        #expect(try await world.p("resume", counting).status == 0)
        try await JobWorld.eventually("the job counts again") {
            try String(contentsOfFile: count, encoding: .utf8) != held
        }

        // Stopped: the whole process group is gone, and wait says how it ended.
        let leader = try #require(world.records.load(counting)?.pid)
        #expect(try await world.p("stop", counting).status == 0)
        #expect(Self.livingProcesses(inGroup: leader).isEmpty, "no process of the job's group is left")
        let waited = try await world.p("wait", counting)
        #expect(waited.status == 143, "\(waited.stdoutText) \(waited.stderr)")

        // Reconciled: a job that ended while nobody watched, and one killed outside p.
        let quick = try JobWorld.id(try await world.p("-n", "-d", "--", "exit 7"))
        let killed = try JobWorld.id(try await world.p("-n", "-d", "--", "echo up; sleep 300"))
        try await world.waitForOutput(killed, "up")
        let killedLeader = try #require(world.records.load(killed)?.pid)
        kill(-pid_t(killedLeader), SIGKILL)
        try await JobWorld.eventually("both ended") {
            let all = try await world.p("ls", "-a").stdoutText
            return all.contains("failed") && all.contains("unknown")
        }
        #expect(try await world.p("wait", quick).status == 7)
    }
}
