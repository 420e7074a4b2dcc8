import Foundation
import Testing

@testable import RemoteJobs

/// The worker image in `docker/` is one a user can log into: built, started with its port
/// published on 127.0.0.1, registered with p, a job run in it and a file pulled back.
@Suite("The worker image", .timeLimit(.minutes(10)), .throttled)
struct ContainerWorkerTests {
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Builds `image` on the base image (`build`: the rest of `docker build`'s arguments)
    /// and starts a container of it with keys made for a free port of 127.0.0.1, published
    /// there; the caller removes the container.
    static func runContainer(_ image: String, build: [String]) throws -> (port: Int, keys: String, container: String) {
        try Shell.run(repository + "/docker/build-base-image.sh", [])
        try Shell.run("docker", ["build", "-q", "-t", image] + build)
        let port = try TestSSHD.freePort()
        let keys = try TestSSHD.makeTemporaryDirectory()
        try Shell.run(repository + "/docker/sshd/make-test-keys.sh", [keys, "127.0.0.1", String(port)])
        let container = try Shell.run(
            "docker", ["run", "-d", "--rm", "-v", keys + ":/keys", "-p", "127.0.0.1:\(port):2222", image]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        return (port, keys, container)
    }

    @Test func aContainerFromTheImageIsAWorker() async throws {
        try Power.docker.require(for: "building and running the worker image")
        let (port, keys, container) = try Self.runContainer("p-worker-test", build: [Self.repository + "/docker/sshd"])
        defer { _ = try? Shell.run("docker", ["rm", "-f", container]) }

        let knownHosts = keys + "/empty_known_hosts"
        _ = FileManager.default.createFile(atPath: knownHosts, contents: nil)
        let world = try await JobWorld.make(
            extraHosts: """
                Host container
                    HostName 127.0.0.1
                    Port \(port)
                    User p
                    IdentityFile \(keys)/client/id_ed25519
                    UserKnownHostsFile \(knownHosts)

                """, register: false)
        var registered = try await world.p("worker", "register", "container", "--accept-new-host-key")
        let deadline = ContinuousClock.now + .seconds(30)
        while registered.status != 0, ContinuousClock.now < deadline {
            // sshd in the container may still be starting.
            try await Task.sleep(for: .milliseconds(200))
            registered = try await world.p("worker", "register", "container", "--accept-new-host-key")
        }
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stdoutText.contains("registered worker 'container'"), "\(registered.stdoutText)")
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(["input.txt": "from the client"], under: project)
        let job = try await world.p("-C", project, "--", "id -un; cat input.txt > output.txt; echo; cat output.txt")
        #expect(job.status == 0, "\(job.stderr)")
        #expect(job.stdoutText == "p\n\nfrom the client")
        let id = try #require(world.records.loadAll().records.first?.id)
        let pulled = world.directory + "/pulled.txt"
        let pull = try await world.p("pull", id, "output.txt", pulled)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try String(contentsOfFile: pulled, encoding: .utf8) == "from the client")
    }

    /// The Slurm login-node image (`docker/slurm`): a single-node cluster and sshd in one
    /// container, registered with `--slurm` (its probe job runs), a job submitted through
    /// it with its exit code and output, a file pulled back.
    @Test func aSlurmLoginNodeInAContainerIsASlurmWorker() async throws {
        try Power.docker.require(for: "building and running the Slurm login-node image")
        let (port, keys, container) = try Self.runContainer(
            "p-slurm-test", build: ["-f", Self.repository + "/docker/slurm/Dockerfile", Self.repository + "/docker"])
        defer { _ = try? Shell.run("docker", ["rm", "-f", container]) }

        let world = try await JobWorld.make(
            extraHosts: """
                Host login
                    HostName 127.0.0.1
                    Port \(port)
                    User p
                    IdentityFile \(keys)/client/id_ed25519
                    UserKnownHostsFile \(keys)/client/known_hosts

                """, register: false)
        var registered = try await world.p("worker", "register", "login", "-n", "hpc", "--slurm")
        let deadline = ContinuousClock.now + .seconds(60)
        while registered.status != 0, ContinuousClock.now < deadline {
            // The cluster and sshd in the container may still be starting.
            try await Task.sleep(for: .milliseconds(500))
            registered = try await world.p("worker", "register", "login", "-n", "hpc", "--slurm")
        }
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stdoutText.contains("ran on"), "\(registered.stdoutText)")
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(["input.txt": "from the client"], under: project)
        let job = try await world.p(
            "-C", project, "--cpus", "1", "--", "id -un; cat input.txt > output.txt; echo \" $SLURM_JOB_ID\"; exit 3")
        #expect(job.status == 3, "\(job.stderr)")
        let record = try #require(world.records.loadAll().records.first)
        let slurmID = try #require(record.slurmJobID)
        #expect(job.stdoutText == "p\n \(slurmID)\n")
        let pulled = world.directory + "/pulled.txt"
        let pull = try await world.p("pull", record.id, "output.txt", pulled)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try String(contentsOfFile: pulled, encoding: .utf8) == "from the client")
    }
}
