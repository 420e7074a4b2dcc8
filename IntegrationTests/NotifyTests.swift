import Foundation
import Testing

@testable import RemoteJobs

/// `--notify`: a desktop notification (here a `notify-send` of the test's own, which notes
/// its arguments) when a job ends, from `p -- …`, `p wait`, and after `-d`.
@Suite("Notifications when a job ends", .timeLimit(.minutes(10)), .throttled)
struct NotifyTests {
    /// A world whose PATH starts with a `notify-send` that appends its arguments to
    /// `notified.txt`; returns the world, its environment and that file.
    func notifyingWorld() async throws -> (JobWorld, [String: String], String) {
        let world = try await JobWorld.make()
        let bin = world.directory + "/bin"
        let notes = world.directory + "/notified.txt"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '\(notes)'\n".write(
            toFile: bin + "/notify-send", atomically: true, encoding: .utf8)
        chmod(bin + "/notify-send", 0o755)
        var environment = world.environment
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        return (world, environment, notes)
    }

    @Test func aJobThatEndsIsAnnounced() async throws {
        let (world, environment, notes) = try await notifyingWorld()
        let run = try await PProcess(["-n", "--notify", "--", "exit 4"], environment: environment).wait()
        #expect(run.status == 4, "\(run.stderr)")
        let id = try #require(world.records.loadAll().records.first?.id)
        let said = try String(contentsOfFile: notes, encoding: .utf8)
        #expect(said.contains("p: job \(id.prefix(8)) failed [4]") && said.contains("exit 4"), "\(said)")
    }

    @Test func waitAndADetachedJobAnnounceTheEnd() async throws {
        let (world, environment, notes) = try await notifyingWorld()
        let first = try JobWorld.id(
            try await PProcess(["-n", "-d", "--", "sleep 1; exit 0"], environment: environment).wait())
        let waited = try await PProcess(["wait", "--notify", first], environment: environment).wait()
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try String(contentsOfFile: notes, encoding: .utf8).contains("p: job \(first.prefix(8)) done"))
        // -d returns at once; a `p wait --notify` in the background announces the end.
        let second = try JobWorld.id(
            try await PProcess(["-n", "-d", "--notify", "--", "sleep 1; exit 2"], environment: environment).wait())
        try await JobWorld.eventually("the detached job's end was announced", timeout: .seconds(60)) {
            ((try? String(contentsOfFile: notes, encoding: .utf8)) ?? "").contains(
                "p: job \(second.prefix(8)) failed [2]")
        }
        _ = world
    }
}
