/// The small POSIX `sh` scripts p runs on a worker. Each is fixed text taking its inputs as
/// positional arguments (ids, offsets, the root) or on stdin (the command and the
/// environment), so no user input is ever parsed as script text, and nothing secret is on an
/// argv. Each is one line: the login shell (bash, zsh, dash, fish) reads it inside single
/// quotes, which some shells do not allow to span lines.
///
/// The remote layout is DESIGN.md's: `R/jobs/ID/{cmd,env,cwd,worker,started_at,pid,boot_id,
/// output.log,exitcode,ended_at,stopped,run}` and `R/workdirs/ID/`, directories 0700, files
/// 0600 (`umask 077`).
enum RemoteScripts {
    /// `up`: whether the job's process-group leader `$p` is alive (a zombie, dead but not
    /// yet reaped by init, is not, nor is one reaped between the two checks; read from
    /// `/proc` where there is one, else from `ps`); `facts`:
    /// prints `alive exitcode stopped ended_at` of job directory `$J` (`-` for absent),
    /// checking the process before reading `exitcode`, so a job that ends in between is
    /// seen with its code. Files are read with the shell's `read`: a poll forks as little as
    /// it can.
    private static let factsFunction =
        #"up() { [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1; if [ -r "/proc/$p/stat" ]; then read -r l < "/proc/$p/stat" 2>/dev/null || return 1; l=${l##*) }; case $l in Z*) return 1 ;; esac; return 0; fi; command -v ps > /dev/null 2>&1 || return 0; case $(ps -o stat= -p "$p" 2>/dev/null) in "" | Z*) return 1 ;; esac; return 0; }; facts() { a=0; p=; if [ -f "$J/pid" ]; then read -r p < "$J/pid"; fi; if up; then a=1; fi; x=-; s=-; e=-; if [ -f "$J/exitcode" ]; then read -r x < "$J/exitcode"; fi; if [ -f "$J/stopped" ]; then read -r s < "$J/stopped"; fi; if [ -f "$J/ended_at" ]; then read -r e < "$J/ended_at"; fi; printf "%s %s %s %s" $a "$x" "$s" "$e"; }"#

    /// Streams `output.log` of `$J` from byte offset `$o` to stdout (after the line
    /// `p-log-begin`, see `StdoutFramer`) until the job ended, then prints the trailer
    /// `p-end <size> <alive> <exitcode> <stopped> <ended_at>` on stderr. It polls the log's
    /// size (after 10, 20, 40, then every 50 ms; 20 ms after new bytes, so a short job ends
    /// quickly and a chatty one does not fork a hundred times a second) and copies exactly
    /// the new bytes, so it needs nothing beyond POSIX
    /// tools, ends as soon as `exitcode` appears (a process-based end, like GNU tail's
    /// `--pid`, waits for init to reap the zombie), and the log is complete by then: the
    /// last read goes to the size measured after `exitcode` was seen. Liveness (for a job
    /// killed without an exit code) is checked every half second.
    private static let followPart =
        #"echo p-log-begin; i=0; q=0; while :; do x=0; if [ -f "$J/exitcode" ]; then x=1; elif [ $((i % 10)) = 0 ]; then if up; then :; else x=1; fi; fi; n=$(($(wc -c < "$J/output.log"))); if [ $n -gt $o ]; then tail -c +$((o+1)) "$J/output.log" | head -c $((n-o)); o=$n; q=1; fi; if [ $x = 1 ]; then break; fi; i=$((i+1)); case $q in 0) sleep 0.01 ;; 1) sleep 0.02 ;; 2) sleep 0.04 ;; *) sleep 0.05 ;; esac; q=$((q+1)); done; printf "p-end %s %s\n" $(wc -c < "$J/output.log") "$(facts)" >&2"#

