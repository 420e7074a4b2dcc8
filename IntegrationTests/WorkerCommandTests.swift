import Foundation
import Testing

@testable import RemoteJobs

/// `p worker register / ls / rm / default` against a real sshd.
@Suite("Managing workers with p", .timeLimit(.minutes(10)), .throttled)
struct WorkerCommandTests {
    /// A world whose ssh config names the test sshd as `fresh`, with an empty known_hosts.
    func unregisteredWorld() async throws -> (JobWorld, String) {
        let sshd = try await TestSSHD.shared()
        let directory = try TestSSHD.makeTemporaryDirectory()
        let knownHosts = directory + "/known_hosts"
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(name: "fresh", sshd: sshd, port: sshd.port, knownHosts: knownHosts),
            register: false)
        return (world, knownHosts)
    }

    @Test func registerRefusesAnUnknownHostWithoutATerminal() async throws {
        let (world, knownHosts) = try await unregisteredWorld()
        let refused = try await world.p("worker", "register", "fresh")
        #expect(refused.status == 255)
        #expect(refused.stderr.contains("is not known"))
        #expect(refused.stderr.contains("--accept-new-host-key"))
        #expect(try world.store.load().workers.isEmpty)

        let accepted = try await world.p("worker", "register", "fresh", "--accept-new-host-key", "--root", world.root)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdoutText.contains("registered worker 'fresh'"))
        #expect(accepted.stdoutText.contains("the default"))
        #expect(accepted.stdoutText.contains("system: Linux"))
        #expect(accepted.stdoutText.contains("sync:   tar /"))
        #expect(
            try String(contentsOfFile: knownHosts, encoding: .utf8).contains("[\(world.sshd.host)]:\(world.sshd.port)"))
        let config = try world.store.load()
        #expect(config.defaultWorker == "fresh")
        #expect(config.workers == [Worker(name: "fresh", connection: "fresh", root: world.root)])

        let job = try await world.p("-n", "--", "echo on fresh")
        #expect(job.stdoutText == "on fresh\n")

        let twice = try await world.p("worker", "register", "fresh")
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("already registered"))
    }

    @Test func listCheckDefaultAndRemove() async throws {
        let world = try await JobWorld.makeWithUnreachableWorker()
        let listed = try await world.p("worker", "ls")
        #expect(listed.status == 0)
        #expect(listed.stdoutText.contains("box"))
        #expect(listed.stdoutText.contains("gone"))
        let checked = try await world.p("worker", "ls", "--check", "--json")
        #expect(checked.status == 255, "one worker is unreachable")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(checked.stdout)) as? [[String: Any]])
        let reachable = try #require(entries.first { $0["name"] as? String == "box" })
        #expect(reachable["reachable"] as? Bool == true)
        #expect((reachable["latency_ms"] as? Double).map { $0 >= 0 } == true)
        #expect(reachable["default"] as? Bool == true)
        let unreachable = try #require(entries.first { $0["name"] as? String == "gone" })
        #expect(unreachable["reachable"] as? Bool == false)
        #expect((unreachable["error"] as? String)?.contains("refused") == true)

        let table = try await world.p("worker", "ls", "-c")
        #expect(table.stdoutText.contains("REACHABLE"))
        #expect(table.stdoutText.contains(" ms"))

        let id = try JobWorld.id(try await world.p("box", "-n", "-d", "--", "echo started; sleep 300"))
        let made = try await world.p("worker", "default", "gone")
        #expect(made.status == 0)
        #expect(try world.store.load().defaultWorker == "gone")
        let unknown = try await world.p("worker", "default", "nosuch")
        #expect(unknown.status == 1)

        let busy = try await world.p("worker", "rm", "box")
        #expect(busy.status == 1)
        #expect(busy.stderr.contains("running job"))
        try await world.waitForOutput(id, "started")
        _ = try await world.p("stop", "--signal", "KILL", id)
        let removed = try await world.p("worker", "rm", "box")
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try world.store.load().workers.map(\.name) == ["gone"])
        let reserved = try await world.p("worker", "register", "worker", "-n", "ls")
        #expect(reserved.status == 1)
        #expect(reserved.stderr.contains("p command"))
    }
}

/// Concurrent changes to `config.yaml` never lose one another.
@Suite("Changing workers from many p at once", .timeLimit(.minutes(10)), .throttled)
struct ConcurrentWorkerCommandTests {
    @Test func eightRegistersAndEightRemovalsAtOnceLoseNothing() async throws {
        let world = try await JobWorld.make(register: false)
        let names = (1...8).map { "w\($0)" }
        let registering = try names.map {
            try world.start("worker", "register", "worker", "-n", $0, "--root", world.root)
        }
        for process in registering {
            let result = try await process.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(Set(try world.store.load().workers.map(\.name)) == Set(names))
        let removing = try names.map { try world.start("worker", "rm", $0) }
        for process in removing {
            let result = try await process.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try world.store.load().workers.isEmpty)
    }
}
