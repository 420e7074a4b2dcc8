/// What p's worker-side scripts (`Scripts/`, one type each) share: how each is invoked, and
/// the shell functions and lines several of them use, defined once.
///
/// Every script is fixed POSIX `sh` text taking its inputs as positional arguments (ids,
/// offsets, the root) or on stdin (the command and the environment), so no user input is
/// ever parsed as script text, and nothing secret is on an argv. Each is one line: the login
/// shell (bash, zsh, dash, fish) reads it inside single quotes, which some shells do not
/// allow to span lines.
///
/// The remote layout is DESIGN.md's: `R/jobs/ID/{cmd,env,cwd,worker,started_at,pid,boot_id,
/// output.log,exitcode,ended_at,stopped,run}` and `R/workdirs/ID/`, directories 0700, files
/// 0600 (`umask 077`).
enum RemoteScripts {
    /// `script` as p runs it: its first argument is a token new for each run, which it
    /// prints as `p-begin <token>` on stdout and on stderr before anything else, so that
    /// what a login file prints (sshd runs every command through the login shell) is never
    /// taken for the script's output or its control lines (see `StdoutFramer` and
    /// `ControlLines`); the other arguments follow as `$1...`. `P` (a recorded pid) starts
    /// empty whatever the environment holds, and `pL`, the log that `size` measures and
    /// streams read, is `output.log` (a script about the job's stderr sets `stderr.log`).
    static func invocation(_ script: String) -> String {
        #"T=$1; shift; P=; pL=output.log; printf "p-begin %s\n" "$T"; printf "p-begin %s\n" "$T" >&2; "# + script
    }

