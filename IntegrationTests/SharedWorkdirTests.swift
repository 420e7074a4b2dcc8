import Foundation
import Testing

@testable import RemoteJobs

/// `--reuse-workdir`: one persistent work directory per client directory, synced in place,
/// where build caches survive, used by one job at a time.
@Suite("Persistent work directories", .timeLimit(.minutes(10)), .throttled)
struct SharedWorkdirTests {
    static func write(_ files: [String: String], under root: String) throws {
        for (path, text) in files {
            try FileManager.default.createDirectory(
                atPath: (root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
        }
    }

    /// Sets the modification time of every file under `root` to `seconds` since 1970 (an
    /// hour ago by default). Files written just before a sync are "racily clean" (see
    /// `SyncManifest.unchangedLines`) and travel again the next time; tests that count the
    /// files kept on the worker date theirs back first.
    static func setModified(under root: String, to seconds: Int = Int(Date().timeIntervalSince1970) - 3600) {
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        for path in files {
            var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
            utimensat(AT_FDCWD, root + "/" + path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func cachesSurviveAndTheCopyFollowsTheClient(via: String) async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try Self.write(
            [
                ".gitignore": "target/\n", "src/lib.rs": "v1", "deleted.txt": "x", "was-file": "f",
                "was-dir/inner.txt": "i", "read-only.txt": "r",
            ], under: root)
        chmod(root + "/read-only.txt", 0o444)
        let first = try await world.p(
            "-C", root, "--reuse-workdir", "--sync-via", via, "--",
            "mkdir -p target && echo built > target/cache && echo tampered > src/lib.rs && echo extra > untracked.txt && pwd"
        )
        #expect(first.status == 0, "\(first.stderr)")
        let workdir = first.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(workdir.contains("/workdirs/keep-"))

        try FileManager.default.removeItem(atPath: root + "/deleted.txt")
        try FileManager.default.removeItem(atPath: root + "/was-file")
        try FileManager.default.removeItem(atPath: root + "/was-dir")
        chmod(root + "/read-only.txt", 0o644)
        try Self.write(
            ["was-file/now-inside.txt": "d", "was-dir": "now a file", "read-only.txt": "rewritten"], under: root)
        let second = try await world.p(
            "-C", root, "--reuse-workdir", "--sync-via", via, "--",
            "pwd; cat target/cache src/lib.rs was-dir was-file/now-inside.txt read-only.txt; echo; find . -path ./target -prune -o -type f -print | sort"
        )
        #expect(second.status == 0, "\(second.stderr)")
        #expect(
            second.stdoutText == """
                \(workdir)
                built
                v1now a filedrewritten
                ./.gitignore
                ./read-only.txt
                ./src/lib.rs
                ./untracked.txt
                ./was-dir
                ./was-file/now-inside.txt

                """)
        // Without the flag, a job still gets its own directory.
        let isolated = try await world.p("-C", root, "--sync-via", via, "--", "pwd; ls target 2>&1 | head -c 0")
        #expect(isolated.status == 0)
        #expect(!isolated.stdoutText.contains("keep-"))
        let records = world.records.loadAll().records
        #expect(records.filter { $0.sharedWorkdir != nil }.count == 2)
        // `p pull` reads the persistent directory of a job that ran there.
        let shared = try #require(records.first { $0.sharedWorkdir != nil })
        let pulled = world.directory + "/pulled.txt"
        let pull = try await world.p("pull", shared.id, "target/cache", pulled)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(try String(contentsOfFile: pulled, encoding: .utf8) == "built\n")
    }

    @Test func oneJobAtATimeAndWaitWaits() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try Self.write(["a.txt": "a"], under: root)
        let holder = try await world.p(
            "-C", root, "--reuse-workdir", "-d", "--",
            "n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo first >> log.txt")
        #expect(holder.status == 0, "\(holder.stderr)")
        let holderID = try JobWorld.id(holder)
        let refused = try await world.p("-C", root, "--reuse-workdir", "--", "echo second")
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "job \(holderID.prefix(8)) is running in this directory's persistent work directory"))
        #expect(refused.stderr.contains("--wait"))
        #expect(world.records.loadAll().records.count == 1, "the refused job leaves no record")

        let waiting = try world.start(
            "-C", root, "--reuse-workdir", "--wait", "--", "echo second >> log.txt; cat log.txt")
        let name = try #require(try world.records.load(holderID)?.sharedWorkdir)
        try await JobWorld.eventually("the second job says it waits") {
            waiting.stderrSoFar.contains("waiting for job \(holderID.prefix(8))")
        }
        _ = try await world.onWorker("touch '\(world.root)/workdirs/\(name)/go'")
        let second = try await waiting.wait()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "first\nsecond\n")
    }
}
