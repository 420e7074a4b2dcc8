import Foundation
import Testing

@testable import RemoteJobs

/// Names and commands are bytes: p carries them exactly or refuses them with a message,
/// never drops or alters them; and its messages say what happened, not more.
@Suite("Bytes p cannot carry, and messages", .timeLimit(.minutes(10)), .throttled)
struct BytesAndMessagesTests {
    @Test func aFileNameThatIsNotUTF8IsRefusedUnlessIgnored() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(["fine.txt": "fine"], under: root)
        let bad = Array((root + "/sub").utf8)
        mkdir(root + "/sub", 0o755)
        let name = bad + Array("/caf".utf8) + [0xE9] + Array(".txt".utf8)
        let descriptor = (name + [0]).withUnsafeBytes {
            open($0.baseAddress!.assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
        }
        #expect(descriptor >= 0)
        close(descriptor)
        let refused = try await world.p("-C", root, "--", "echo should not run")
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("\(root)/sub/caf\\xE9.txt is not valid UTF-8"), "\(refused.stderr)")
        #expect(refused.stderr.contains(".gitignore"))
        #expect(world.records.loadAll().records.isEmpty)
        let plan = try await world.p("_plan", root)
        #expect(plan.status == 1, "p _plan refuses it too: \(plan.stderr)")

        try "*.txt\n!fine.txt\n".write(toFile: root + "/.gitignore", atomically: true, encoding: .utf8)
        let ignored = try await world.p("-C", root, "--", "cat fine.txt; ls sub | wc -l")
        #expect(ignored.status == 0, "\(ignored.stderr)")
        #expect(ignored.stdoutText == "fine0\n")
    }

    @Test func aLinkTargetThatIsNotUTF8IsRefused() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(["a.txt": "a"], under: root)
        let target = Array("caf".utf8) + [0xE9]
        let linked = (target + [0]).withUnsafeBytes {
            symlink($0.baseAddress!.assumingMemoryBound(to: CChar.self), root + "/link")
        }
        #expect(linked == 0)
        let refused = try await world.p("-C", root, "--", "echo should not run")
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("the target of \(root)/link is not valid UTF-8"), "\(refused.stderr)")
    }

    @Test func commandsAndValuesThatAreNotUTF8AreRefused() async throws {
        let world = try await JobWorld.make()
        // The third argument, the command or the -e value, ends with a byte that is not UTF-8.
        for arguments in [["-n", "--", "echo"], ["-n", "-e", "A=x", "--", "true"]] {
            var raw = arguments.map { Array($0.utf8) }
            raw[2] += [0xFF]
            let result = try await PProcess(bytes: raw, environment: world.environment).wait()
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("is not valid UTF-8"), "\(arguments): \(result.stderr)")
        }
        #expect(world.records.loadAll().records.isEmpty)
    }

    @Test func aChangedHostKeyBeforeAnythingStartedIsNotCalledARunningJob() async throws {
        let sshd = try await TestSSHD.shared()
        let directory = try TestSSHD.makeTemporaryDirectory()
        let other = directory + "/other"
        try Shell.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let knownHosts = directory + "/known_hosts"
        try "[\(sshd.host)]:\(sshd.port) \(otherKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let world = try await JobWorld.make(
            extraHosts: JobWorld.hostBlock(name: "changed", sshd: sshd, port: sshd.port, knownHosts: knownHosts))
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "changed", connection: "changed", root: world.root))
        }
        for detach in [false, true] {
            let result = try await world.p(arguments: ["changed", "-n"] + (detach ? ["-d"] : []) + ["--", "true"])
            #expect(result.status == 255, "\(result.stderr)")
            #expect(result.stderr.contains("HAS CHANGED"), "\(result.stderr)")
            #expect(!result.stderr.contains("keeps running"), "\(result.stderr)")
            #expect(!result.stderr.contains("may or may not run"), "\(result.stderr)")
        }
        #expect(world.records.loadAll().records.isEmpty)
    }
}
