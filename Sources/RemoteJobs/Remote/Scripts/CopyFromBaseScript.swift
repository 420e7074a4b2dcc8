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

    var arguments: [String] { [base, workdir, jobDirectory] + (hardLinks ? ["link"] : []) }

    var input: [UInt8] { Array(lines.joined(separator: "\n").utf8) + [0x0A] }

    /// The paths copied (or found right).
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) -> Set<String> {
        Set(stdout.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Copies files of an earlier work directory `B` into the new one `W` on the worker
    /// (copy-on-write where the filesystem allows), but only those still exactly as p
    /// left them: stdin lists `size mtime mode path` lines as the manifest recorded them,
    /// and a file the earlier job changed (other size, mtime or mode) is not copied. Prints the copied
    /// paths; prints nothing (and copies nothing usable) when `B` is gone or the tools
    /// (GNU find and cp) are missing, and the caller then uploads everything. With `link`
    /// as the fourth argument the files are hard-linked instead of copied (`--hard-links`).
    /// Arguments: `B W J [link]` (W and J created private if missing; J holds the lists).
    static let source = [
        #"umask 077; mkdir -p "$2" "$3" || exit 0; W=$(cd "$2" && pwd); t=$(cd "$3" && pwd)/base; o="-p --reflink=auto"; if [ "$4" = link ]; then o=-l; fi"#,
        #"if cd "$1" 2>/dev/null; then :; else cat > /dev/null; exit 0; fi"#,
        #"LC_ALL=C sort > "$t.want"; find . -type f -printf "%s %Ts %m %P\n" 2>/dev/null | LC_ALL=C sort > "$t.have""#,
        #"LC_ALL=C comm -12 "$t.want" "$t.have" | cut -d " " -f 4- > "$t.ok""#,
        #"if [ "$1" = "$2" ]; then cat "$t.ok"; elif tr "\n" "\000" < "$t.ok" | xargs -0 -r cp $o --parents -t "$W" -- 2> /dev/null; then cat "$t.ok"; fi; rm -f "$t.want" "$t.have" "$t.ok""#,
    ].joined(separator: "; ")
}
