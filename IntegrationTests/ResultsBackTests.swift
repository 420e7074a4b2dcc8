import Foundation
import Testing

@testable import RemoteJobs

/// Results brought back (`--pull`) against a real sshd: byte-exact, into `p-results/<id>`
/// (never synced up again), from an attached job at once and from a detached array with
/// `p wait`; links a job plants cannot make p write outside the results directory.
@Suite("Results back", .timeLimit(.minutes(10)), .throttled)
struct ResultsBackTests {
    /// The bytes of a file, or nil.
    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }

    /// Whether a local file holds exactly what a file on the worker holds (SHA-256 of both;
    /// the worker may be another machine).
    static func same(_ local: String, asWorkerFile remote: String, in world: JobWorld) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: local) else { return false }
        let here = try Shell.run("sha256sum", [local]).prefix(64)
        let there = try await world.workerText("sha256sum '\(remote)'").prefix(64)
        return here.count == 64 && here == there
    }

    @Test func anAttachedJobsResultsComeBackByteExactAndAreNeverSyncedUp() async throws {
        let world = try await JobWorld.make()
        let source = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try "input\n".write(toFile: source + "/in.txt", atomically: true, encoding: .utf8)
        let run = try await world.p(
            "-C", source, "--pull", "out/*.csv", "model.bin", "logs", "--",
            "mkdir -p out logs/deep && printf 'a,b\\n' > out/1.csv && printf 'c\\n' > out/2.csv && echo no > out/x.txt && head -c 300000 /dev/urandom > model.bin && echo deep > logs/deep/l.txt"
        )
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(world.records.loadAll().records.first?.id)
        #expect(run.stderr.contains("results of \(id.prefix(8)): 4 path(s)"), "\(run.stderr)")
        let results = source + "/p-results/" + id
        let workdir = world.root + "/workdirs/" + id
        for path in ["out/1.csv", "out/2.csv", "model.bin", "logs/deep/l.txt"] {
            #expect(
                try await Self.same(results + "/" + path, asWorkerFile: workdir + "/" + path, in: world),
                "\(path) byte-exact")
        }
        #expect(!FileManager.default.fileExists(atPath: results + "/out/x.txt"), "only what matched")
        #expect(!FileManager.default.fileExists(atPath: results + "/in.txt"))
        // The next sync leaves p-results out.
        let next = try await world.p("-C", source, "--", "ls -A")
        #expect(next.stdoutText == "in.txt\n", "\(next.stdoutText)")
        // `p pull ID` brings them again, replacing the first pull's.
        try "stale".write(toFile: results + "/stale", atomically: true, encoding: .utf8)
        let again = try await world.p("pull", String(id.prefix(8)))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: results + "/stale"))
        #expect(try await Self.same(results + "/model.bin", asWorkerFile: workdir + "/model.bin", in: world))
    }

    @Test func aDetachedArraysResultsComeBackWithWaitUnderEachIndex() async throws {
        let world = try await JobWorld.make()
        let destination = world.directory + "/collected"
        let submitted = try await world.p(
            "-n", "-d", "--each", "a", "b", "--pull", "r-*.txt", "--pull-to", destination, "--",
            "echo {} > r-{}.txt")
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let arrayID = submitted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(submitted.stderr.contains("come back with `p wait"), "\(submitted.stderr)")
        let waited = try await world.p("wait", arrayID)
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try String(contentsOfFile: destination + "/\(arrayID)/1/r-a.txt", encoding: .utf8) == "a\n")
        #expect(try String(contentsOfFile: destination + "/\(arrayID)/2/r-b.txt", encoding: .utf8) == "b\n")
        // Pulled once: a second wait does not pull again.
        try FileManager.default.removeItem(atPath: destination + "/\(arrayID)/1/r-a.txt")
        _ = try await world.p("wait", arrayID)
        #expect(!FileManager.default.fileExists(atPath: destination + "/\(arrayID)/1/r-a.txt"))
    }

    @Test func linksAJobPlantsNeverMakePWriteOutsideTheResults() async throws {
        let world = try await JobWorld.make()
        let destination = world.directory + "/collected"
        // A directory outside the work directory on the worker; on this machine the same
        // path, where a write through a link would land, is watched too (when the worker is
        // this machine, they are one).
        let outside = world.root + "-outside"
        _ = try await world.onWorker("mkdir -p '\(outside)'")
        // The job plants: a link to a directory outside its work directory, a link to a
        // file outside, a directory holding a link up and out, a dangling link, and a link
        // inside that names another result.
        let run = try await world.p(
            "-n", "--pull", "*", "--pull-to", destination, "--",
            "ln -s '\(outside)' evil && ln -s /etc/hostname host && mkdir d && ln -s ../../.. d/up && ln -s /nonexistent/x dangling && echo fine > ok.txt && ln -s ok.txt alias"
        )
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(world.records.loadAll().records.first?.id)
        let results = destination + "/" + id
        #expect(try String(contentsOfFile: results + "/ok.txt", encoding: .utf8) == "fine\n")
        #expect(run.stderr.contains("not pulled: evil"), "\(run.stderr)")
        #expect(run.stderr.contains("not pulled: host"), "\(run.stderr)")
        #expect(run.stderr.contains("not pulled: dangling"), "\(run.stderr)")
        #expect(try await world.workerText("ls -A '\(outside)'").isEmpty, "nothing written outside, there")
        #expect(
            (try? FileManager.default.contentsOfDirectory(atPath: outside))?.isEmpty ?? true, "nor here")
        var info = stat()
        #expect(lstat(results + "/evil", &info) != 0, "no link to the outside made")
        // What p made below the results directory stays below it.
        let made = try FileManager.default.subpathsOfDirectory(atPath: results)
        for path in made {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: results + "/" + path) {
                #expect(!target.hasPrefix("/"), "\(path) -> \(target): no absolute link")
            }
        }
    }
}
