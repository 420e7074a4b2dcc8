import Foundation
import RemoteJobs
import Testing

/// `p pull` never writes, creates or replaces anything through a symbolic link in the
/// destination, whatever the job puts in its work directory.
@Suite("Pulling what a hostile job left", .timeLimit(.minutes(10)), .throttled)
struct HostilePullTests {
    @Test func aLinkAPullMadeIsNeverWrittenThrough() async throws {
        let world = try await JobWorld.make()
        let victim = world.directory + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try "mine".write(toFile: victim + "/own.txt", atomically: false, encoding: .utf8)
        // First the job offers `results/sub` as a link to a directory of the client's and
        // `results/top.txt` as a link to a file of the client's; once let go, both become
        // real, with files in them.
        let job = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--",
                "mkdir results && echo r > results/r.txt && ln -s '\(victim)' results/sub && ln -s '\(victim)/own.txt' results/top.txt && echo phase1 && n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done && rm results/sub results/top.txt && mkdir results/sub && echo evil > results/sub/evil.txt && echo evil > results/top.txt"
            ))
        try await world.waitForOutput(job, "phase1")
        let destination = world.directory + "/pulled"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let first = try await world.p("pull", job, "results", destination)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/results/sub") == victim)

        try await world.letGo(job)
        #expect(try await world.p("wait", job).status == 0)
        let second = try await world.p("pull", job, "results", destination)
        #expect(second.status == 1, "\(second.stderr)")
        #expect(
            second.stderr.contains(
                "\(destination)/results/sub is a symbolic link where the pull would write a directory"),
            "\(second.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim) == ["own.txt"])
        #expect(try String(contentsOfFile: victim + "/own.txt", encoding: .utf8) == "mine")

        // Once the user removes the link, the pull goes through.
        try FileManager.default.removeItem(atPath: destination + "/results/sub")
        let third = try await world.p("pull", job, "results", destination)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try String(contentsOfFile: destination + "/results/sub/evil.txt", encoding: .utf8) == "evil\n")
        #expect(try String(contentsOfFile: destination + "/results/top.txt", encoding: .utf8) == "evil\n")
        #expect(try String(contentsOfFile: victim + "/own.txt", encoding: .utf8) == "mine")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim) == ["own.txt"])
    }

    @Test func theNamePAddsToTheDestinationIsNotFollowed() async throws {
        let world = try await JobWorld.make()
        let victim = world.directory + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        let job = try JobWorld.id(
            try await world.p("-n", "-d", "--", "mkdir results && echo r > results/r.txt"))
        #expect(try await world.p("wait", job).status == 0)
        let destination = world.directory + "/pulled"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        // The user's destination exists; the copy goes inside it as `results`, which is a
        // link: refused, not followed.
        try FileManager.default.createSymbolicLink(atPath: destination + "/results", withDestinationPath: victim)
        let refused = try await world.p("pull", job, "results", destination)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("is a symbolic link"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
        // A destination the user names that is a link to a directory is the user's choice.
        let chosen = world.directory + "/chosen"
        try FileManager.default.createSymbolicLink(atPath: chosen, withDestinationPath: victim)
        let inside = try await world.p("pull", job, "results", chosen)
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(try String(contentsOfFile: victim + "/results/r.txt", encoding: .utf8) == "r\n")
    }
}
