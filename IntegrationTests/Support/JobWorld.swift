import Foundation
import SSHTransport
import Testing

@testable import RemoteJobs

/// A client of its own for job tests: a HOME with an ssh config naming the test sshd as
/// `worker`, XDG directories for p's configuration and records, and a worker-side root
/// unique to this world (so tests sharing one sshd never see each other's jobs).
struct JobWorld: Sendable {
    /// The kinds of worker the job tests that need no SSH of their own run against: an SSH
    /// worker, and this machine as a `local` one (not against an external worker: the
    /// container pass runs the SSH kind only).
    static var kinds: [WorkerKind] {
        ProcessInfo.processInfo.environment["P_TEST_SSH_TARGET"] == nil ? [.ssh, .local] : [.ssh]
    }

    let sshd: TestSSHD
    let directory: String
    let home: String
    /// The worker-side root (`root:` of the registered worker).
    let root: String
    let sshConfigFile: String
    /// How `box` runs jobs: over SSH, or on this machine (`local`).
    var kind: WorkerKind = .ssh
    /// More variables for `p` (`P_KEEPER_IDLE=0` for a test about direct connections).
    var extraEnvironment: [String: String] = [:]

    /// A world whose ssh alias `worker` is registered as worker `box` (in config.yaml) with a root of its own.
    /// - Parameter extraHosts: more `Host` blocks for the ssh config (a proxy, say).
    /// - Parameter login: the worker account to log in as, instead of the usual one (a
    ///   local account of the tests', see `localTestAccount`).
    /// - Parameter kind: `.local` registers this machine as `box` instead, with a root in the
    ///   world's own directory.
    static func make(
        sshd given: TestSSHD? = nil, extraHosts: String = "", register: Bool = true,
        login: (user: String, home: String)? = nil, kind: WorkerKind = .ssh
    ) async throws -> JobWorld {
        let sshd: TestSSHD
        if let given { sshd = given } else { sshd = try await TestSSHD.shared() }
        let directory = try TestSSHD.makeTemporaryDirectory()
        let home = directory + "/home"
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        let config = home + "/.ssh/config"
        try (hostBlock(name: "worker", sshd: sshd, port: sshd.port, user: login?.user) + extraHosts).write(
            toFile: config, atomically: true, encoding: .utf8)
        let account: (user: String, home: String?) = try login.map { ($0.user, $0.home) } ?? workerAccount(sshd)
        var base = account.home.map { $0 + "/p-tests" } ?? directory
        if sshd.isExternal {
            // The worker is another machine: its own home, asked over SSH.
            let probe = JobWorld(sshd: sshd, directory: directory, home: home, root: "", sshConfigFile: config)
            base =
                try await probe.onWorker("echo $HOME").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                + "/p-tests"
        }
        if kind == .local { base = directory }
        let root = base + "/worker-root-" + UUID().uuidString.prefix(8)
        let world = JobWorld(
            sshd: sshd, directory: directory, home: home, root: root, sshConfigFile: config, kind: kind)
        if register {
            try await world.store.update { config throws(RemoteJobsError) in
                try config.register(
                    kind == .local
                        ? Worker.local(name: "box", root: world.root)
                        : Worker(name: "box", connection: "worker", root: world.root))
            }
        }
        return world
    }

