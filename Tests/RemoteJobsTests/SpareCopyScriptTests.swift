import Foundation
import Testing

@testable import RemoteJobs

/// `Worker/make-spare.sh` run locally under dash and bash (it needs GNU find, so BusyBox's
/// tools make nothing; the launch does not start it there): what a spare copy of a work
/// directory holds, what it leaves out, and when it is not made at all.
@Suite("Spare copies of a work directory", .timeLimit(.minutes(5)))
struct SpareCopyScriptTests {
    /// The maker as the launch starts it.
    struct MakeSpare: WorkerScript {
        var root: String
        var id: String
        var workdir: String
        var drop = ""
        var need = "0"
        var arguments: KeyValuePairs<String, String> {
            ["root": root, "id": id, "workdir": workdir, "drop": drop, "need": need]
        }
        static let source = SpareCopy.maker
    }

    static let shells = LocalShell.all.filter { !$0.isBusyBox }

    /// Marks the end of a sync as the launch does (`lib/spare.sh`): the mark, then a file
    /// whose mtime is past it, so what is written next is later than the mark.
    static func mark(_ job: String) throws {
        FileManager.default.createFile(atPath: job + "/spare-mark", contents: nil)
        var mark = stat()
        var tick = stat()
        stat(job + "/spare-mark", &mark)
        repeat {
            unlink(job + "/spare-tick")
            FileManager.default.createFile(atPath: job + "/spare-tick", contents: nil)
            stat(job + "/spare-tick", &tick)
        } while (tick.st_mtim.tv_sec, tick.st_mtim.tv_nsec) <= (mark.st_mtim.tv_sec, mark.st_mtim.tv_nsec)
        unlink(job + "/spare-tick")
    }

    static func write(_ text: String, to path: String, mode: mode_t = 0o644, modified: Int = 1_600_000_000) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        var times = [timespec(tv_sec: modified, tv_nsec: 0), timespec(tv_sec: modified, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    /// The sync's files are copied with their modes and times; a file the job wrote after
    /// the mark (here in place, at the same size, its mtime put back: nothing but its ctime
    /// tells) and a file the job made are not; the spare it replaces is removed (read-only
    /// parts too), and the maker leaves none of its own files behind.
    @Test(arguments: shells)
    func theSpareHoldsWhatTheSyncWroteAndNothingTheJobTouched(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        let job = try root.job("b")
        let workdir = root.path + "/workdirs/b"
        try Self.write("kept\n", to: workdir + "/tool.sh", mode: 0o750)
        try Self.write("deep\n", to: workdir + "/sub dir/deep.txt")
        try Self.write("original\n", to: workdir + "/touched.txt")
        try FileManager.default.createSymbolicLink(atPath: workdir + "/link", withDestinationPath: "tool.sh")
        let old = root.path + "/spares/a"
        try Self.write("old\n", to: old + "/locked/file.txt", mode: 0o444)
        chmod(old + "/locked", 0o555)
        try Self.mark(job)
        // The job, after the mark.
        try Self.write("CHANGED!\n", to: workdir + "/touched.txt")
        try Self.write("made by the job\n", to: workdir + "/out.txt")

        _ = try await shell.run(MakeSpare(root: root.path, id: "b", workdir: workdir, drop: "a"))

        let spare = root.path + "/spares/b"
        let listing = try await Shell.lines(
            "/bin/sh", ["-c", "cd \"$0\" && find . -mindepth 1 -printf '%y %m %Ts %P\\n' | sort", spare])
        #expect(
            listing == [
                "d \(Self.modeAndTime(workdir + "/sub dir")) sub dir", "f 644 1600000000 sub dir/deep.txt",
                "f 750 1600000000 tool.sh",
            ], "\(listing)")
        #expect(try String(contentsOfFile: spare + "/tool.sh", encoding: .utf8) == "kept\n")
        #expect(!FileManager.default.fileExists(atPath: old), "the spare it replaces is gone")
        let left = try FileManager.default.contentsOfDirectory(atPath: root.path + "/spares")
        #expect(left == ["b"], "no .making, no half-made copy")
        #expect(!FileManager.default.fileExists(atPath: job + "/spare-mark"))
    }

    /// `MODE MTIME` as find prints them: the copy keeps both (cp -p --parents).
    static func modeAndTime(_ path: String) -> String {
        var info = stat()
        stat(path, &info)
        return String(info.st_mode & 0o7777, radix: 8) + " \(info.st_mtim.tv_sec)"
    }

    /// No copy without twice its size free on the disk, without the mark (a launch that
    /// never marked), once the job's files were removed (`p rm` while it was made), or from
    /// a work directory the job replaced with a link (to files of the user's elsewhere).
    @Test(arguments: shells)
    func noSpareWithoutRoomMarkOrJob(shell: LocalShell) async throws {
        let root = WorkerScriptTests.Root()
        defer { root.remove() }
        // Older than the mark, as the user's own files elsewhere are.
        let elsewhere = root.path + "/elsewhere"
        try Self.write("not the job's\n", to: elsewhere + "/secret.txt")
        for id in ["room", "mark", "gone", "link"] {
            let job = try root.job(id)
            try Self.write("x\n", to: root.path + "/workdirs/\(id)/file.txt")
            if id != "mark" { try Self.mark(job) }
        }
        _ = try await shell.run(
            MakeSpare(root: root.path, id: "room", workdir: root.path + "/workdirs/room", need: "\(UInt64(1) << 50)"))
        _ = try await shell.run(MakeSpare(root: root.path, id: "mark", workdir: root.path + "/workdirs/mark"))
        // Removed after the mark, as `p rm` removes a job's files.
        try FileManager.default.removeItem(atPath: root.path + "/jobs/gone")
        _ = try await shell.run(MakeSpare(root: root.path, id: "gone", workdir: root.path + "/workdirs/gone"))
        try FileManager.default.removeItem(atPath: root.path + "/workdirs/link")
        try FileManager.default.createSymbolicLink(atPath: root.path + "/workdirs/link", withDestinationPath: elsewhere)
        _ = try await shell.run(MakeSpare(root: root.path, id: "link", workdir: root.path + "/workdirs/link"))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root.path + "/spares")) ?? []
        #expect(left == [], "\(left)")
    }
}
