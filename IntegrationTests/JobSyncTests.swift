import Foundation
import Testing

@testable import RemoteJobs

/// `p -- ...` copies the current directory into the job's work directory (SFTP path).
@Suite("Syncing the work directory", .timeLimit(.minutes(10)), .throttled)
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

    /// Every transport copies the tree exactly: the same listing (type, mode, mtime, path,
    /// link target) as the plan, and the same contents as the client, so the same as each
    /// other.
    @Test func everyTransportMakesTheSameExactCopy() async throws {
        let world = try await JobWorld.make()
        let root = try Self.makeTree(in: world)
        let plan = try SyncPlanner.plan(root: root)
        let files = plan.entries.filter { $0.kind == .file }.map { "./" + $0.path }
        let localSums = try Shell.run(
            "sh", ["-c", "cd \"$0\" && printf '%s\\0' \"$@\" | sort -z | xargs -0 md5sum", root] + files)
        var listings: [String: Set<String>] = [:]
        for via in ["sftp", "rsync", "tar"] {
            // Without the last sync's manifest, everything travels by this transport.
            try? FileManager.default.removeItem(atPath: world.directory + "/data/p/sync")
            // find prints: type, mode, mtime (whole seconds), path, link target; NUL-separated.
            let result = try await world.p(
                arguments: [
                    "-C", root, "--sync-via", via, "-v", "--",
                    "find . -mindepth 1 -printf '%y %m %Ts %P -> %l\\0' | sort -z; ./run.sh > /dev/null || exit 9; printf 'SUMS\\0'; find . -type f -print0 | sort -z | xargs -0 md5sum",
                ])
            #expect(result.status == 0, "\(via): \(result.stderr)")
            #expect(result.stderr.contains("not copying 1 special file(s)"), "the FIFO is skipped with a warning")

            let how = ["rsync": "handed to rsync", "sftp": "sent over SFTP", "tar": "streamed with tar"][via] ?? "?"
            #expect(
                result.stderr.contains("0 files already on the worker, 18 entries (123 B) \(how)"), "\(result.stderr)")
            #expect(!result.stderr.contains("\r"), "no progress line when stderr is not a terminal")
            let parts = result.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            #expect(parts.last == localSums, "\(via): the contents are the client's")
            listings[via] = Set(parts.prefix(while: { $0 != "SUMS" }))
        }
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
        // Links' and directories' own mtimes are not kept (SFTP cannot set a link's; the
        // directories are made in one exec); compare everything else.
        let comparable = { (lines: Set<String>) in
            Set(
                lines.map { line -> String in
                    guard line.hasPrefix("l ") || line.hasPrefix("d ") else { return line }
                    let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                    return fields.count == 4 ? "\(fields[0]) \(fields[1]) \(fields[3])" : line
                })
        }
        let sftp = try #require(listings["sftp"])
        #expect(comparable(sftp) == comparable(expected))
        #expect(comparable(try #require(listings["rsync"])) == comparable(sftp))
        #expect(comparable(try #require(listings["tar"])) == comparable(sftp))
        for left in ["build", "debug.log", "src/main.o", "secret", "pipe"] {
            #expect(!sftp.contains { $0.contains(" \(left) -> ") }, "\(left) is left out")
        }
        #expect(sftp.contains { $0.hasSuffix(" src/keep.log -> ") })
        #expect(sftp.contains { $0.hasPrefix("f 644 1600000000 src/main.c") })
        #expect(sftp.contains { $0.hasPrefix("f 755 ") && $0.contains(" run.sh ") })
        #expect(sftp.contains { $0.contains(" to-etc -> /etc") })
        #expect(sftp.contains { $0.contains(" .git/HEAD -> ") })
        #expect(sftp.contains { $0.contains(" empty/dir -> ") })
    }

    /// On a terminal (a pty from `script`), a sync that takes a while shows one updating
    /// line, erased before the job's output.
    @Test func aProgressLineOnATerminal() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/big"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data(count: 120 << 20).write(to: URL(fileURLWithPath: root + "/zeros.bin"))
        let typescript = world.directory + "/typescript"
        let command = [try Shell.pExecutable, "-C", root, "--sync-via", "sftp", "--", "echo ran"].map {
            "'" + $0 + "'"
        }.joined(separator: " ")
        let result = try await PProcess(
            ["-qec", command, typescript], environment: world.environment, executable: "/usr/bin/script"
        ).wait(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let screen = try String(contentsOfFile: typescript, encoding: .utf8)
        #expect(screen.contains("\r0/1 files") || screen.contains("\r1/1 files"), "\(screen.prefix(300))")
        #expect(screen.contains(" MB/s\u{1B}[K"))
        #expect(screen.contains("\r\u{1B}[Kran"), "the line is erased before the job's output")
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

@Suite("Incremental sync", .timeLimit(.minutes(10)), .throttled)
struct IncrementalSyncTests {
    /// Without spare copies (`spare_copies: false`), unchanged files are copied on the
    /// worker from the last work directory when it still holds them as p left them.
    @Test(arguments: ["sftp", "rsync", "tar"])
    func unchangedFilesComeFromThePreviousWorkdirAndChangesTravel(via: String) async throws {
        let world = try await JobWorld.make()
        // The copy from the last work directory, as without a spare copy (SpareCopyTests).
        try await world.store.update { config throws(RemoteJobsError) in
            config.workers[0].spareCopies = false
        }
        let root = world.directory + "/project"
        let files = [
            "same.txt": String(repeating: "s", count: 1000), "job-changes.txt": "original", "edited.txt": "v1",
            "deleted.txt": "gone soon", "renamed-from.txt": "moving", "tool.sh": "#!/bin/sh\n", "dir/nested.txt": "n",
        ]
        for (path, text) in files {
            try FileManager.default.createDirectory(
                atPath: (root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
        }
        SharedWorkdirTests.setModified(under: root)
        let first = try await world.p("-C", root, "--sync-via", via, "--", "echo changed-by-the-job > job-changes.txt")
        #expect(first.status == 0, "\(first.stderr)")
        let firstID = try #require(world.records.loadAll().records.first?.id)
        let base = world.root + "/workdirs/" + firstID
        // Behind p's back: same size and mtime, other bytes. Only a copy made on the worker
        // from this base can carry them into the next job.
        _ = try await world.onWorker(
            "cd '\(base)' && m=$(stat -c %Y same.txt) && printf '%1000s' | tr ' ' B > same.txt && touch -d @$m same.txt"
        )

        try Self.editTheClient(root)

        let second = try await world.p("-C", root, "--sync-via", via, "-v", "--", Self.listing)
        #expect(second.status == 0, "\(second.stderr)")
        // same.txt and dir/nested.txt; job-changes.txt is as the client left it, but not
        // on the worker, so it travels again.
        #expect(second.stderr.contains(": 2 files already on the worker"), "\(second.stderr)")
        #expect(second.stdoutText == Self.listingAfterEdits())

        // Without its base (removed), the next sync sends everything again.
        let secondID = try #require(world.records.loadAll().records.first { $0.id != firstID }?.id)
        _ = try await world.p("rm", firstID)
        _ = try await world.p("rm", secondID)
        let third = try await world.p("-C", root, "--sync-via", via, "--", "head -c 3 same.txt; cat job-changes.txt")
        #expect(third.stdoutText == "sssoriginal")
    }
}

extension IncrementalSyncTests {
    /// Edits, deletes, renames, makes executable and adds a file under `root`.
    static func editTheClient(_ root: String) throws {
        try "v2, longer".write(toFile: root + "/edited.txt", atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: root + "/deleted.txt")
        try FileManager.default.moveItem(atPath: root + "/renamed-from.txt", toPath: root + "/renamed-to.txt")
        chmod(root + "/tool.sh", 0o755)
        try "new".write(toFile: root + "/dir/new.txt", atomically: false, encoding: .utf8)
    }

    /// What `listing` prints after `editTheClient`, the files' `same.txt` changed behind
    /// p's back to Bs on the worker, and the `extra` lines.
    static func listingAfterEdits(adding extra: [String] = []) -> String {
        let lines = [
            "./dir/nested.txt 644 n", "./dir/new.txt 644 new", "./edited.txt 644 v2, longer",
            "./job-changes.txt 644 original", "./renamed-to.txt 644 moving", "./same.txt 644 BBBBBBBBBBBB",
            "./tool.sh 755 #!/bin/sh",
        ]
        return (lines + extra).sorted().joined(separator: "\n") + "\n"
    }

    /// Lists each file of the work directory with its mode and first 12 bytes.
    static let listing =
        "for f in $(find . -type f | sort); do printf '%s %s %s\\n' $f $(stat -c %a $f) \"$(head -c 12 $f)\"; done"
}

extension IncrementalSyncTests {
    /// `--hard-links`: unchanged files share their inode with the last copy's; files the
    /// client or the last job changed do not.
    @Test func hardLinksShareUnchangedFiles() async throws {
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        for name in ["same.txt", "sub/same.txt", "edited.txt", "job-edits.txt"] {
            try name.write(toFile: root + "/" + name, atomically: false, encoding: .utf8)
        }
        SharedWorkdirTests.setModified(under: root)
        let first = try await world.p("-C", root, "--hard-links", "--", "echo x >> job-edits.txt")
        #expect(first.status == 0, "\(first.stderr)")
        try "edited, longer".write(toFile: root + "/edited.txt", atomically: false, encoding: .utf8)
        let second = try await world.p(
            "-C", root, "--hard-links", "-v", "--", "stat -c '%h %n' same.txt sub/same.txt edited.txt job-edits.txt")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "2 same.txt\n2 sub/same.txt\n1 edited.txt\n1 job-edits.txt\n")
        #expect(second.stderr.contains(": 2 files already on the worker"), "\(second.stderr)")
    }
}

extension IncrementalSyncTests {
    /// A file written again after a sync, at the same size, within the file system's clock
    /// tick of its last write (here: given back the very same mtime), still travels: its
    /// mtime was too close to the sync's walk to vouch for it ("racily clean", as git says),
    /// whether the next copy comes from the last work directory or is the same one.
    @Test(arguments: ["sftp", "tar", "in place"])
    func aFileRewrittenWithinTheSameTickTravels(via: String) async throws {
        // "in place": a persistent work directory, where the worker compares what it has.
        let options = via == "in place" ? ["--reuse-workdir"] : ["--sync-via", via]
        let world = try await JobWorld.make()
        let root = world.directory + "/project"
        try SharedWorkdirTests.write(["input.txt": "version one\n", "old.txt": "old\n"], under: root)
        SharedWorkdirTests.setModified(under: root)
        // The input's mtime is in the future: whenever the walk runs, it is racy.
        let tick = Int(Date().timeIntervalSince1970) + 30
        var times = [timespec(tv_sec: tick, tv_nsec: 0), timespec(tv_sec: tick, tv_nsec: 0)]
        utimensat(AT_FDCWD, root + "/input.txt", &times, 0)
        let first = try await world.p(arguments: ["-C", root] + options + ["--", "cat input.txt"])
        #expect(first.stdoutText == "version one\n", "\(first.stderr)")
        try "version two\n".write(toFile: root + "/input.txt", atomically: false, encoding: .utf8)
        utimensat(AT_FDCWD, root + "/input.txt", &times, 0)
        let second = try await world.p(arguments: ["-C", root, "-v"] + options + ["--", "cat input.txt old.txt"])
        #expect(second.stdoutText == "version two\nold\n", "\(second.stderr)")
        #expect(second.stderr.contains(": 1 files already on the worker"), "old.txt, dated back: \(second.stderr)")
    }
}

@Suite("Sync with a root relative to the login directory", .timeLimit(.minutes(10)), .throttled)
struct RelativeRootSyncTests {
    /// Workers registered without `root:` use `~/.p`, a path relative to the login
    /// directory, which every worker-side script must resolve before changing directory.
    @Test func defaultStyleRootWorks() async throws {
        let world = try await JobWorld.make(register: false)
        let relative = "p-tests/relative-" + UUID().uuidString.prefix(8)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "box", connection: "worker", root: "~/" + relative))
        }
        let root = world.directory + "/project"
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try "one".write(toFile: root + "/a/b/f.txt", atomically: false, encoding: .utf8)
        let first = try await world.p("-C", root, "--", "cat a/b/f.txt; pwd")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutText.hasPrefix("one"))
        #expect(first.stdoutText.contains("/" + relative + "/workdirs/"))
        try "two".write(toFile: root + "/a/b/g.txt", atomically: false, encoding: .utf8)
        let second = try await world.p("-C", root, "--", "cat a/b/f.txt a/b/g.txt")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText == "onetwo")
        _ = try await world.onWorker("rm -rf '\(relative)'")
    }
}
