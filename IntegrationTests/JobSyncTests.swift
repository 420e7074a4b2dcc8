import Foundation
import RemoteJobs
import Testing

/// `p -- ...` copies the current directory into the job's work directory (SFTP path).
@Suite("Syncing the work directory", .timeLimit(.minutes(3)))
struct JobSyncTests {
    /// A client directory with everything the copy must keep or leave out.
    static func makeTree(in world: JobWorld) throws -> String {
        let root = world.directory + "/project"
        let files: [String: String] = [
            ".gitignore": "build/\n*.log\n!keep.log\n",
            "src/main.c": "int main(void) { return 0; }\n",
            "src/.gitignore": "*.o\n",
            "src/main.o": "object", "src/keep.log": "kept", "debug.log": "ignored", "build/out.bin": "ignored",
            "docs/naïve name — ü.txt": "unicode", "with space/and\nnewline": "odd names",
            "run.sh": "#!/bin/sh\necho ran\n", ".git/HEAD": "ref: refs/heads/main\n", ".git/info/exclude": "secret\n",
            "secret": "excluded by info/exclude",
        ]
        for (path, contents) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: false, encoding: .utf8)
        }
        chmod(root + "/run.sh", 0o755)
        try FileManager.default.createDirectory(atPath: root + "/empty/dir", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/to-etc", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: root + "/src/relative", withDestinationPath: "../run.sh")
        var old = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, root + "/src/main.c", &old, 0)
        mkfifo(root + "/pipe", 0o644)
        return root
    }

    @Test func theJobStartsFromAnExactCopy() async throws {
        let world = try await JobWorld.make()
        let root = try Self.makeTree(in: world)
        let plan = try SyncPlanner.plan(root: root)
        // find prints: type, mode, mtime (whole seconds), path, link target; NUL-separated.
        let result = try await world.p(
            arguments: [
                "-C", root, "--",
                "find . -mindepth 1 -printf '%y %m %Ts %P -> %l\\0' | sort -z; ./run.sh > /dev/null || exit 9",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("not copying 1 special file(s)"), "the FIFO is skipped with a warning")
        let listed = Set(result.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        let expected = Set(
            plan.entries.map { entry -> String in
                let type: String
                var link = ""
                switch entry.kind {
                case .file: type = "f"
                case .directory: type = "d"
                case .symlink(let target):
                    type = "l"
                    link = target
                }
                let mode = String(entry.kind == .directory || type == "f" ? entry.mode & 0o7777 : 0o777, radix: 8)
                return "\(type) \(mode) \(entry.modifiedSeconds) \(entry.path) -> \(link)"
            })
        let seconds = { (line: String) in line.split(separator: " ").prefix(2).joined(separator: " ") }
        // Links' own mtimes are not kept (SFTP cannot set them); compare everything else.
        let withoutLinkTimes = { (lines: Set<String>) in
            Set(
                lines.map {
                    $0.hasPrefix("l ")
                        ? seconds($0) + " " + $0.split(separator: " ").dropFirst(3).joined(separator: " ") : $0
                })
        }
        #expect(withoutLinkTimes(listed) == withoutLinkTimes(expected))
        for left in ["build", "debug.log", "src/main.o", "secret", "pipe"] {
            #expect(!listed.contains { $0.contains(" \(left) -> ") }, "\(left) is left out")
        }
        #expect(listed.contains { $0.hasSuffix(" src/keep.log -> ") })
        #expect(listed.contains { $0.hasPrefix("f 644 1600000000 src/main.c") })
        #expect(listed.contains { $0.hasPrefix("f 755 ") && $0.contains(" run.sh ") })
        #expect(listed.contains { $0.contains(" to-etc -> /etc") })
        #expect(listed.contains { $0.contains(" .git/HEAD -> ") })
        #expect(listed.contains { $0.contains(" empty/dir -> ") })
    }

    @Test func noSyncStaysEmptyAndTheLocalTreeIsUntouched() async throws {
        let world = try await JobWorld.make()
        let root = try Self.makeTree(in: world)
        let before = try FileManager.default.subpathsOfDirectory(atPath: root).sorted()
        let result = try await world.p(arguments: ["-C", root, "-n", "--", "ls -A | wc -l"])
        #expect(result.stdoutText == "0\n")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: root).sorted() == before)
    }
}
