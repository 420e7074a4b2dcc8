import Foundation
import SSHTransport
import Testing

@testable import RemoteJobs

/// p's keeper against a real sshd: commands share its one login, only this user's processes
/// reach it, a keeper killed mid-stream or mid-upload loses nothing, a stale socket and an
/// idle keeper clean up after themselves, host keys are checked as without it, and with it
/// turned off p connects directly as before.
@Suite("The keeper", .timeLimit(.minutes(10)), .throttled)
struct KeeperTests {
    /// A world on an sshd of its own (whose log counts only this test's logins) whose
    /// keeper stays `idle` (a minute unless the test says otherwise).
    static func world(idle: String = "60") async throws -> (JobWorld, TestSSHD) {
        let sshd = try TestSSHD.start()
        var world = try await JobWorld.make(sshd: sshd)
        world.extraEnvironment["P_KEEPER_IDLE"] = idle
        return (world, sshd)
    }

    static func logins(_ sshd: TestSSHD) throws -> Int {
        try String(contentsOfFile: sshd.logFile, encoding: .utf8).components(separatedBy: "Accepted publickey").count
            - 1
    }

    /// Stops the world's keeper (by its pid, which this test's p started) and waits for it.
    static func stopKeeper(_ world: JobWorld) async {
        _ = try? await world.p("keeper", "stop")
    }

    /// Whether process `pid` is gone (or a zombie nobody reaped yet).
    static func isGone(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test func tenCommandsMakeOneLogin() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        let before = try Self.logins(sshd)
        let id = try JobWorld.id(try await world.p("-n", "-d", "--", "echo started; sleep 1; echo done"))
        let commands: [[String]] = [
            ["-n", "--", "echo one"], ["ls"], ["logs", id], ["logs", "-f", id], ["wait", id],
            ["-n", "--", "exit 3"], ["_exec", "worker", "echo", "exec"], ["ls", "-a"], ["rm", id],
        ]
        for arguments in commands {
            let result = try await world.p(arguments: arguments)
            #expect(result.status == (arguments.last == "exit 3" ? 3 : 0), "\(arguments): \(result.stderr)")
        }
        #expect(try Self.logins(sshd) - before == 1, "ten commands, one login")
        let status = try #require(await SSHKeeperClient(place: world.keeperPlace, options: .init()).status())
        #expect(status.sessionsOpened == 1)
        #expect(status.channelsCarried >= 8)
        #expect(status.held.count == 1)
        let shown = try await world.p("keeper", "status")
        #expect(shown.stdoutText.contains("Keeper pid \(status.pid)"), "\(shown.stdoutText)")
        await Self.stopKeeper(world)
        #expect(!FileManager.default.fileExists(atPath: world.keeperPlace.socketPath))
    }

