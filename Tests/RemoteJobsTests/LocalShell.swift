import Foundation
import Testing

@testable import RemoteJobs

/// A shell a worker may run p's scripts with, on this machine: dash, bash, or BusyBox's sh
/// with BusyBox's own tools first on `PATH` (as on Alpine), so the scripts are tested
/// without SSH, each as `WorkerLink` runs it.
struct LocalShell: Sendable, CustomTestStringConvertible {
    let name: String
    /// The shell's executable.
    let executable: String
    /// Directories put before `PATH`.
    let pathPrefix: String?
    /// A `PATH` of its own instead (a worker without some program).
    var path: String? = nil

    var testDescription: String { name }
    var isBusyBox: Bool { name == "busybox" }

    static let dash = LocalShell(name: "dash", executable: "/bin/dash", pathPrefix: nil)
    static let bash = LocalShell(name: "bash", executable: "/bin/bash", pathPrefix: nil)
    static let busybox = LocalShell(
        name: "busybox", executable: NSTemporaryDirectory() + "p-busybox-\(getpid())/sh",
        pathPrefix: NSTemporaryDirectory() + "p-busybox-\(getpid())")

    static let all: [LocalShell] = [.dash, .bash, .busybox]

    /// What a script left: its stdout after `p-begin`, its control lines, its exit code.
    struct Run {
        var stdout: [UInt8]
        var control: ControlLines
        var code: Int32
        var result: ScriptResult { ScriptResult(status: .exited(code), control: control) }
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `script` through `RemoteScripts.invocation` with a fresh token, its input on
    /// stdin, as `WorkerLink` would over SSH.
    func run<Script: WorkerScript>(_ script: Script) async throws -> Run {
        if let pathPrefix { try await Self.linkBusyBoxApplets(into: pathPrefix) }
        guard access(executable, X_OK) == 0 else {
            throw TestFailure(
                "\(name) is not installed at \(executable); scripts/test installs it (apt-get install \(name))")
        }
        let base = NSTemporaryDirectory() + "p-script-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try Data(script.input).write(to: URL(fileURLWithPath: base + "/in"))
        let token = WorkerLink.newToken()
        let path =
            self.path
            ?? [pathPrefix, ProcessInfo.processInfo.environment["PATH"]].compactMap { $0 }.joined(separator: ":")
        let redirect =
            #"d=$1; P_PATH=$2; shift 2; PATH=$P_PATH "$@" < "$d/in" > "$d/out" 2> "$d/err"; echo $? > "$d/code""#
        let result = try await ChildProcess.run(
            "/bin/sh",
            arguments: [
                "-c", redirect, "p", base, path, executable, "-c", RemoteScripts.invocation(Script.source), "p",
            ]
                + [token] + script.words,
            onOutput: { _ in })
        #expect(result.status == 0, "\(result.standardError)")
        var framer = StdoutFramer(token: token)
        let stdout = framer.feed(try [UInt8](Data(contentsOf: URL(fileURLWithPath: base + "/out"))))
        var control = ControlLines(token: token)
        _ = control.feed(try [UInt8](Data(contentsOf: URL(fileURLWithPath: base + "/err"))))
        let code = Int32(
            try String(contentsOfFile: base + "/code", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        return Run(stdout: stdout, control: control, code: code ?? -1)
    }

    /// A directory of BusyBox's applets (`sh`, `find`, `tar`...), as links to it; made
    /// beside and renamed into place, so a test running at the same time never sees half.
    private static func linkBusyBoxApplets(into directory: String) async throws {
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        let candidates: [String] = ["/bin/busybox", "/usr/bin/busybox"]
        guard let busybox = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw TestFailure("BusyBox is not installed; scripts/test installs it (apt-get install busybox)")
        }
        let partial = directory + ".\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        for applet in try await Shell.lines(busybox, ["--list"]) {
            guard symlink(busybox, partial + "/" + applet) == 0 else {
                throw TestFailure("cannot link \(applet) in \(partial): \(String(cString: strerror(errno)))")
            }
        }
        if rename(partial, directory) != 0 { try? FileManager.default.removeItem(atPath: partial) }
    }

    /// This shell on a worker whose `PATH` has every program of `/usr/bin` but those named
    /// (a directory of links made once; `/bin` is `/usr/bin` on Debian).
    func without(_ programs: [String]) throws -> LocalShell {
        let directory = NSTemporaryDirectory() + "p-without-" + programs.joined(separator: "-") + "-\(getpid())"
        if !FileManager.default.fileExists(atPath: directory) {
            let partial = directory + ".\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: "/usr/bin")
            where !programs.contains(where: { name.hasPrefix($0) }) {
                _ = symlink("/usr/bin/" + name, partial + "/" + name)
            }
            if rename(partial, directory) != 0 { try? FileManager.default.removeItem(atPath: partial) }
        }
        var shell = self
        shell.path = directory
        return shell
    }

    /// Runs an answering script and reads its answer.
    func ask<Script: AnsweringScript>(_ script: Script) async throws -> Script.Answer {
        let run = try await run(script)
        return try script.answer(stdout: run.stdout, result: run.result, worker: "local")
    }
}

/// A failure a test reports as its own.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs small local programs for test setup.
enum Shell {
    /// The stdout lines of `executable arguments`, which must succeed.
    static func lines(_ executable: String, _ arguments: [String]) async throws -> [String] {
        let collected = Lines()
        let result = try await ChildProcess.run(executable, arguments: arguments) { collected.append($0) }
        guard result.status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) ended with \(result.status)")
        }
        return collected.all
    }

    private final class Lines: @unchecked Sendable {
        // Guarded by `lock`: appended to from the reading thread.
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }
}

/// The poll server fed `requests` on its stdin, as the local shells run it.
struct PollServerSession: WorkerScript {
    var requests: [UInt8]
    var arguments: KeyValuePairs<String, String> { [:] }
    var input: [UInt8] { requests }
    static let source = PollServerScript.source
}