    /// The job's wrapper, written to `R/jobs/ID/run` and started with `setsid nohup`:
    /// arguments `J W timeout grace runner umask`. It runs the command file with the user's shell
    /// in the workdir: a Bourne-family shell evaluates the file's text as `sh -c` would
    /// (`runner` is `evalCommandFile`, so a trailing backslash or `$0` behave as with
    /// `ssh host words`, and the text is on no argv); other shells (fish, csh) run the file.
    /// The command's output is appended to the log, and its exact status (128+N for signal
    /// N) recorded atomically. The wrapper's own stdout and stderr go nowhere, and the log
    /// redirection is made in a subshell that execs the command (dash prints "Killed" on the
    /// stderr of the command it waited for), so no message of its own lands in the log.
    /// p's files are private (umask 077), but the command runs with the login's own umask.
    /// It survives the TERM of `p stop` (a trap, which the command does not
    /// inherit) so it can still record the status. With a timeout, a watchdog in the same
    /// process group stops the job as `p stop` would.
    static let wrapper = [
        #"J=$1; W=$2; U=${6:-022}; trap "true" TERM INT; echo $$ > "$J/pid.tmp"; mv -f "$J/pid.tmp" "$J/pid""#,
        #"if cd "$W" 2>/dev/null; then :; else echo "p: cannot enter the work directory $W" >> "$J/output.log"; echo 126 > "$J/exitcode.tmp"; mv -f "$J/exitcode.tmp" "$J/exitcode"; exit 126; fi"#,
        #"if [ "$3" -gt 0 ]; then ( trap "" TERM INT; n=0; while [ $n -lt "$3" ]; do sleep 1; n=$((n+1)); if [ -f "$J/exitcode" ]; then exit 0; fi; done; echo timeout > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; kill -TERM -$$ 2>/dev/null; n=0; while [ $n -lt $(($4*10)) ]; do if [ -f "$J/exitcode" ]; then exit 0; fi; sleep 0.1; n=$((n+1)); done; kill -KILL -$$ 2>/dev/null ) & fi"#,
        #"if [ -f "$J/env" ]; then . "$J/env"; fi"#,
        #"S=${SHELL:-/bin/sh}; case ${S##*/} in bash | sh | dash | zsh | ksh | mksh | ash | yash | posh) set -- "$S" -c "$5" "$J/cmd" ;; *) set -- "$S" "$J/cmd" ;; esac"#,
        #"( umask "$U"; exec "$@" < /dev/null >> "$J/output.log" 2>&1 ); c=$?"#,
        #"date +%s > "$J/ended_at"; echo $c > "$J/exitcode.tmp"; mv -f "$J/exitcode.tmp" "$J/exitcode""#,
    ].joined(separator: "; ")

    /// Creates the job's directories and files from stdin (`cwd`, `worker`, `env` by the
    /// lengths given, then `cmd` to the end), starts the wrapper detached (from a subshell
    /// that exits at once, so the job is never a descendant of the SSH session, and its own
    /// session and process group; it writes its pid, which the launcher waits for), prints
    /// `p-start <pid> <started_at> <boot_id>` on stderr and, when `$8` is 1, goes on to
    /// stream the output as `follow` does. Arguments: `R ID cwdLength workerLength
    /// envLength timeout grace follow wrapper evalCommandFile workdirName`. Exit 90-93 when the job could not start.
    static let launch = [
        #"m=$(umask); umask 077; o=0; mkdir -p "$1/jobs/$2" "$1/workdirs/${11}" || exit 90"#,
        #"R=$(cd "$1" && pwd) || exit 90; J=$R/jobs/$2; W=$R/workdirs/${11}"#,
        #"chmod 700 "$R" "$R/jobs" "$R/workdirs" 2>/dev/null"#,
        #"dd ibs=1 count=$3 of="$J/cwd" 2>/dev/null; dd ibs=1 count=$4 of="$J/worker" 2>/dev/null"#,
        #"if [ "$5" -gt 0 ]; then dd ibs=1 count=$5 of="$J/env" 2>/dev/null; fi"#,
        #"cat > "$J/cmd" || exit 91"#,
        #"printf "%s\n" "$9" > "$J/run"; date +%s > "$J/started_at"; : > "$J/output.log""#,
        #"cat /proc/sys/kernel/random/boot_id > "$J/boot_id" 2>/dev/null || rm -f "$J/boot_id""#,
        #"if command -v setsid > /dev/null 2>&1; then D=setsid; elif command -v perl > /dev/null 2>&1; then D=perl; else echo "p: the worker has neither setsid nor perl" >&2; exit 92; fi"#,
        #"( if [ $D = setsid ]; then setsid nohup sh "$J/run" "$J" "$W" "$6" "$7" "${10}" "$m" < /dev/null > /dev/null 2>&1 & else perl -MPOSIX -e "POSIX::setsid(); exec @ARGV" nohup sh "$J/run" "$J" "$W" "$6" "$7" "${10}" "$m" < /dev/null > /dev/null 2>&1 & fi )"#,
        #"n=0; until [ -s "$J/pid" ] || [ $n -ge 1000 ]; do sleep 0.01; n=$((n+1)); done; p=$(cat "$J/pid" 2>/dev/null); if [ -z "$p" ]; then echo "p: the job did not start" >&2; exit 93; fi"#,
        #"printf "p-start %s %s %s\n" $p "$(cat "$J/started_at")" "$(cat "$J/boot_id" 2>/dev/null || echo -)" >&2"#,
        #"if [ "$8" = 1 ]; then "# + factsFunction + "; " + followPart + "; fi",
    ].joined(separator: "; ")

