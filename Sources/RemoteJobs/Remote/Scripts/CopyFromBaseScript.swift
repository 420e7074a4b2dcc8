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
    /// paths; prints nothing (and copies nothing) when `B` is gone, and the caller then
    /// uploads everything. With `link` as the fourth argument the files are hard-linked
    /// instead of copied (`--hard-links`). Arguments: `B W J [link]` (W and J created
    /// private if missing; J holds the lists).
    ///
    /// Two ways, by what the worker has. GNU: one `find -printf` lists what `B` has, and one
    /// `cp --parents` copies. Otherwise (BusyBox, whose Debian build has no `comm` and a
    /// `tar` without `-T`; macOS): `stat -c` on the wanted paths only (regular files: the raw
    /// mode's type is 8), and a `cpio` pipe copies, keeping modes and times (a `cp -p` per
    /// file where there is no cpio), or `ln` per file for hard links. The lists meet in
    /// `awk` (what is wanted and is there as recorded).
    static let source = [
        #"umask 077; mkdir -p "$2" "$3" || exit 0; W=$(cd "$2" && pwd); t=$(cd "$3" && pwd)/base; o="-p --reflink=auto"; if [ "$4" = link ]; then o=-l; fi"#,
        #"if cd "$1" 2>/dev/null; then :; else cat > /dev/null; exit 0; fi"#,
        #"cat > "$t.want"; if find . -maxdepth 0 -printf "" > /dev/null 2>&1; then find . -type f -printf "%s %Ts %m %P\n" 2>/dev/null > "$t.have"; else cut -d " " -f 4- "$t.want" | tr "\n" "\000" | xargs -0 -r stat -c "%s %Y %a %f %n" 2>/dev/null | sed -n "s/^\([0-9]* [0-9]* [0-7]*\) 8[0-9a-f][0-9a-f][0-9a-f] /\1 /p" > "$t.have"; fi"#,
        #"awk "NR == FNR { w[\$0] = 1; next } \$0 in w" "$t.want" "$t.have" | cut -d " " -f 4- > "$t.ok""#,
        #"if [ "$1" = "$2" ]; then cat "$t.ok"; elif tr "\n" "\000" < "$t.ok" | xargs -0 -r cp $o --parents -t "$W" -- 2> /dev/null; then cat "$t.ok"; elif [ ! -s "$t.ok" ]; then :; elif [ "$4" = link ]; then if while IFS= read -r f; do d=${f%/*}; if [ "$d" != "$f" ]; then mkdir -p "$W/$d" || exit 1; fi; ln -f "$f" "$W/$f" || exit 1; done < "$t.ok"; then cat "$t.ok"; fi; elif command -v cpio > /dev/null 2>&1 && cpio -o -H newc < "$t.ok" 2>/dev/null | (cd "$W" && cpio -idmu 2>/dev/null); then cat "$t.ok"; elif while IFS= read -r f; do d=${f%/*}; if [ "$d" != "$f" ]; then mkdir -p "$W/$d" || exit 1; fi; cp -p "$f" "$W/$f" || exit 1; done < "$t.ok"; then cat "$t.ok"; fi; rm -f "$t.want" "$t.have" "$t.ok""#,
    ].joined(separator: "; ")
}
