import Foundation
import Testing

@testable import RemoteJobs

@Suite("rsync's remote shell, progress and errors")
struct RsyncTransferTests {
    @Test func remoteShellWordsSurviveRsyncsSplitting() {
        #expect(RsyncTransfer.commandString(["/usr/bin/p", "_exec"]) == "/usr/bin/p _exec")
        #expect(
            RsyncTransfer.commandString(["/opt/my tools/p", "_exec", "--connection", "it's@host:22", ""])
                == "'/opt/my tools/p' _exec --connection \"it's@host:22\" ''")
    }

    @Test func progressLinesGiveBytesAndFiles() throws {
        let line = "     12,345,678  45%   12.34MB/s    0:00:01 (xfr#37, to-chk=5/100)"
        let parsed = try #require(RsyncTransfer.parseProgress(line))
        #expect(parsed.bytes == 12_345_678)
        #expect(parsed.files == 37)
        #expect(RsyncTransfer.parseProgress("sending incremental file list") == nil)
        #expect(RsyncTransfer.parseProgress("              0   0%    0.00kB/s    0:00:00")?.files == 0)
    }

    @Test func errorSummaryPrefersTheSpecificLines() {
        let text = """
            rsync: [sender] send_files failed to open "/src/secret": Permission denied (13)
            rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]

            """
        #expect(
            RsyncTransfer.summary(text)
                == "rsync: [sender] send_files failed to open \"/src/secret\": Permission denied (13)")
        #expect(
            RsyncTransfer.summary("rsync error: unexplained error (code 255)")
                == "rsync error: unexplained error (code 255)")
        #expect(RsyncTransfer.summary("") == "no message")
    }

    @Test func rsyncIsChosenOnlyWhenThereIsEnoughToSend() {
        let small = (0..<10).map { SyncEntry(path: "f\($0)", kind: .file, mode: 0o644, size: 100) }
        let many = (0..<64).map { SyncEntry(path: "f\($0)", kind: .file, mode: 0o644, size: 1) }
        let directories = (0..<500).map { SyncEntry(path: "d\($0)", kind: .directory, mode: 0o755) }
        #expect(!WorkdirSync.worthRsync(small + directories, bytes: 1000))
        #expect(WorkdirSync.worthRsync(many, bytes: 64))
        #expect(WorkdirSync.worthRsync(small, bytes: 8 << 20))
    }
}

@Suite("Choosing a transport")
struct TransportChoiceTests {
    static let small = (0..<3).map { SyncEntry(path: "f\($0)", kind: .file, mode: 0o644, size: 10) }
    static let many = (0..<100).map { SyncEntry(path: "f\($0)", kind: .file, mode: 0o644, size: 10) }
    static let big = [SyncEntry(path: "data.bin", kind: .file, mode: 0o644, size: 64 << 20)]

    static func choose(
        _ entries: [SyncEntry], _ requested: SyncTransport = .automatic, tar: Bool = true, rsync: Bool = true,
        inPlace: Bool = false, previous: SyncManifest? = nil
    ) -> SyncTransport {
        WorkdirSync.transport(
            requested, tools: WorkerTools(rsync: rsync, tar: tar), rsyncUsable: rsync, inPlace: inPlace,
            toSend: entries, bytes: entries.reduce(0) { $0 + $1.size }, previous: previous)
    }

    @Test func tarUnlessRsyncCanSendDifferences() {
        #expect(Self.choose(Self.many) == .tar)
        #expect(Self.choose(Self.big) == .tar, "a large file with no earlier copy travels whole anyway")
        let previous = SyncManifest(
            plan: SyncPlanner.Plan(entries: Self.big, skipped: []), directory: "/d", worker: "w", root: ".p",
            workdirID: "old")
        #expect(Self.choose(Self.big, previous: previous) == .rsync)
        #expect(Self.choose(Self.big, inPlace: true) == .rsync)
        #expect(Self.choose(Self.big, rsync: false, previous: previous) == .tar)
    }

    @Test func withoutTarRsyncForLargeSendsAndSFTPForSmallOnes() {
        #expect(Self.choose(Self.many, tar: false) == .rsync)
        #expect(Self.choose(Self.small, tar: false) == .sftp)
        #expect(Self.choose(Self.many, tar: false, rsync: false) == .sftp)
        #expect(Self.choose(Self.small, tar: false, inPlace: true) == .rsync)
    }

    @Test func aRequestedTransportIsUsed() {
        for requested in [SyncTransport.rsync, .sftp, .tar] {
            #expect(Self.choose(Self.many, requested) == requested)
        }
    }
}

@Suite("The manifest of a persistent work directory")
struct SharedManifestTests {
    static func plan(_ entries: [SyncEntry]) -> SyncPlanner.Plan { SyncPlanner.Plan(entries: entries, skipped: []) }

    @Test func staleEntriesAreWhatTheClientNoLongerHasOrHasAsAnotherKind() {
        let before = Self.plan([
            SyncEntry(path: "kept.txt", kind: .file, mode: 0o644, size: 1),
            SyncEntry(path: "deleted.txt", kind: .file, mode: 0o644, size: 1),
            SyncEntry(path: "became-dir", kind: .file, mode: 0o644, size: 1),
            SyncEntry(path: "old-dir", kind: .directory, mode: 0o755),
            SyncEntry(path: "link", kind: .symlink(target: "kept.txt"), mode: 0o777),
        ])
        let manifest = SyncManifest(plan: before, directory: "/d", worker: "w", root: ".p", workdirID: "keep-1")
        let after = Self.plan([
            SyncEntry(path: "kept.txt", kind: .file, mode: 0o644, size: 2),
            SyncEntry(path: "became-dir", kind: .directory, mode: 0o755),
            SyncEntry(path: "link", kind: .symlink(target: "other"), mode: 0o777),
            SyncEntry(path: "new.txt", kind: .file, mode: 0o644, size: 1),
        ])
        let stale = manifest.stalePaths(comparedWith: after)
        #expect(stale == ["became-dir", "deleted.txt", "link", "old-dir"])
        let merged = manifest.merging(after, removing: stale)
        #expect(Set(merged.files.keys) == ["kept.txt", "new.txt"])
        #expect(merged.directories == ["became-dir"])
        #expect(merged.links == ["link"])
    }

    @Test func pathsThatLeaveTheWorkdirAreNeverListed() {
        var manifest = SyncManifest(
            plan: Self.plan([]), directory: "/d", worker: "w", root: ".p", workdirID: "keep-1")
        for path in ["../outside", "/etc/passwd", "a/../../b", "a//b", "."] {
            manifest.files[path] = SyncManifest.File(size: 1, modified: 1, mode: 0o644)
        }
        manifest.files["fine/path"] = SyncManifest.File(size: 1, modified: 1, mode: 0o644)
        #expect(manifest.stalePaths(comparedWith: Self.plan([])) == ["fine/path"])
    }

    @Test func sharedWorkdirNamesDependOnTheDirectory() {
        let one = SyncManifest.sharedWorkdirName(directory: "/src/a")
        #expect(one == SyncManifest.sharedWorkdirName(directory: "/src/a"))
        #expect(one != SyncManifest.sharedWorkdirName(directory: "/src/b"))
        #expect(one.hasPrefix("keep-"))
    }
}
