/// Copies (or hard-links) the files of an earlier work directory that are still exactly as
/// p left them into a new one, or, with `base` = `workdir`, finds those already right.
struct CopyFromBaseScript: AnsweringScript {
    /// The earlier work directory.
    var base: String
    /// The work directory being prepared.
    var workdir: String
    /// `R/jobs/ID` of the job being prepared (holds the lists).
    var jobDirectory: String
    /// `size mtime mode path` of each file as the manifest recorded it.
    var lines: [String]
    /// Hard-link instead of copying (`--hard-links`).
    var hardLinks: Bool

    var arguments: KeyValuePairs<String, String> {
        ["base": base, "workdir": workdir, "job": jobDirectory, "links": hardLinks ? "1" : "0"]
    }

    var input: [UInt8] { Array(lines.joined(separator: "\n").utf8) + [0x0A] }

    /// The paths copied (or found right).
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) -> Set<String> {
        Set(stdout.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) })
    }

    /// `Worker/copy-from-base.sh`.
    static let file = "copy-from-base.sh"
    static let source = WorkerShell.program(file)
}
