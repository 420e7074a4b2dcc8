import Foundation
import RemoteJobs
import SSHTransport

/// A client of its own for job tests: a HOME with an ssh config naming the test sshd as
/// `worker`, XDG directories for p's configuration and records, and a worker-side root
/// unique to this world (so tests sharing one sshd never see each other's jobs).
struct JobWorld: Sendable {
    let sshd: TestSSHD
    let directory: String
    let home: String
    /// The worker-side root (`root:` of the registered worker).
    let root: String
    let sshConfigFile: String

    /// A world whose ssh alias `worker` is registered as worker `box` (in config.yaml) with a root of its own.
    /// - Parameter extraHosts: more `Host` blocks for the ssh config (a proxy, say).
    static func make(sshd given: TestSSHD? = nil, extraHosts: String = "", register: Bool = true) async throws
        -> JobWorld
    {
        let sshd: TestSSHD
        if let given { sshd = given } else { sshd = try await TestSSHD.shared() }
        let directory = try TestSSHD.makeTemporaryDirectory()
        let home = directory + "/home"
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        let config = home + "/.ssh/config"
        try (hostBlock(name: "worker", sshd: sshd, port: sshd.port) + extraHosts).write(
            toFile: config, atomically: true, encoding: .utf8)
        let account = try workerAccount(sshd)
        let root = (account.home.map { $0 + "/p-tests" } ?? directory) + "/worker-root-" + UUID().uuidString.prefix(8)
        let world = JobWorld(sshd: sshd, directory: directory, home: home, root: root, sshConfigFile: config)
        if register {
            try world.store.update { config throws(RemoteJobsError) in
                try config.register(Worker(name: "box", connection: "worker", root: world.root))
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
        try world.store.update { config throws(RemoteJobsError) in
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
        let user = "ptestjobs"
        if getpwnam(user) == nil {
            _ = try? Shell.run("useradd", ["-m", "-s", "/bin/bash", user])
            try Shell.run("usermod", ["-p", "*", user])
        }
        guard let entry = getpwnam(user) else { throw TestFailure("cannot create the test account \(user)") }
        return (user, String(cString: entry.pointee.pw_dir))
    }

    /// An ssh config block for the test sshd (or a proxy in front of it, on `port`).
    static func hostBlock(name: String, sshd: TestSSHD, port: Int, extra: String = "") -> String {
        """
        Host \(name)
            HostName \(sshd.host)
            Port \(port)
            User \((try? workerAccount(sshd).user) ?? sshd.user)
            IdentityFile \(sshd.identityFile)
            IdentitiesOnly yes
            UserKnownHostsFile \(sshd.knownHostsFile)
            StrictHostKeyChecking yes
            HostKeyAlias \(port == 22 ? sshd.host : "[\(sshd.host)]:\(sshd.port)")
        \(extra)

        """
    }

    var paths: PPaths { PPaths(configDirectory: directory + "/config/p", dataDirectory: directory + "/data/p") }
    var store: WorkerStore { WorkerStore(paths: paths) }
    var records: JobStore { JobStore(paths: paths) }

    /// The environment `p` runs with: this world's HOME and XDG directories, no agent.
    var environment: [String: String] {
        [
            "HOME": home, "XDG_CONFIG_HOME": directory + "/config", "XDG_DATA_HOME": directory + "/data",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8",
        ]
    }

    /// Runs `p` to completion.
    func p(_ arguments: String..., timeout: Duration = .seconds(60)) async throws -> PProcess.Result {
        try await PProcess(arguments, environment: environment).wait(timeout: timeout)
    }

    /// Runs `p` with an argument list built by the caller.
    func p(arguments: [String], timeout: Duration = .seconds(60)) async throws -> PProcess.Result {
        try await PProcess(arguments, environment: environment).wait(timeout: timeout)
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

    /// Waits until the job's log on the worker contains `text` (so that its shell finished
    /// starting up before a test kills it: a login script killed halfway can leave locks).
    func waitForOutput(_ id: String, _ text: String) async throws {
        try await Self.eventually("job \(id.prefix(8)) printed \(text)") {
            ((try? String(contentsOfFile: jobDirectory(id) + "/output.log", encoding: .utf8)) ?? "").contains(text)
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

    /// The id `p -d` printed.
    static func id(_ result: PProcess.Result) throws -> String {
        let id = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, UUID(uuidString: id) != nil else {
            throw TestFailure("p -d failed (\(result.status)): \(result.stdoutText) \(result.stderr)")
        }
        return id
    }
}