    @Test func aChangedSSHConfigGetsASessionOfItsOwn() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        #expect(try await world.p("-n", "--", "true").status == 0)
        let before = try Self.logins(sshd)
        #expect(try await world.p("-n", "--", "true").status == 0)
        #expect(try Self.logins(sshd) == before, "the same target: the held session")
        // The host's block gains a setting: the resolved target differs, so a new session.
        let config = try String(contentsOfFile: world.sshConfigFile, encoding: .utf8)
        try config.replacingOccurrences(of: "Host worker\n", with: "Host worker\n    ServerAliveInterval 7\n")
            .write(toFile: world.sshConfigFile, atomically: true, encoding: .utf8)
        #expect(try await world.p("-n", "--", "true").status == 0)
        #expect(try Self.logins(sshd) == before + 1)
        #expect(try await world.p("-n", "--", "true").status == 0)
        #expect(try Self.logins(sshd) == before + 1)
        await Self.stopKeeper(world)
    }

    @Test func anotherUsersProcessIsRefused() async throws {
        try Power.root.require(for: "a process of another user tries the keeper's socket")
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        #expect(try await world.p("-n", "--", "true").status == 0)
        let place = world.keeperPlace
        var info = stat()
        #expect(stat(place.directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let account = try JobWorld.localTestAccount().user
        // The world's directories are root's; the other user needs a way in to reach the
        // keeper's directory at all.
        for directory in [world.directory, world.directory + "/run"] { chmod(directory, 0o755) }
        let probe = """
            import socket, struct, sys
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(sys.argv[1])
            except PermissionError:
                print("refused by the directory"); sys.exit(0)
            body = b'{"version":1,"operation":"status"}'
            try:
                s.sendall(bytes([1]) + struct.pack(">I", len(body)) + body)
                print("answered" if s.recv(100) else "refused by the keeper")
            except (ConnectionResetError, BrokenPipeError):
                print("refused by the keeper")
            """
        func probeAsOtherUser() throws -> String {
            try Shell.run(
                "/usr/bin/setpriv",
                [
                    "--reuid=\(account)", "--regid=\(account)", "--init-groups", "/usr/bin/python3", "-c", probe,
                    place.socketPath,
                ]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try probeAsOtherUser() == "refused by the directory")
        // Even with the directory and socket opened by mistake, the keeper checks the peer.
        chmod(place.directory, 0o755)
        chmod(place.socketPath, 0o777)
        #expect(try probeAsOtherUser() == "refused by the keeper")
        // The user's own commands still go through, and p will not use an open directory.
        let result = try await world.p("-v", "-n", "--", "true")
        #expect(result.status == 0)
        #expect(result.stderr.contains("connected directly"), "\(result.stderr)")
        #expect(result.stderr.contains("open to other users"), "\(result.stderr)")
        chmod(place.directory, 0o700)
        await Self.stopKeeper(world)
    }

    @Test func aKeeperKilledDuringAFollowLosesNothing() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        let id = try JobWorld.id(
            try await world.p("-n", "-d", "--", "for i in $(seq 1 40); do echo line $i; sleep 0.1; done"))
        let follow = try world.start("logs", "-f", id)
        try await follow.waitForOutput("line 5\n")
        let pid = try #require(world.keeperPlace.recordedPID)
        #expect(kill(pid, SIGKILL) == 0)
        let result = try await follow.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let expected = (1...40).map { "line \($0)\n" }.joined()
        #expect(result.stdoutText == expected)
        // The next command starts a new keeper.
        let next = try await world.p("-v", "-n", "--", "true")
        #expect(next.stderr.contains("through the keeper"), "\(next.stderr)")
        #expect(world.keeperPlace.recordedPID != pid)
        await Self.stopKeeper(world)
    }

    @Test(arguments: ["tar", "sftp"]) func aKeeperKilledDuringAnUploadLeavesTheFileExact(via: String) async throws {
        // Through a proxy passing 32 MB/s from the client, so the upload lasts seconds and
        // the test sees it in its middle however busy the machine is.
        let sshd = try TestSSHD.start()
        defer { sshd.stop() }
        let proxy = try FaultProxy(targetPort: sshd.port, clientBytesPerSecond: 32 << 20)
        defer { proxy.stop() }
        var world = try await JobWorld.make(
            sshd: sshd, extraHosts: JobWorld.hostBlock(name: "slow", sshd: sshd, port: proxy.port))
        world.extraEnvironment["P_KEEPER_IDLE"] = "60"
        let root = world.root
        try await world.store.update { config throws(RemoteJobsError) in
            try config.remove("box")
            try config.register(Worker(name: "box", connection: "slow", root: root))
        }
        let project = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        _ = try Shell.run("sh", ["-c", "head -c 256M /dev/urandom > '\(project)/blob'"])
        let local = try Shell.run("sha256sum", [project + "/blob"]).prefix(64)
        #expect(try await world.p("-n", "--", "true").status == 0)
        let pid = try #require(world.keeperPlace.recordedPID)
        let run = try world.start("-C", project, "--sync-via", via, "--", "sha256sum blob")
        // Killed while part of the file is on the worker (this machine: looked at directly,
        // every 2 ms, so the moment is not missed).
        let size = 256 << 20
        var partial = false
        let deadline = ContinuousClock.now + .seconds(120)
        while !partial && ContinuousClock.now < deadline {
            var found = glob_t()
            defer { globfree(&found) }
            if glob(world.root + "/workdirs/*/blob", 0, nil, &found) == 0, found.gl_pathc > 0,
                let path = found.gl_pathv[0].map({ String(cString: $0) })
            {
                var info = stat()
                if stat(path, &info) == 0 {
                    try #require(Int(info.st_size) < size, "the upload ended before the test could interrupt it")
                    partial = info.st_size > 0
                }
            }
            if !partial { try await Task.sleep(for: .milliseconds(2)) }
        }
        try #require(partial, "no part of the file reached the worker")
        #expect(kill(pid, SIGKILL) == 0)
        let result = try await run.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.prefix(64) == local, "\(result.stdoutText)")
        await Self.stopKeeper(world)
    }

    @Test func sftpUploadsGoThroughTheKeeperToo() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        let project = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: project + "/sub", withIntermediateDirectories: true)
        try "one\n".write(toFile: project + "/a.txt", atomically: false, encoding: .utf8)
        try "two\n".write(toFile: project + "/sub/b.txt", atomically: false, encoding: .utf8)
        let before = try Self.logins(sshd)
        for round in 1...2 {
            try "round \(round)\n".write(toFile: project + "/a.txt", atomically: false, encoding: .utf8)
            let result = try await world.p("-C", project, "--sync-via", "sftp", "--", "cat a.txt sub/b.txt")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdoutText == "round \(round)\ntwo\n")
        }
        #expect(try Self.logins(sshd) - before == 1, "two syncs over SFTP, one login")
        await Self.stopKeeper(world)
    }

    @Test func aStaleSocketIsReplaced() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        let place = world.keeperPlace
        try FileManager.default.createDirectory(
            atPath: place.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A socket nobody listens on any more, and the pid file of a keeper long gone.
        _ = try Shell.run(
            "/usr/bin/python3",
            ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", place.socketPath])
        try "999999\n".write(toFile: place.pidPath, atomically: true, encoding: .utf8)
        let result = try await world.p("-v", "-n", "--", "echo fine")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "fine\n")
        #expect(result.stderr.contains("through the keeper"), "\(result.stderr)")
        #expect(place.recordedPID != 999_999)
        await Self.stopKeeper(world)
    }

    @Test func anIdleKeeperLeavesAndDisconnectsCleanly() async throws {
        let (world, sshd) = try await Self.world(idle: "1")
        defer { sshd.stop() }
        // The keeper's pid as p saw it (it may be gone by the time the test looks).
        let first = try await world.p("-v", "-n", "--", "true")
        #expect(first.status == 0)
        let said = first.stderr.components(separatedBy: "through the keeper (pid ").dropFirst().first
        let pid = try #require(said.flatMap { pid_t($0.prefix { $0.isNumber }) }, "\(first.stderr)")
        try await JobWorld.eventually("the keeper left", timeout: .seconds(15)) { Self.isGone(pid) }
        #expect(!FileManager.default.fileExists(atPath: world.keeperPlace.socketPath))
        #expect(world.keeperPlace.recordedPID == nil)
        try await JobWorld.eventually("sshd logged the keeper's disconnect", timeout: .seconds(10)) {
            let log = try String(contentsOfFile: sshd.logFile, encoding: .utf8)
            return log.components(separatedBy: "Received disconnect").count
                == log.components(separatedBy: "Accepted publickey").count
        }
    }

    @Test func aChangedHostKeyIsRefusedAsWithoutTheKeeper() async throws {
        let (world, sshd) = try await Self.world()
        defer { sshd.stop() }
        #expect(try await world.p("-n", "--", "true").status == 0)
        // The host's recorded key changes while the keeper holds a session to it.
        let other = world.directory + "/other_key"
        _ = try Shell.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])
        let recorded = try String(contentsOfFile: sshd.knownHostsFile, encoding: .utf8)
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let host = try #require(recorded.split(separator: " ").first)
        try "\(host) \(otherKey)\n".write(toFile: sshd.knownHostsFile, atomically: true, encoding: .utf8)
        let kept = try await world.p("-n", "--", "true")
        var direct = world
        direct.extraEnvironment["P_KEEPER_IDLE"] = "0"
        let without = try await direct.p("-n", "--", "true")
        #expect(kept.status == 255)
        #expect(kept.stderr.contains("HAS CHANGED"), "\(kept.stderr)")
        #expect(kept.status == without.status)
        #expect(kept.stderr == without.stderr)
        await Self.stopKeeper(world)
    }

    @Test func turnedOffEveryCommandConnectsDirectly() async throws {
        var (world, sshd) = try await Self.world(idle: "0")
        defer { sshd.stop() }
        let before = try Self.logins(sshd)
        let first = try await world.p("-v", "-n", "--", "true")
        #expect(first.status == 0)
        #expect(first.stderr.contains("connected directly (the keeper is turned off)"), "\(first.stderr)")
        #expect(try await world.p("-n", "--", "true").status == 0)
        #expect(try Self.logins(sshd) - before == 2)
        #expect(!FileManager.default.fileExists(atPath: world.keeperPlace.directory))
        // The same through config.yaml (the environment variable wins when set).
        world.extraEnvironment.removeValue(forKey: "P_KEEPER_IDLE")
        let config = world.paths.configDirectory + "/config.yaml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "keeper_idle: 0\n").write(toFile: config, atomically: true, encoding: .utf8)
        var fromConfig = world.environment
        fromConfig.removeValue(forKey: "P_KEEPER_IDLE")
        let configured = try await PProcess(["-v", "-n", "--", "true"], environment: fromConfig).wait()
        #expect(configured.status == 0)
        #expect(configured.stderr.contains("the keeper is turned off"), "\(configured.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.keeperPlace.directory))
    }
}
