/// `--max-log`: a job's log that keeps its beginning and its end within a cap, on the
/// worker, with every offset still counting every byte the command wrote.
///
/// The log stays one file the command appends to; what is dropped is freed in place with
/// `fallocate --punch-hole`, so the file's size (and every offset) goes on growing while its
/// blocks on disk stay about the cap. The first half of the cap (in whole 4 KB blocks) is
/// kept for good; once the log has grown past the cap by a quarter more, the capper drops
/// everything between that head and the last half of the cap, and again each time the
/// log has grown another quarter past it, so the disk holds at most about 1.25 times the
/// cap, plus what the job writes in the capper's 50-200 ms between looks. The dropped range
/// is in `<log>.gap` (`from to`; one range, whose end only grows), which the capper writes
/// before it punches: readers (`RemoteScripts.logFunctions`) skip the range and say so
/// once (`LogGap`), and never send a hole's zeros.
enum CappedLog {
    /// A test that succeeds when `file` (a shell word) can be written and have a hole
    /// punched in it: util-linux's `fallocate` is there and the file system can.
    static func canPunch(_ file: String) -> String {
        "command -v fallocate > /dev/null 2>&1 && printf xxxx > \(file) 2>/dev/null && fallocate -p -o 0 -l 4 \(file) 2>/dev/null"
    }

    /// The least cap `--max-log` takes: below it the head and tail would be a few blocks.
    static let smallestCap: UInt64 = 64 << 10

    /// At launch, with `$20` (the cap) above 0: proves the worker can punch a hole in a
    /// file beside the job's logs, then writes the cap to `J/max_log`; otherwise the job is
    /// not started (exit 95, with why).
    static let launchCheck =
        #"if [ "${20:-0}" -gt 0 ]; then if "# + canPunch(#""$J/.punch""#)
        + #"; then rm -f "$J/.punch"; echo "${20}" > "$J/max_log" || fail 91; else rm -f "$J/.punch"; echo "p: --max-log needs fallocate --punch-hole (util-linux) on the worker, and a file system that can punch holes; the job was not started" >&2; fail 95; fi; fi"#

    /// The capper, started by the wrapper before the command when `J/max_log` exists: in
    /// the job's process group (so `p stop` and `p pause` reach it), immune to the signals
    /// the wrapper traps; every 200 ms (50 ms after it dropped something) it caps each log,
    /// and it ends after one last look once the job has an exit code, or when the wrapper
    /// is gone.
    static let capper =
        #"if [ -f "$J/max_log" ]; then ( trap "" "# + LaunchScript.trappedSignals
        + #"; read -r X < "$J/max_log"; H=$((X/2/4096*4096)); T=$((X-H)); L=$((X/4)); cp1() { "#
        + RemoteScripts.fileSize(into: "n", #""$1""#)
        + #"; b=$H; if [ -f "$1.gap" ]; then read -r a b < "$1.gap"; fi; e=$(( (n-T)/4096*4096 )); if [ $e -ge $((b+L)) ]; then echo "$H $e" > "$1.gap.tmp" && mv -f "$1.gap.tmp" "$1.gap" && fallocate -p -o $b -l $((e-b)) "$1"; return 0; fi; return 1; }; while :; do x=0; if [ -f "$J/exitcode" ] || ! kill -0 $$ 2>/dev/null; then x=1; fi; z=0; for f in "$J/output.log" "$J/stderr.log"; do if [ -f "$f" ] && cp1 "$f"; then z=1; fi; done; if [ $x = 1 ]; then exit 0; fi; if [ $z = 1 ]; then sleep 0.05; else sleep 0.2; fi; done ) & fi"#
}
