import Foundation
import RemoteJobs
import Testing

/// A job that plants symbolic links in its persistent work directory must not make the next
/// sync write, chmod or delete anything outside it, whatever the transport.
@Suite("Links planted in a persistent work directory", .timeLimit(.minutes(10)), .throttled)
struct HostileWorkdirTests {
    /// What a directory tree on the worker holds: path, kind, mode and content of each entry.
    static func snapshot(_ world: JobWorld, _ directory: String) async throws -> String {
        try await world.workerText(
            "cd '\(directory)' && find . -printf '%p %y %m\\n' | LC_ALL=C sort && find . -type f -exec sh -c 'for f; do printf \"%s: \" \"$f\"; cat \"$f\"; done' sh {} + | LC_ALL=C sort"
        )
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func linksAtEveryDepthAreReplacedAndNothingOutsideChanges(via: String) async throws {
        let world = try await JobWorld.make()
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(
            [
                ".gitignore": "cache/\n", "out/a.txt": "client v1", "l1/l2/l3/c.txt": "deep v1",
                "gone/x.txt": "x v1", "gone/y.txt": "y v1", "top.txt": "top v1",
            ], under: project)
        let victim = world.root + "/victim"
        // The first job turns synced directories (at depths 1 and 3) and a file into links to
        // private places outside its work directory, and leaves a link of its own in an
        // ignored cache, which must survive.
        let plant = """
            V='\(victim)'; mkdir -p "$V/out" "$V/deep" "$V/gone" && echo victim > "$V/out/a.txt" && echo keep > "$V/gone/x.txt" && echo secret > "$V/top.txt" && chmod 700 "$V/out" "$V/deep" "$V/gone" && chmod 600 "$V/top.txt" \
            && rm -rf out && ln -s "$V/out" out && rm -rf l1/l2/l3 && ln -s "$V/deep" l1/l2/l3 && rm -rf gone && ln -s "$V/gone" gone \
            && rm -f top.txt && ln -s "$V/top.txt" top.txt && mkdir cache && ln -s "$V" cache/link && echo planted
            """
        let first = try await world.p("-C", project, "--reuse-workdir", "--sync-via", via, "--", plant)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutText == "planted\n")
        let before = try await Self.snapshot(world, victim)

        // The client changes a file behind each link, adds files and a folder there, and
        // deletes one file of a directory that is now a link on the worker.
        try FileManager.default.removeItem(atPath: project + "/gone/x.txt")
        try SharedWorkdirTests.write(
            [
                "out/a.txt": "client v2", "out/new.txt": "new", "l1/l2/l3/c.txt": "deep v2",
                "l1/l2/l3/sub/d.txt": "d", "top.txt": "top v2",
            ], under: project)
        let second = try await world.p(
            "-C", project, "--reuse-workdir", "--sync-via", via, "--",
            "for f in out/a.txt out/new.txt l1/l2/l3/c.txt l1/l2/l3/sub/d.txt gone/y.txt top.txt; do cat $f; echo; done; for f in out l1/l2/l3 gone top.txt; do test -L $f && echo \"$f is a link\"; done; ls gone; test -L cache/link && echo cache kept"
        )
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "client v2\nnew\ndeep v2\nd\ny v1\ntop v2\ny.txt\ncache kept\n")
        #expect(second.stderr.contains("replaced 3 symbolic link(s)"), "\(second.stderr)")
        #expect(second.stderr.contains("out"), "\(second.stderr)")
        let after = try await Self.snapshot(world, victim)
        #expect(after == before, "nothing outside the work directory changed")
        #expect(before.contains("./out d 700"))
        #expect(before.contains("./gone/x.txt: keep"))
    }

    @Test(arguments: ["sftp", "rsync", "tar"])
    func aWorkDirectoryReplacedByALinkIsMadeAgain(via: String) async throws {
        let world = try await JobWorld.make()
        let project = world.directory + "/project"
        try SharedWorkdirTests.write(["a.txt": "v1", "sub/b.txt": "b"], under: project)
        let victim = world.root + "/victim"
        let first = try await world.p(
            "-C", project, "--reuse-workdir", "--sync-via", via, "--",
            "W=$PWD; V='\(victim)'; mkdir -p \"$V\" && echo mine > \"$V/a.txt\" && chmod 700 \"$V\" && cd .. && rm -rf \"$W\" && ln -s \"$V\" \"$W\" && echo swapped"
        )
        #expect(first.status == 0, "\(first.stderr)")
        let before = try await Self.snapshot(world, victim)
        try SharedWorkdirTests.write(["a.txt": "v2"], under: project)
        let second = try await world.p(
            "-C", project, "--reuse-workdir", "--sync-via", via, "--",
            "test -L \"$PWD\" && echo link; cat a.txt sub/b.txt")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "v2b")
        #expect(try await Self.snapshot(world, victim) == before)
    }
}