    /// What a Bourne-family shell runs the command file with: its text evaluated as `-c`
    /// would, with the file's path as `$0`. Passed as an argument, since the scripts
    /// themselves contain no single quotes.
    static let evalCommandFile = #"eval "$(cat "$0")""#

    /// Streams a job's output from an offset: arguments `J offset`. Prints `p-end missing`
    /// when the job's directory is gone.
    static let follow = [
        #"J=$1; o=$2; if [ -d "$J" ]; then :; else echo "p-end missing" >&2; exit 0; fi"#,
        factsFunction,
        #"p=$(cat "$J/pid" 2>/dev/null)"#,
        followPart,
    ].joined(separator: "; ")

    /// At most `max` bytes (`all`: no limit) of the log from `offset` (or, with `lines` > 0,
    /// its last lines)
    /// after the line `p-log-begin`, then the trailer on stderr: arguments `J offset max lines`. The size is measured
    /// before the read, so the facts describe at least the bytes returned.
    static let poll = [
        #"J=$1; if [ -d "$J" ]; then :; else echo "p-end missing" >&2; exit 0; fi"#,
        factsFunction,
        #"f=$(facts); n=$(wc -c < "$J/output.log")"#,
        #"echo p-log-begin; if [ "$4" -gt 0 ]; then head -c $n "$J/output.log" | tail -n "$4"; elif [ "$n" -le "$2" ]; then :; elif [ "$3" = all ]; then tail -c +$(($2+1)) "$J/output.log"; else tail -c +$(($2+1)) "$J/output.log" | head -c "$3"; fi"#,
        #"printf "p-end %s %s\n" $n "$f" >&2"#,
    ].joined(separator: "; ")

    /// Serves polls over one long-lived exec, so a poll costs no channel, no login and no
    /// shell start: each stdin line `offset max J` is answered with the line
    /// `<count> p-end <size> <facts>` (or `0 p-end missing`) and then exactly `count` bytes
    /// of the log from `offset`. The size is measured before the read and the log only
    /// grows, so the count is exact.
    static let pollServer = [
        factsFunction,
        #"while read -r o m J; do if [ -d "$J" ]; then f=$(facts); n=$(wc -c < "$J/output.log"); c=0; if [ $n -gt $o ]; then c=$((n-o)); if [ $c -gt $m ]; then c=$m; fi; fi; printf "%s p-end %s %s\n" $c $n "$f"; if [ $c -gt 0 ]; then tail -c +$((o+1)) "$J/output.log" | head -c $c; fi; else echo "0 p-end missing"; fi; done"#,
    ].joined(separator: "; ")

