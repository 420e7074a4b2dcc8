import Foundation
import Testing

@testable import RemoteJobs

/// The planner's selection against git's own (`git ls-files --others --exclude-standard`),
/// on hand-made tricky trees and on generated ones.
@Suite("Ignore rules as git applies them")
struct SyncPlannerTests {
    /// A fresh directory with `git init` run in it, isolated from any global git config.
    static func makeRepository() throws -> String {
        let path = NSTemporaryDirectory() + "p-plan-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = try git(["init", "-q"], in: path)
        return path
    }

    /// Runs git with posix_spawn and waitpid (Foundation's Process waits for its exit
    /// through a run loop, which can hang off the main thread).
    static func git(_ arguments: [String], in directory: String) throws -> [UInt8] {
        let output = NSTemporaryDirectory() + "p-git-" + UUID().uuidString
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        Platform.closeInheritedDescriptors(&actions)
        let words: [String] = ["git", "-C", directory] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let gitDirectory: String = directory + "/.git"
        let variables: [String] = [
            "HOME=\(gitDirectory)", "GIT_CONFIG_NOSYSTEM=1", "PATH=/usr/bin:/bin:/usr/local/bin",
            "XDG_CONFIG_HOME=\(gitDirectory)",
        ]
        let environment: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, "git", &actions, nil, argv, environment) == 0 else {
            throw TestError("cannot start git (the planner tests compare with it; install git)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestError("git \(arguments) failed (\(status))") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    struct TestError: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    static func write(_ files: [String: String], in root: String) throws {
        for (path, contents) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: false, encoding: .utf8)
        }
    }

    /// What git would add: untracked, not ignored, files and links (no directories).
    static func gitSelection(_ root: String) throws -> Set<String> {
        let output = try git(["ls-files", "--others", "--exclude-standard", "-z"], in: root)
        return Set(output.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    }

    static func plannerSelection(_ root: String) throws -> Set<String> {
        Set(
            try SyncPlanner.plan(root: root).entries.filter { $0.kind != .directory && !$0.path.hasPrefix(".git/") }
                .map(\.path))
    }

    @Test func trickyCasesMatchGit() throws {
        let root = try Self.makeRepository()
        try Self.write(
            [
                ".gitignore": """
                # a comment
                *.log
                !keep.log
                build/
                /root-only.txt
                doc/*.pdf
                **/tmp
                a/**/z
                \\#hash
                \\!bang
                trailing\\ 
                spaced   
                [abc].c
                *.o
                !important.o
                foo/**
                !foo/bar
                ignored-dir/
                !ignored-dir/back.txt
                x?y
                [!q]w.c
                """,
                "app.log": "", "keep.log": "", "sub/deep/app.log": "", "sub/deep/keep.log": "",
                "build/out.bin": "", "sub/build/out.bin": "", "build.txt": "",
                "root-only.txt": "", "sub/root-only.txt": "",
                "doc/a.pdf": "", "doc/sub/b.pdf": "", "doc/a.txt": "",
                "tmp/t": "", "x/tmp/t": "", "x/tmpfile": "",
                "a/z": "", "a/b/z": "", "a/b/c/z": "", "a/zz": "",
                "#hash": "", "!bang": "", "trailing ": "", "trailing": "", "spaced": "",
                "a.c": "", "d.c": "", "main.o": "", "important.o": "",
                "foo/bar": "", "foo/baz": "", "foo/deeper/x": "",
                "ignored-dir/back.txt": "", "ignored-dir/other": "",
                "xay": "", "xy": "", "xaay": "", "qw.c": "", "rw.c": "",
                "sub/.gitignore": "*.txt\n!special.txt\n/anchored.md\nnested/\n",
                "sub/a.txt": "", "sub/special.txt": "", "sub/anchored.md": "", "sub/more/anchored.md": "",
                "sub/nested/file": "", "sub/more/nested/file": "", "other/a.txt": "",
                "unicode/héllo wörld.txt": "", "spaces in/name with spaces": "",
            ], in: root)
        try "secret.env\n".write(toFile: root + "/.git/info/exclude", atomically: false, encoding: .utf8)
        try Self.write(["secret.env": "", "sub/secret.env": "", "not-secret.env": ""], in: root)
        let git = try Self.gitSelection(root)
        let ours = try Self.plannerSelection(root)
        #expect(ours.subtracting(git).sorted() == [], "selected by p only")
        #expect(git.subtracting(ours).sorted() == [], "selected by git only")
        #expect(git.count > 20)
    }

    @Test func gitDirectoryIsKeptWholeAndLinksAreNotFollowed() throws {
        let root = try Self.makeRepository()
        try Self.write([".gitignore": ".git\n*.pack\nlinked\n", "src/main.c": ""], in: root)
        try FileManager.default.createSymbolicLink(atPath: root + "/outside", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: "nowhere")
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        mkfifo(root + "/fifo", 0o644)
        let plan = try SyncPlanner.plan(root: root)
        let paths = Set(plan.entries.map(\.path))
        #expect(paths.contains(".git/HEAD"))
        #expect(paths.contains(".git/objects"))
        #expect(plan.entries.first { $0.path == "outside" }?.kind == .symlink(target: "/etc"))
        #expect(plan.entries.first { $0.path == "dangling" }?.kind == .symlink(target: "nowhere"))
        #expect(!paths.contains { $0.hasPrefix("outside/") })
        #expect(plan.entries.first { $0.path == "empty" }?.kind == .directory)
        #expect(plan.skipped.map(\.path) == ["fifo"])
        #expect(plan.skipped.first?.kind == "FIFO")
        #expect(try Self.gitSelection(root).subtracting(Self.plannerSelection(root)).isEmpty)
    }

    @Test(arguments: 0..<12)
    func generatedTreesMatchGit(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let root = try Self.makeRepository()
        let names = ["a", "b", "ab", "x.c", "y.o", "build", "lib", "doc", "z z", "é"]
        func name() -> String { names.randomElement(using: &random)! }
        var files: [String: String] = [:]
        for _ in 0..<60 {
            let depth = Int.random(in: 0...3, using: &random)
            let path = ((0..<depth).map { _ in name() } + [name() + (Bool.random(using: &random) ? ".txt" : "")])
                .joined(separator: "/")
            files[path] = ""
        }
        // Files and directories may collide: keep the first of a path used both ways.
        var taken: Set<String> = []
        var clean: [String: String] = [:]
        for path in files.keys.sorted() {
            let parts = path.split(separator: "/").map(String.init)
            let prefixes = (1..<parts.count).map { parts[0..<$0].joined(separator: "/") }
            if prefixes.contains(where: { clean[$0] != nil }) || taken.contains(path) { continue }
            clean[path] = ""
            taken.formUnion(prefixes)
        }
        let atoms = ["*", "?", "**", "[ab]", "[!a]", "a", "b", "x", "build", "lib", ".c", ".txt", "z z", "é"]
        func pattern() -> String {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) { text += atoms.randomElement(using: &random)! }
            if Bool.random(using: &random) && Bool.random(using: &random) { text = "**/" + text }
            if Int.random(in: 0..<5, using: &random) == 0 { text = "/" + text }
            if Int.random(in: 0..<5, using: &random) == 0 { text += "/" }
            if Int.random(in: 0..<4, using: &random) == 0 { text = "!" + text }
            if Int.random(in: 0..<6, using: &random) == 0 { text = name() + "/" + text }
            return text
        }
        clean[".gitignore"] = (0..<8).map { _ in pattern() }.joined(separator: "\n") + "\n"
        let directories = Set(
            clean.keys.flatMap { path -> [String] in
                let parts = path.split(separator: "/").map(String.init)
                return (1..<max(parts.count, 1)).map { parts[0..<$0].joined(separator: "/") }
            })
        for directory in directories.sorted().prefix(3) {
            clean[directory + "/.gitignore"] = (0..<3).map { _ in pattern() }.joined(separator: "\n") + "\n"
        }
        try Self.write(clean, in: root)
        let git = try Self.gitSelection(root)
        let ours = try Self.plannerSelection(root)
        let rules = clean.filter { $0.key.hasSuffix(".gitignore") }.map { "\($0.key):\n\($0.value)" }.sorted()
        #expect(ours.subtracting(git).sorted() == [], "p only; rules: \(rules)")
        #expect(git.subtracting(ours).sorted() == [], "git only; rules: \(rules)")
    }
}

/// A small deterministic generator (SplitMix64), so a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