    /// `$P` is the job's pid as recorded at launch, or `slurm:<id>` for a job handed to
    /// Slurm, where the script was given it; `facts` falls back to the `slurm_id` file, then
    /// the `pid` file. `up`: whether the job is alive: for a Slurm job, whether Slurm lists
    /// it in a state that has not ended (pending, running, completing...); else whether its
    /// process-group leader `$p` is alive (a zombie, dead but not yet reaped by init, is
    /// not, nor is one reaped between the two checks; read from `/proc` where there is one,
    /// else from `ps`); a `$p` that is not a pid above 1 (a job can write anything into its
    /// `pid` file) is not alive. `sq ID` sets `Q` to what Slurm says of job ID, `STATE:REASON`
    /// with spaces as `\037` (so it stays one field), or `-`: from `S_<ID>` when the caller
    /// asked squeue about many jobs at once, else from `squeue`, else from `sacct` where
    /// accounting exists. `size`: the size of log `$pL` (0 when it is gone; `fileSize`). `full`: whether the file
    /// system holding `$J` has no room left (under 64 KB or no inode). `facts`: prints `alive
    /// exitcode stopped ended_at disk slurm started_at` of job directory `$J`: `-` for an
    /// absent file, `?` for content that is not what p writes there; the exit code from the
    /// wrapper's `exit.N` marker, and `full` as the fifth field, when the disk was full as
    /// the job ended (else `-`); for a Slurm job, `Q` (else `-`); the time the wrapper
    /// started (`started_at`, on a Slurm job's node). The process is checked before `exitcode` is read, so a job
    /// that ends in between is seen with its code. A job waiting in the worker's queue
    /// (`WorkerQueue`) is alive, and its Slurm field is `QUEUED:position N[, after IDS]`
    /// (`qr`). A job `p pause` stopped (its `paused` marker, and its leader's state `T`
    /// where `/proc` tells) has `PAUSED` there. Files are read with the shell's `read`: a
    /// poll forks as little as it can.
    ///
    /// `hb N`, called once per turn of a loop that waits on the worker, prints `p-alive` on
    /// stderr every N turns (about every 5 s): once the client is gone, sshd has closed the
    /// channel, the write fails (or SIGPIPE ends the shell) and the script ends, so no loop
    /// outlives its client by more than that (p ignores the line).
    static let factsFunction =
        #"h=0; hb() { h=$((h+1)); if [ $h -ge $1 ]; then h=0; printf "p-alive\n" >&2 || exit 0; fi; }; sq() { Q=-; case $1 in "" | *[!0-9_]*) return ;; esac; eval "Q=\${S_$1:--}"; if [ "$Q" = - ]; then Q=$(squeue -h -t all -j "$1" -o "%T:%r" 2>/dev/null | head -n 1 | tr " " "\037"); if [ -z "$Q" ] && command -v sacct > /dev/null 2>&1; then Q=$(sacct -n -X -P -j "$1" -o State,Reason 2>/dev/null | head -n 1 | tr "| " ":\037"); fi; Q=${Q:--}; fi; }; up() { case $p in slurm:*) sq "${p#slurm:}"; case $Q in - | COMPLETED* | CANCELLED* | FAILED* | TIMEOUT* | NODE_FAIL* | PREEMPTED* | BOOT_FAIL* | DEADLINE* | OUT_OF_MEMORY* | REVOKED* | SPECIAL_EXIT*) return 1 ;; esac; return 0 ;; "" | *[!0-9]*) return 1 ;; esac; [ "$p" -gt 1 ] && kill -0 "$p" 2>/dev/null || return 1; if [ -d "/proc/$p" ]; then "#
        + isZombie("$p")
        + #" && return 1; return 0; fi; command -v ps > /dev/null 2>&1 || return 0; case $(ps -o stat= -p "$p" 2>/dev/null) in "" | Z*) return 1 ;; esac; return 0; }; size() { "#
        + fileSize(into: "z", #""$J/$pL""#)
        + #"; echo $z; }; full() { k=$(df -Pk "$J" 2>/dev/null | awk "NR==2 {print \$4}"); m=$(df -Pi "$J" 2>/dev/null | awk "NR==2 {print \$4}"); [ "${k:-99}" -lt 64 ] 2>/dev/null || [ "${m:-1}" = 0 ]; }; qr() { k=1; for e in "${J%/jobs/*}"/queue/*; do case $e in *-"${J##*/}") break ;; esac; if [ -e "$e" ]; then k=$((k+1)); fi; done; Q=$(printf "QUEUED:position\037%s" $k); if [ -f "$J/after" ]; then read -r M L < "$J/after"; Q=$Q$(printf ",\037after\037%s" "$(echo "$L" | tr "," "\n" | cut -c1-8 | paste -sd, -)"); fi; }; facts() { a=0; p=$P; if [ -z "$p" ]; then if [ -f "$J/slurm_id" ]; then read -r p < "$J/slurm_id"; p=slurm:$p; elif [ -f "$J/pid" ]; then read -r p < "$J/pid"; fi; fi; Q=-; if [ -f "$J/queued" ]; then a=1; qr; elif up; then a=1; if [ -f "$J/paused" ]; then Q=PAUSED; if [ -r "/proc/$p/stat" ] && read -r l < "/proc/$p/stat" 2>/dev/null; then case ${l##*) } in T*) ;; *) Q=- ;; esac; fi; fi; fi; x=-; s=-; e=-; d=-; b=-; if [ -f "$J/exitcode" ]; then read -r x < "$J/exitcode"; case $x in "" | *[!0-9]*) x=? ;; esac; fi; case $x in - | "?") for f in "$J"/exit.[0-9]*; do if [ -f "$f" ]; then x=${f##*.}; d=full; fi; done ;; esac; if [ -f "$J/stopped" ]; then read -r s < "$J/stopped"; case $s in "" | *[!A-Za-z0-9_]*) s=? ;; esac; fi; if [ -f "$J/ended_at" ]; then read -r e < "$J/ended_at"; case $e in "" | *[!0-9]*) e=? ;; esac; fi; if [ $a = 0 ] && [ $d = - ]; then case $x in - | "?") if full; then d=full; fi ;; esac; fi; if [ -f "$J/started_at" ]; then read -r b < "$J/started_at"; case $b in "" | *[!0-9]*) b=? ;; esac; fi; printf "%s %s %s %s %s %s %s" $a "$x" "$s" "$e" $d "$Q" "$b"; }"#
        + "; " + logFunctions

    /// Reading a log that `--max-log` caps (`CappedLog`): `gr` sets `ga` and `gb` to the
    /// bytes `ga..<gb` log `$pL` has dropped (its `.gap` file; a job can write anything
    /// there, so anything but two numbers that go forward and end within the log reads as
    /// none: 0 and 0); `gp` prints `/<ga>/<gb>`
    /// when there is a gap, else nothing; it follows the size in the `p-end` trailer. `rd END` writes the log from offset `$o` up to `END`
    /// to stdout and moves `$o` on; it stops early, returning 1, at the gap. Bytes below
    /// the kept head are never dropped and are copied directly; bytes above it are read
    /// (1 MB at a time) into a file beside the log first and sent only if the gap, read
    /// again after the read, does not reach them: the capper announces a gap before it
    /// punches it, so a read the second look finds clear was made before the punch, and no
    /// reader ever sends the zeros of a hole. An uncapped log is copied directly, at most
    /// 1 GB per `head`. `fr OFFSET FILE` writes FILE from OFFSET on: `tail -c +N`, or past
    /// 2 GB `dd` by 64 KB blocks and then `tail` (BusyBox's `tail` and `head` take no
    /// number of 2^31 or more).
    static let logFunctions =
        #"gr() { ga=0; gb=0; if [ -f "$J/$pL.gap" ]; then read -r ga gb < "$J/$pL.gap" 2>/dev/null; case "$ga:$gb" in *[!0-9:]* | :* | *:) ga=0; gb=0 ;; esac; if [ ${#ga} -gt 18 ] || [ ${#gb} -gt 18 ] || [ "$ga" -ge "$gb" ]; then ga=0; gb=0; fi; if [ "$gb" -gt 0 ]; then "#
        + fileSize(into: "gz", #""$J/$pL""#)
        + #"; if [ "$gb" -gt "$gz" ]; then ga=0; gb=0; fi; fi; fi; }; gp() { gr; if [ $gb -gt 0 ]; then printf "/%s/%s" $ga $gb; fi; }; fr() { if [ "$1" -lt 2147483647 ]; then tail -c +$(($1+1)) "$2"; else dd if="$2" bs=65536 skip=$(($1/65536)) 2>/dev/null | tail -c +$(($1%65536+1)); fi; }; rd() { if [ -f "$J/max_log" ]; then :; else while [ $o -lt $1 ]; do rC=$(($1-o)); if [ $rC -gt 1073741824 ]; then rC=1073741824; fi; fr $o "$J/$pL" | head -c $rC; o=$((o+rC)); done; return 0; fi; read -r rX < "$J/max_log"; rH=$((rX/2/4096*4096)); while [ $o -lt $1 ]; do if [ $o -lt $rH ]; then rY=$1; if [ $rY -gt $rH ]; then rY=$rH; fi; fr $o "$J/$pL" | head -c $((rY-o)); o=$rY; continue; fi; gr; if [ $o -lt $gb ]; then return 1; fi; rC=$(($1-o)); if [ $rC -gt 1048576 ]; then rC=1048576; fi; fr $o "$J/$pL" | head -c $rC > "$J/.rd.$$"; gr; if [ $o -lt $gb ]; then rm -f "$J/.rd.$$"; return 1; fi; rC=$(($(wc -c < "$J/.rd.$$"))); if [ $rC = 0 ]; then rm -f "$J/.rd.$$"; return 1; fi; cat "$J/.rd.$$"; rm -f "$J/.rd.$$"; o=$((o+rC)); done; return 0; }"#

    /// A shell condition, true when process `pid` (a shell word; one `kill -0` found) is a
    /// zombie: where `/proc` has the process, its `exe` link no longer resolves (a zombie
    /// has no memory left, so no executable). One `stat`: dash's `read` of `/proc/PID/stat`
    /// takes a system call per byte, each of which has the kernel write the whole line
    /// again (0.2 ms a process, a fifth of a worker's answer to `p ls` with 20 jobs). Where
    /// there is no `/proc` (macOS), false.
    static func isZombie(_ pid: String) -> String {
        #"{ [ -d "/proc/"# + pid + #"" ] && [ ! -e "/proc/"# + pid + #"/exe" ]; }"#
    }

    /// Sets shell variable `variable` to the size of `path` (a shell word), 0 when there is
    /// no such file: from `stat -c %s` where there is one (BusyBox's `wc -c` wraps at 4 GB),
    /// else `wc -c` (macOS).
    static func fileSize(into variable: String, _ path: String) -> String {
        "\(variable)=$(stat -c %s \(path) 2>/dev/null) || \(variable)=$(wc -c 2>/dev/null < \(path)) || \(variable)=0; \(variable)=$((\(variable)))"
    }

    /// Ends a script about job directory `$J` with `p-end missing` on stderr when that
    /// directory is gone.
    /// Sets `p` and `P` to the pid of job `$J` that scripts signal: `$<argument>`, the one
    /// recorded at launch, never the `pid` file the job could rewrite to aim them at other
    /// processes (except for a job the worker's queue started, which p never saw start, and
    /// which has only that file); empty for anything that is not a pid above 1.
    static func jobPid(argument: Int) -> String {
        "p=$\(argument); "
            + #"if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then read -r p < "$J/pid"; fi; case $p in "" | *[!0-9]*) p= ;; esac; if [ -n "$p" ] && [ "$p" -le 1 ]; then p=; fi; P=$p"#
    }

    static let endUnlessJobExists = #"if [ -d "$J" ]; then :; else echo "p-end missing" >&2; exit 0; fi"#

    /// The trailer of a script about job directory `$J`: `p-end <size> <facts>` on stderr.
    static let trailer = #"printf "p-end %s%s %s\n" $(size) "$(gp)" "$(facts)" >&2"#

    /// Streams log `$pL` (`output.log`, or `stderr.log`) of `$J` from byte offset `$o` to stdout until the job ended
    /// (or, for a capped log, until it reaches the part dropped: the client skips it and
    /// follows again), then prints the trailer `p-end <size> <facts>` on stderr. It polls the log's
    /// size (after 10, 20, 40, then every 50 ms; 20 ms after new bytes, so a short job ends
    /// quickly and a chatty one does not fork a hundred times a second) and copies exactly
    /// the new bytes, so it needs nothing beyond POSIX
    /// tools, ends as soon as `exitcode` appears (a process-based end, like GNU tail's
    /// `--pid`, waits for init to reap the zombie), and the log is complete by then: the
    /// last read goes to the size measured after `exitcode` was seen. Liveness (for a job
    /// killed without an exit code) is checked every half second; for a Slurm job every 10
    /// seconds (each check asks the controller), and once its exit code is there, the
    /// trailer waits (up to 10 s) for Slurm to say how the job ended too.
    static let followPart =
        #"L=10; case $P in slurm:*) L=200 ;; esac; i=0; q=0; w=0; while :; do x=0; if [ -f "$J/exitcode" ]; then x=1; elif [ $((i % L)) = 0 ]; then if up; then :; else x=1; fi; fi; n=$(size); if [ $n -gt $o ]; then if rd $n; then :; else w=1; break; fi; q=1; fi; if [ $x = 1 ]; then break; fi; i=$((i+1)); case $q in 0) sleep 0.01 ;; 1) sleep 0.02 ;; 2) sleep 0.04 ;; *) sleep 0.05 ;; esac; q=$((q+1)); hb 100; done; case $P in slurm:*) n=0; while [ $w = 0 ] && [ $n -lt 50 ] && up; do sleep 0.2; n=$((n+1)); done ;; esac; "#
        + trailer
}
