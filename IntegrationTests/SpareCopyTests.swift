import Foundation
import Testing

@testable import RemoteJobs

/// A fresh work directory just synced gets a spare copy on the worker while its job runs;
/// the next sync from the same directory takes it by a rename and sends only what changed
/// (`SpareCopy`), over every transport, and `p rm` removes it with its job.
@Suite("Spare copies of the work directory", .timeLimit(.minutes(10)), .throttled)
struct SpareCopyTests {
    /// Whether job `id`'s spare copy is made on the worker, waiting for it (at most 30 s).
    static func spareIsMade(_ world: JobWorld, _ id: String) async throws -> Bool {
        let spare = world.root + "/spares/" + id
        let waited = try await world.onWorker(
            "n=0; while { [ ! -d '\(spare)' ] || [ -f '\(spare).making' ]; } && [ $n -lt 3000 ]; do sleep 0.01; n=$((n + 1)); done; [ -d '\(spare)' ] && [ ! -f '\(spare).making' ]"
        )
        return waited.status == .exited(0)
    }

    static func exists(_ world: JobWorld, _ path: String) async throws -> Bool {
        try await world.onWorker("[ -e '\(path)' ]").status == .exited(0)
    }

    @Test(arguments: ["tar", "sftp", "rsync"])
    func theNextSyncTakesTheSpareAndSendsWhatChanged(via: String) async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(
            [
                "same.txt": String(repeating: "s", count: 1000), "job-changes.txt": "original", "edited.txt": "v1",
                "deleted.txt": "gone soon", "renamed-from.txt": "moving", "tool.sh": "#!/bin/sh\n",
                "dir/nested.txt": "n", "kind/inside.txt": "a folder now, a file next",
            ], under: root)
        SharedWorkdirTests.setModified(under: root)
        let first = try await world.p("-C", root, "--sync-via", via, "--", "echo changed-by-the-job > job-changes.txt")
        #expect(first.status == 0, "\(first.stderr)")
        let firstID = try #require(world.records.loadAll().records.first?.id)
        #expect(try await Self.spareIsMade(world, firstID))
        // Behind p's back: same size and mtime, other bytes, in the spare. Only the spare
        // taken as the next work directory can carry them into the next job.
        let spare = world.root + "/spares/" + firstID
        _ = try await world.onWorker(
            "cd '\(spare)' && m=$(stat -c %Y same.txt) && printf '%1000s' | tr ' ' B > same.txt && touch -d @$m same.txt"
        )

        try IncrementalSyncTests.editTheClient(root)
        try FileManager.default.removeItem(atPath: root + "/kind")
        try "a file".write(toFile: root + "/kind", atomically: false, encoding: .utf8)

        let second = try await world.p("-C", root, "--sync-via", via, "-v", "--", IncrementalSyncTests.listing)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("(its spare copy of the last work directory)"), "\(second.stderr)")
        #expect(second.stdoutText == IncrementalSyncTests.listingAfterEdits(adding: ["./kind 644 a file"]))
        #expect(try await !Self.exists(world, spare), "taken, not copied")
        #expect(try await Self.exists(world, world.root + "/workdirs/" + firstID), "the last job's own copy stays")

        // The second job's spare is made in turn, and goes with its job.
        let secondID = try #require(world.records.loadAll().records.first { $0.id != firstID }?.id)
        #expect(try await Self.spareIsMade(world, secondID))
        let removed = try await world.p("rm", secondID)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try await !Self.exists(world, world.root + "/spares/" + secondID))
    }

    /// `p worker set --no-spare-copies` (`spare_copies: false` in config.yaml): no spare is
    /// made, and the next sync copies from the last work directory on the worker as before.
    @Test func turnedOffInTheConfigNoSpareIsMade() async throws {
        let world = try await JobWorld.make()
        let set = try await world.p("worker", "set", "box", "--no-spare-copies")
        #expect(set.stdoutText.contains("spare copies off"), "\(set.stdoutText) \(set.stderr)")
        let text = try String(contentsOfFile: world.directory + "/config/p/config.yaml", encoding: .utf8)
        #expect(text.contains("spare_copies: false"), "\(text)")
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(["a.txt": "a", "b.txt": "b"], under: root)
        SharedWorkdirTests.setModified(under: root)
        let first = try await world.p("-C", root, "--", "true")
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await world.p("-C", root, "-v", "--", "cat a.txt b.txt")
        #expect(second.stdoutText == "ab", "\(second.stderr)")
        #expect(second.stderr.contains(": 2 files already on the worker, "), "\(second.stderr)")
        #expect(try await !Self.exists(world, world.root + "/spares"))
    }
}
