import Foundation
import Testing

@testable import RemoteJobs

/// A real single-node Slurm cluster on 127.0.0.1, started with `docker/slurm/start-slurm.sh`
/// (Debian's slurmctld, slurmd and munge; state in a temporary directory; stopped when the
/// test process ends), and a local sshd as its login node: the sessions it serves find the
/// cluster through `SLURM_CONF` (set by sshd's `SetEnv`), as users of a real login node find
/// theirs through `/etc/slurm`. Tests that drain the node get a cluster of their own.
final class SlurmCluster: Sendable {
    let directory: String
    let configFile: String
    let sshd: TestSSHD

    private init(directory: String, configFile: String, sshd: TestSSHD) {
        self.directory = directory
        self.configFile = configFile
        self.sshd = sshd
    }

    /// The cluster most tests share.
    static func shared() async throws -> SlurmCluster {
        try Power.slurm.require(for: "p hands jobs to a real Slurm")
        return try await Shared.instance.get()
    }

    /// A cluster for one test alone (one that drains its node, say).
    static func own() throws -> SlurmCluster {
        try Power.slurm.require(for: "p hands jobs to a real Slurm")
        return try start()
    }

    private actor Shared {
        static let instance = Shared()
        private var cluster: SlurmCluster?

        func get() throws -> SlurmCluster {
            if let cluster { return cluster }
            let started = try SlurmCluster.start()
            cluster = started
            return started
        }
    }

    private static func start() throws -> SlurmCluster {
        let directory = try TestSSHD.makeTemporaryDirectory() + "/slurm"
        // More CPUs than the machine has (the configuration wins), so parallel tests' jobs
        // run side by side instead of queueing behind each other.
        let output = try Shell.run(scriptPath, [directory, "16", "--watch-pid", String(getpid())])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("SLURM_CONF=") }) else {
            throw TestFailure("start-slurm.sh printed no SLURM_CONF: \(output)")
        }
        let configFile = String(line.dropFirst("SLURM_CONF=".count))
        let sshd = try TestSSHD.start(options: ["SetEnv SLURM_CONF=\(configFile)"])
        return SlurmCluster(directory: directory, configFile: configFile, sshd: sshd)
    }

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docker/slurm/start-slurm.sh").path
    }

    /// Runs a Slurm command (`scontrol`, `squeue`) against this cluster, as root.
    @discardableResult
    func slurm(_ tool: String, _ arguments: String...) throws -> String {
        try Shell.runWithEnvironment(tool, arguments, ["SLURM_CONF": configFile])
    }

    /// Takes the node out of service: running jobs go on, queued ones wait.
    func drain() throws {
        try slurm("scontrol", "update", "NodeName=p-node", "State=DRAIN", "Reason=p-test")
    }

    /// Puts the node back in service.
    func resume() throws {
        try slurm("scontrol", "update", "NodeName=p-node", "State=RESUME")
    }

    /// A client world whose default worker `hpc` is this cluster (`kind: slurm`), with a
    /// root of its own; `worker` (the same login node) stays reachable as an alias.
    func world() async throws -> JobWorld {
        let world = try await JobWorld.make(sshd: sshd, register: false)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "hpc", connection: "worker", root: world.root, kind: .slurm))
        }
        return world
    }

    /// A client world whose login node's `sh` is `shell` (`bash`, or `busybox` with all
    /// of BusyBox's applets first on the `PATH`), through an sshd of its own for this
    /// cluster, with nothing registered: p's scripts run as `sh -c '...'`, so they then run
    /// under that shell. The caller stops `sshd`.
    func world(sh shell: String) async throws -> (JobWorld, sshd: TestSSHD) {
        let directory: String
        if shell == "busybox" {
            try BusyBoxWorkerTests.installApplets()
            directory = BusyBoxWorkerTests.applets
        } else {
            directory = "/opt/p-test-sh-\(shell)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/sh")) == nil {
                try FileManager.default.createSymbolicLink(
                    atPath: directory + "/sh", withDestinationPath: "/bin/" + shell)
            }
        }
        let sshd = try TestSSHD.start(
            options: ["SetEnv SLURM_CONF=\(configFile) PATH=\(directory):/usr/local/bin:/usr/bin:/bin"])
        return (try await JobWorld.make(sshd: sshd, register: false), sshd)
    }

    /// What Slurm says of job `id`: `STATE REASON`.
    func state(of id: String) throws -> String {
        try slurm("squeue", "-h", "-t", "all", "-j", id, "-o", "%T %r").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