    /// One line per job for reconciliation: `boot <id>`, then `job <id> <facts>` or
    /// `job <id> missing`. Arguments: `R ids...`.
    static let reconcile = [
        #"R=$1; shift"#,
        factsFunction,
        #"printf "boot %s\n" "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo -)""#,
        #"for i in "$@"; do J=$R/jobs/$i; if [ -d "$J" ]; then printf "job %s %s\n" "$i" "$(facts)"; else printf "job %s missing\n" "$i"; fi; done"#,
    ].joined(separator: "; ")

    /// Stops a job: the `stopped` marker first, then the signal to the whole process
    /// group, KILL after the grace period, and waits until no process of the group is left
    /// (zombies, dead but not yet reaped by init, do not count). Prints `ended` when the job had already ended, else `stopped`, then the trailer on
    /// stderr. Arguments: `J signal grace`.
    static let stop = [
        #"J=$1; if [ -d "$J" ]; then :; else echo "p-end missing" >&2; exit 0; fi"#,
        factsFunction,
        #"p=$(cat "$J/pid" 2>/dev/null)"#,
        #"alive() { kill -0 -$p 2>/dev/null || return 1; command -v ps > /dev/null 2>&1 || return 0; ps -A -o pgid= -o stat= | grep -Eq "^ *$p +[^Z]"; }"#,
        #"if [ -f "$J/exitcode" ] || [ -z "$p" ]; then echo ended; else echo $2 > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; kill -$2 -$p 2>/dev/null; n=0; while alive && [ $n -lt $(($3*10)) ]; do sleep 0.1; n=$((n+1)); done; if alive; then kill -KILL -$p 2>/dev/null; fi; n=0; while alive && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done; echo stopped; fi"#,
        #"printf "p-end %s %s\n" $(wc -c < "$J/output.log") "$(facts)" >&2"#,
    ].joined(separator: "; ")

    /// Waits until a job has ended, checking every 0.2 s on the worker, then prints the
    /// trailer on stderr. Arguments: `J`.
    static let wait = [
        #"J=$1; if [ -d "$J" ]; then :; else echo "p-end missing" >&2; exit 0; fi"#,
        factsFunction,
        #"p=$(cat "$J/pid" 2>/dev/null)"#,
        #"while [ -n "$p" ] && kill -0 "$p" 2>/dev/null; do if [ -f "$J/exitcode" ]; then break; fi; sleep 0.2; done"#,
        #"printf "p-end %s %s\n" $(wc -c < "$J/output.log") "$(facts)" >&2"#,
    ].joined(separator: "; ")

    /// Removes the files of jobs: arguments `R ids...`. Write permission is restored first,
    /// since build tools leave read-only trees (Go's module cache) that `rm -rf` refuses.
    static let remove =
        #"R=$1; shift; for i in "$@"; do chmod -R u+w "$R/workdirs/$i" 2>/dev/null; rm -rf "$R/jobs/$i" "$R/workdirs/$i"; done"#

    /// Copies files of an earlier work directory `B` into the new one `W` on the worker
    /// (copy-on-write where the filesystem allows), but only those still exactly as p
    /// left them: stdin lists `size mtime mode path` lines as the manifest recorded them,
    /// and a file the earlier job changed (other size, mtime or mode) is not copied. Prints the copied
    /// paths; prints nothing (and copies nothing usable) when `B` is gone or the tools
    /// (GNU find and cp) are missing, and the caller then uploads everything. With `link`
    /// as the fourth argument the files are hard-linked instead of copied (`--hard-links`).
    /// Arguments: `B W J [link]` (W and J created private if missing; J holds the lists).
    static let copyFromBase = [
        #"umask 077; mkdir -p "$2" "$3" || exit 0; W=$(cd "$2" && pwd); t=$(cd "$3" && pwd)/base; o="-p --reflink=auto"; if [ "$4" = link ]; then o=-l; fi"#,
        #"if cd "$1" 2>/dev/null; then :; else cat > /dev/null; exit 0; fi"#,
        #"LC_ALL=C sort > "$t.want"; find . -type f -printf "%s %Ts %m %P\n" 2>/dev/null | LC_ALL=C sort > "$t.have""#,
        #"LC_ALL=C comm -12 "$t.want" "$t.have" | cut -d " " -f 4- > "$t.ok""#,
        #"if [ "$1" = "$2" ]; then cat "$t.ok"; elif tr "\n" "\000" < "$t.ok" | xargs -0 -r cp $o --parents -t "$W" -- 2> /dev/null; then cat "$t.ok"; fi; rm -f "$t.want" "$t.have" "$t.ok""#,
    ].joined(separator: "; ")