    /// A world with a second worker, `gone`, whose port nothing listens on.
    static func makeWithUnreachableWorker() async throws -> JobWorld {
        let world = try await make(
            extraHosts: """
                Host gone
                    HostName 127.0.0.1
                    Port \(try TestSSHD.freePort())
                    ConnectTimeout 2

                """)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "gone", connection: "gone", root: world.root))
        }
        return world
    }

    /// The account jobs run as on the test worker, and its home when it is not the
    /// tests' own. Run as root against the local sshd, the tests use an account of their
    /// own with a stock home: a login script of the developer's (root's `.bashrc` running
    /// `pyenv init` on every command, say) would slow every job and interfere with jobs
    /// killed halfway through it, as it would with OpenSSH.
    static func workerAccount(_ sshd: TestSSHD) throws -> (user: String, home: String?) {
        guard getuid() == 0, !sshd.isExternal else { return (sshd.user, nil) }
        let account = try localTestAccount()
        return (account.user, account.home)
    }

    /// The local account `ptestjobs` (created when missing; needs root): the worker's login
    /// on the local sshd, and the user a test runs p as when root would read everything.
    static func localTestAccount(_ user: String = "ptestjobs", shell: String = "/bin/bash") throws -> (
        user: String, home: String
    ) {
        // Tests run in parallel: two useradds of one account at once leave a home owned by
        // a uid that is not the account's.
        accountLock.lock()
        defer { accountLock.unlock() }
        if getpwnam(user) == nil {
            _ = try? Shell.run("useradd", ["-m", "-s", shell, user])
            _ = try Shell.run("usermod", ["-p", "*", user])
        } else if let entry = getpwnam(user), String(cString: entry.pointee.pw_shell) != shell {
            _ = try Shell.run("usermod", ["-s", shell, user])
        }
        guard let entry = getpwnam(user) else { throw TestFailure("cannot create the test account \(user)") }
        return (user, String(cString: entry.pointee.pw_dir))
    }

    private static let accountLock = NSLock()

    /// An ssh config block for the test sshd (or a proxy in front of it, on `port`).
    /// - Parameter knownHosts: a known_hosts file of its own instead of the server's.
    static func hostBlock(
        name: String, sshd: TestSSHD, port: Int, extra: String = "", user: String? = nil, knownHosts: String? = nil
    ) -> String {
        """
        Host \(name)
            HostName \(sshd.host)
            Port \(port)
            User \(user ?? (try? workerAccount(sshd).user) ?? sshd.user)
            IdentityFile \(sshd.identityFile)
            IdentitiesOnly yes
            UserKnownHostsFile \(knownHosts ?? sshd.knownHostsFile)
            StrictHostKeyChecking yes
            HostKeyAlias \(port == 22 ? sshd.host : "[\(sshd.host)]:\(sshd.port)")
        \(extra)

        """
    }

    var paths: PPaths { PPaths(configDirectory: directory + "/config/p", dataDirectory: directory + "/data/p") }
    var store: WorkerStore { WorkerStore(paths: paths) }
    var records: JobStore { JobStore(paths: paths) }

    /// The environment `p` runs with: this world's HOME and XDG directories (its keeper's
    /// socket among them), no agent. The keeper leaves 3 s after the world's last command
    /// (P_KEEPER_IDLE of the tests' own environment wins: `0` runs every test with direct
    /// connections, as the container pass does).
    var environment: [String: String] {
        [
            "HOME": home, "XDG_CONFIG_HOME": directory + "/config", "XDG_DATA_HOME": directory + "/data",
            "XDG_RUNTIME_DIR": directory + "/run",
            "P_KEEPER_IDLE": ProcessInfo.processInfo.environment["P_KEEPER_IDLE"] ?? "3",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8",
        ].merging(extraEnvironment) { $1 }
    }

    /// The world's keeper's place (`XDG_RUNTIME_DIR/p`).
    var keeperPlace: SSHKeeperPlace { SSHKeeperPlace(directory: directory + "/run/p") }

    /// Runs `p` to completion.
    func p(_ arguments: String..., timeout: Duration = .seconds(60)) async throws -> PProcess.Result {
        try await PProcess(arguments, environment: environment).wait(timeout: timeout)
    }

    /// Runs `p` with an argument list built by the caller.
    func p(arguments: [String], timeout: Duration = .seconds(60)) async throws -> PProcess.Result {
        try await PProcess(arguments, environment: environment).wait(timeout: timeout)
    }

    /// Starts `p` with an argument list built by the caller and returns at once.
    func start(arguments: [String]) throws -> PProcess {
        try PProcess(arguments, environment: environment)
    }

    /// Starts `p` and returns at once.
    func start(_ arguments: String...) throws -> PProcess {
        try PProcess(arguments, environment: environment)
    }

    /// An engine over this world's files, never touching the developer's agent.
    func engine() -> JobEngine {
        JobEngine(paths: paths, options: TestSSHD.options(), sshConfigFile: sshConfigFile)
    }

    /// `R/jobs/ID` of a job on the worker (the worker is this machine).
    func jobDirectory(_ id: String) -> String { root + "/jobs/" + id }

    /// Runs a shell command on the worker as the jobs' account, over a connection of its
    /// own, so tests inspect the worker the same way whether it is this machine or a
    /// container (`P_TEST_SSH_TARGET`).
    func onWorker(_ command: String) async throws -> SSHExecResult {
        if kind == .local {
            // The worker is this machine, reached without SSH: as p reaches it.
            let exec = try LocalExec(command)
            defer { exec.hangUp() }
            try await exec.closeInput()
            var stdout: [UInt8] = []
            var stderr: [UInt8] = []
            while let chunk = try await exec.nextChunk() {
                if chunk.stream == .stdout { stdout += chunk.bytes } else { stderr += chunk.bytes }
            }
            return SSHExecResult(stdout: stdout, stderr: stderr, status: try await exec.exitStatus())
        }
        let target = try SSHTarget.resolve("worker", config: SSHConfig.load(path: sshConfigFile))
        let session = try await SSHSession.connect(to: target, options: TestSSHD.options())
        defer { session.close() }
        return try await session.run(command)
    }

    /// The text a worker command printed, without the final newline.
    func workerText(_ command: String) async throws -> String {
        try await onWorker(command).stdoutText.trimmingCharacters(in: .newlines)
    }

    /// Whether a path exists on the worker.
    func existsOnWorker(_ path: String) async throws -> Bool {
        try await onWorker("test -e '\(path)'").status == .exited(0)
    }

    /// The process-group id of a job (its `pid` file).
    func group(of id: String) async throws -> String {
        try await workerText("cat '\(jobDirectory(id))/pid'")
    }

    /// Processes (not zombies) in a process group on the worker.
    func livingProcesses(inGroup pgid: String) async throws -> [String] {
        try await workerText("ps -A -o pgid=,stat=,args=").split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            return fields.count >= 2 && fields[0] == pgid && !fields[1].hasPrefix("Z")
        }.map(String.init)
    }

    /// Kills a job's whole process group outside p, as a user or the OOM killer might.
    func killOutsideP(_ id: String) async throws {
        let pgid = try await group(of: id)
        _ = try await onWorker("kill -KILL -\(pgid)")
    }

    /// Creates the `go` file a test job waits for in its workdir.
    func letGo(_ id: String) async throws {
        _ = try await onWorker("touch '\(root)/workdirs/\(id)/go'")
    }

    /// Waits until the job's log on the worker contains `text` (so that its shell finished
    /// starting up before a test kills it: a login script killed halfway can leave locks).
    func waitForOutput(_ id: String, _ text: String) async throws {
        try await Self.eventually("job \(id.prefix(8)) printed \(text)") {
            try await workerText("cat '\(jobDirectory(id))/output.log'").contains(text)
        }
    }

    /// Waits until `condition` holds (checked every 50 ms), failing after `timeout`.
    static func eventually(
        _ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A world on the local test sshd (never an external worker, whose disks the tests
    /// cannot mount) with the worker `small`, whose root is a new tmpfs mounted with
    /// `options` (`size=1m`, `nr_inodes=40`), owned by the worker's account. Skipped (see
    /// `Power`) where the machine cannot mount.
    static func withSmallWorker(_ options: String) async throws -> (JobWorld, SmallDisk) {
        try Power.mount.require(for: "a small tmpfs fills a worker's disk")
        let world = try await make(sshd: try await TestSSHD.sharedLocal())
        return (world, try await world.mountSmallWorker(options))
    }

    private func mountSmallWorker(_ options: String) async throws -> SmallDisk {
        let account = try Self.workerAccount(sshd).user
        let path = root + "-small"
        _ = try Shell.run("mkdir", ["-p", path])
        _ = try Shell.run("mount", ["-t", "tmpfs", "-o", options + ",mode=700", "tmpfs", path])
        _ = try Shell.run("chown", [account, path])
        try await store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "small", connection: "worker", root: path))
        }
        return SmallDisk(path: path)
    }

    /// The id `p -d` printed.
    static func id(_ result: PProcess.Result) throws -> String {
        let id = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, UUID(uuidString: id) != nil else {
            throw TestFailure("p -d failed (\(result.status)): \(result.stdoutText) \(result.stderr)")
        }
        return id
    }
}

/// A tmpfs mounted for one test (see `JobWorld.mountSmallWorker`).
struct SmallDisk {
    let path: String

    /// Unmounts it (lazily, so a process still inside does not keep it).
    func unmount() {
        _ = try? Shell.run("umount", ["-l", path])
    }
}