    /// Creates directories under `W` with mode `M`: stdin holds their relative paths,
    /// NUL-separated (any byte but NUL is fine in a name). One exec for a whole tree, where
    /// SFTP needs a round trip per directory. Prints `has-rsync` and `has-tar` for the tools
    /// the worker has.
    /// Arguments: `W M J` (J holds the list).
    static let makeDirectories = [
        #"umask 077; mkdir -p "$1" "$3" && L=$(cd "$3" && pwd)/dirs && cd "$1" || exit 1; cat > "$L""#,
        #"xargs -0 -r mkdir -p -- < "$L" && xargs -0 -r chmod "$2" -- < "$L"; c=$?; rm -f "$L""#,
        #"for t in rsync tar; do if command -v $t > /dev/null 2>&1; then echo has-$t; fi; done; exit $c"#,
    ].joined(separator: "; ")

    /// Takes the persistent work directory `R/workdirs/NAME` for job `ID` (`--reuse-workdir`):
    /// a symbolic link `NAME.lock` names the job holding it, which holds it until its
    /// `exitcode` exists or its process is gone (a job still being synced, with no pid yet,
    /// holds it too). Prints `claimed`, then removes the paths listed on stdin
    /// (NUL-separated, relative: what the last sync put there that is gone from the
    /// client), or `busy <id>`. The check and the claim run under a `mkdir` mutex, so two
    /// clients cannot both claim it. Arguments: `R NAME ID`.
    static let claimWorkdir = [
        #"umask 077; mkdir -p "$1/workdirs/$2" "$1/jobs/$3" && cd "$1" || exit 1; chmod 700 . jobs workdirs 2>/dev/null"#,
        factsFunction,
        #"L=workdirs/$2.lock; n=0; until mkdir "$L.m" 2>/dev/null || [ $n -ge 100 ]; do sleep 0.05; n=$((n+1)); done"#,
        #"h=$(readlink "$L" 2>/dev/null); b=0; if [ -n "$h" ] && [ "$h" != "$3" ] && [ -d "jobs/$h" ] && [ ! -f "jobs/$h/exitcode" ]; then p=$(cat "jobs/$h/pid" 2>/dev/null); if [ -z "$p" ] || up; then b=1; fi; fi"#,
        #"if [ $b = 1 ]; then rmdir "$L.m"; cat > /dev/null; echo "busy $h"; exit 0; fi"#,
        #"rm -f "$L"; ln -s "$3" "$L"; rmdir "$L.m"; cd "workdirs/$2" && xargs -0 -r rm -rf -- && echo claimed"#,
    ].joined(separator: "; ")

    /// Extracts a tar stream from stdin into the existing directory `$1`, keeping modes and
    /// mtimes (the stream is p's own: see `TarWriter`).
    static let untar = #"cd "$1" && exec tar -x -p -f -"#

    /// The kilobytes available on the file system holding `$1` (POSIX `df -P`).
    static let freeSpace = #"set -- $(df -Pk "$1" 2>/dev/null | tail -n 1); echo "$4""#

    /// What `p worker register` reports: `key value` lines.
    static let probe = [
        #"printf "os %s\n" "$(uname -sr)"; printf "arch %s\n" "$(uname -m)"; printf "shell %s\n" "${SHELL:-/bin/sh}""#,
        #"for t in rsync tar setsid tail nohup; do printf "has-%s %s\n" $t "$(command -v $t || echo -)"; done"#,
    ].joined(separator: "; ")
}
