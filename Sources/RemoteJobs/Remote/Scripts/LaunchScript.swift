/// Starts a job: creates its directories and files from stdin, starts the wrapper detached,
/// reports `p-start`, and (with `follow`) streams the output as `FollowScript` does.
struct LaunchScript: WorkerScript {
    /// The worker's root for p's files (`~/.p`, relative to the home directory).
    var root: String
    /// The job's id.
    var jobID: String
    /// The client's working directory, recorded for `p ls`.
    var cwd: String
    /// The worker's name, recorded with the job.
    var workerName: String
    /// The job's variables (`export K='V'` lines), written to the 0600 `env` file.
    var environmentFile: [UInt8]
    /// The job's time limit in seconds; nil for none.
    var timeoutSeconds: Int?
    /// Seconds between TERM and KILL when the time limit stops the job.
    var graceSeconds: Int
    /// Whether to stream the output after the start (`p -- ...`) or return at once.
    var follow: Bool
    /// The work directory's name under `R/workdirs`: the job's id, or a persistent one.
    var workdirName: String
    /// Whether the work directory was synced or claimed before: then the job's directories
    /// must still exist (a job removed while it was prepared is not started).
    var prepared: Bool
    /// The command, as the user typed it.
    var command: String
    /// The worker's slots (nil: no limit); with slots or dependencies the job goes through
    /// the worker's queue (`WorkerQueue`).
    var slots: Int? = nil
    /// The jobs it runs after, and whether they must have succeeded (`--after`) or only
    /// ended (`--after-any`).
    var after: (ids: [String], anyOutcome: Bool)? = nil
    /// GPUs to claim on the worker (`WorkerGPUs`); 0 for none.
    var gpus: Int = 0
    /// Whether a job of this id may already have been started (an idempotent submit, whose
    /// id comes from the caller's key): then an existing one is never started again.
    var once: Bool = false
    /// Whether the command's stderr goes to `stderr.log` instead of the log (for `exec`
    /// through a job, which answers with the two streams apart).
    var separateStderr: Bool = false
    /// The command to run on the worker when the job ends (`JobRequest.onEnd`), if any.
    var onEnd: String? = nil
    /// The cap on each of the job's logs in bytes (`JobRequest.maxLog`); nil for none.
    var maxLog: UInt64? = nil

    var arguments: [String] {
        [
            root, jobID, "\(Array(cwd.utf8).count)", "\(Array(workerName.utf8).count)", "\(environmentFile.count)",
            "\(timeoutSeconds ?? 0)", "\(graceSeconds)", follow ? "1" : "0", Self.wrapper, Self.runner(for: command),
            workdirName, prepared ? "1" : "0", slots.map(String.init) ?? "",
            after.map { ($0.anyOutcome ? "any " : "ok ") + $0.ids.joined(separator: ",") } ?? "", WorkerQueue.kick,
            "\(gpus)", once ? "1" : "", separateStderr ? "1" : "", "\(Array((onEnd ?? "").utf8).count)",
            "\(maxLog ?? 0)", "\(Array(command.utf8).count)",
        ]
    }

    var input: [UInt8] {
        Array(cwd.utf8) + Array(workerName.utf8) + environmentFile + Array((onEnd ?? "").utf8) + Array(command.utf8)
    }

    /// Creates the job's directories and files from stdin (`cwd`, `worker`, `env` by the
    /// lengths given, then `on_end` by its length, then `cmd` to the end), starts the wrapper detached (from a subshell
    /// that exits at once, so the job is never a descendant of the SSH session, and its own
    /// session and process group; it writes its pid, which the launcher waits for), prints
    /// `p-start <pid> <started_at> <boot_id>` on stderr and, when `$8` is 1, goes on to
    /// stream the output as `follow` does. Arguments: `R ID cwdLength workerLength
    /// envLength timeout grace follow wrapper runner workdirName prepared slots after
    /// kick gpus once stderr onEndLength maxLog commandLength`; files that did not arrive
    /// whole (a connection cut while stdin was sent) start nothing (exit 91): the command
    /// is written beside `cmd` and put in place only once whole, so a `cmd` is always the
    /// whole command; SIGPIPE is ignored until the job starts, so a message to a client that
    /// is gone cannot end the script before it cleaned up; with `maxLog` above 0 the logs are capped
    /// (`CappedLog`; exit 95 when the worker cannot punch holes); with `stderr` 1 the command's stderr goes to `stderr.log`
    /// (the wrapper sees that file); with `once` 1 (a client key's job, whose directory its submit claimed
    /// first, `ClaimJobScript`) `cmd` is put in place only if absent (`ln`, which fails on
    /// an existing name), so of two launches of one job only one starts it; the other
    /// exits 97; with `gpus` above 0 it first claims that many free GPUs (`WorkerGPUs`,
    /// exit 96 when too few are free); with slots or dependencies the job goes through the worker's queue
    /// (`WorkerQueue.launchBranch`), otherwise it starts at once. With
    /// `prepared` 1 (the work directory was synced or claimed), the job's directories must
    /// still exist: a job removed while it was prepared is not started. A launch that
    /// fails (exit 90-94) leaves nothing of the job behind, and says when the disk is full.
    /// The pid reported is the one the launcher started (`$!`: setsid and nohup exec in
    /// place), not whatever the `pid` file holds by then: the job may already have
    /// rewritten it. The file counts only where setsid had to fork (the started process
    /// is then gone).
    static let source =
        (jobFiles + [
            WorkerGPUs.functions,
            #"if [ "${16:-0}" -gt 0 ]; then gclaim "${16}" "$2" || fail 96; fi"#,
            WorkerQueue.launchBranch,
            #"if command -v setsid > /dev/null 2>&1; then D=setsid; elif command -v perl > /dev/null 2>&1; then D=perl; else echo "p: the worker has neither setsid nor perl" >&2; fail 92; fi"#,
            signalReset,
            #"trap - PIPE; k=$( ( if [ $D = setsid ]; then setsid sh "$J/run" "$J" "$W" "$6" "$7" "${10}" "$m" $G < /dev/null > /dev/null 2>&1 & else perl -MPOSIX -e "POSIX::setsid(); exec @ARGV" sh "$J/run" "$J" "$W" "$6" "$7" "${10}" "$m" $G < /dev/null > /dev/null 2>&1 & fi; echo $! ) )"#,
            #"n=0; until [ -s "$J/pid" ] || [ $n -ge 1000 ]; do sleep 0.01; n=$((n+1)); done; if [ -s "$J/pid" ]; then :; else echo "p: the job did not start" >&2; fail 93; fi; read -r p < "$J/pid"; if [ -n "$k" ] && [ "$k" != "$p" ] && kill -0 "$k" 2>/dev/null; then p=$k; fi; case $p in "" | *[!0-9]*) p=$k ;; esac; P=$p"#,
            #"rm -f "$J/preparing"; s=-; read -r s < "$J/started_at" 2>/dev/null; printf "p-start %s %s %s\n" $p "${s:--}" "$(cat "$J/boot_id" 2>/dev/null || echo -)" >&2"#,
            #"if [ "$8" = 1 ]; then "# + RemoteScripts.followPart + "; fi",
        ]).joined(separator: "; ")

    /// The first part of a launch, shared with `SlurmLaunchScript`: checks that a prepared
    /// job's directories still exist, creates them (`R/jobs/ID`, `R/workdirs/NAME`, 0700)
    /// and the job's files from stdin (`cwd`, `worker`, `env`, `cmd`), writes the wrapper
    /// to `run` and an empty log; any failure removes what it made (exit 90, 91, 94).
    /// Sets `J`, `W`, `R`, `m` (the login's umask) and `fail`.
    static let jobFiles = [
        #"trap "" PIPE; m=$(umask); umask 077; o=0; K=${12}; J=$1; Z=$1; "# + RemoteScripts.factsFunction,
        #"if [ "$K" = 1 ] && { [ ! -d "$1/jobs/$2" ] || [ ! -d "$1/workdirs/${11}" ]; }; then echo "p: the files of the job vanished from the worker while it was being prepared (removed with p rm --force?); it was not started" >&2; exit 94; fi"#,
        #"room() { if full; then echo "p: no space left on the disk of the worker that holds $Z" >&2; fi; }"#,
        #"if mkdir -p "$1/jobs/$2" "$1/workdirs/${11}" && R=$(cd "$1" && pwd); then :; else room; rmdir "$1/jobs/$2" 2>/dev/null; exit 90; fi; J=$R/jobs/$2; W=$R/workdirs/${11}"#,
        #"fail() { room; rm -rf "$J"; if [ "$K" != 1 ]; then rm -rf "$W"; fi; exit $1; }"#,
        #"chmod 700 "$R" "$R/jobs" "$R/workdirs" 2>/dev/null"#,
        #"dd ibs=1 count=$3 of="$J/cwd" 2>/dev/null && dd ibs=1 count=$4 of="$J/worker" 2>/dev/null || fail 91"#,
        #"if [ "$5" -gt 0 ]; then dd ibs=1 count=$5 of="$J/env" 2>/dev/null || fail 91; fi"#,
        #"if [ "${19:-0}" -gt 0 ]; then dd ibs=1 count=${19} of="$J/on_end" 2>/dev/null || fail 91; fi"#,
        #"cat > "$J/cmd.new" || fail 91"#,
        #"whole() { z=$(stat -c %s "$1" 2>/dev/null || wc -c < "$1" 2>/dev/null); [ "$((z+0))" -eq "$2" ]; }; V=0; if [ "$5" -gt 0 ]; then whole "$J/env" "$5" || V=1; fi; if [ "${19:-0}" -gt 0 ]; then whole "$J/on_end" "${19}" || V=1; fi; if whole "$J/cwd" "$3" && whole "$J/worker" "$4" && whole "$J/cmd.new" "${21}" && [ $V = 0 ]; then :; else echo "p: the files of the job arrived incomplete (the connection broke?); it was not started" >&2; fail 91; fi"#,
        #"if [ "${17}" = 1 ]; then if ln "$J/cmd.new" "$J/cmd" 2>/dev/null; then rm -f "$J/cmd.new"; elif [ -e "$J/cmd" ]; then rm -f "$J/cmd.new"; echo "p: job $2 was already started, by another submit with the same key" >&2; exit 97; else fail 91; fi; else mv -f "$J/cmd.new" "$J/cmd" || fail 91; fi"#,
        ##"printf "#!/bin/sh\n%s\n" "$9" > "$J/run" && : > "$J/output.log" || fail 91; if [ "${18}" = 1 ]; then : > "$J/stderr.log" || fail 91; fi"##,
        #"cat /proc/sys/kernel/random/boot_id > "$J/boot_id" 2>/dev/null || rm -f "$J/boot_id""#,
        CappedLog.launchCheck,
    ]

    /// Sets `G`, how the wrapper resets the command's signals (see `wrapper`).
    static let signalReset =
        #"G=-; if command -v perl > /dev/null 2>&1; then G=perl; elif env --default-signal true 2>/dev/null; then G=env; fi"#

    /// The job's wrapper, written to `R/jobs/ID/run` and started with `setsid` in a session
    /// of its own (or by Slurm as the batch script, its own process-group leader there):
    /// arguments `J W timeout grace runner umask reset`. It notes when the job started
    /// (`started_at`), then its pid. It runs the words exactly as sshd runs `ssh host
    /// <words>`: the user's login shell (`$SHELL`) with `-c <words>` in the work directory
    /// (`runner` is `argument`), with its own name as `argv[0]`, as sshd gives it, so
    /// `$0`, the shell's messages (`bash: line 1: ...`), the exec of a lone command (and of
    /// the last one of a list: no shell is left to print a notice when it is killed) and
    /// the exit code are ssh's. The name is set through perl (which also resets the
    /// signals, below); without perl, a Bourne-family shell gets it as `$0` after the words
    /// (BusyBox's ash then adds `line 0:` to its messages). The words are read from the `cmd` file into a variable,
    /// never spliced into the wrapper's text. Words too long for one argument (the kernel
    /// takes up to 128 KiB; ssh itself cannot run them: its server fails with "Argument
    /// list too long") are evaluated from the file instead (`runner` is `evalCommandFile`):
    /// then `$0` is the file's path, and so are the shell's messages. The job's variables
    /// (`env`) reach the command only: they are loaded in the subshell that execs it (for
    /// a long command, by the eval after it read the file), and the programs the wrapper
    /// runs the command through are found first, so a job's `PATH` or `SHELL` never
    /// changes how p's own steps run. `SHLVL` is unset for the command, as under sshd, so
    /// bash counts itself a first-level shell and reads `~/.bashrc` as it does for ssh.
    /// The command's output is appended to the log, and its exact status (128+N for
    /// signal N) recorded atomically; when the disk is too full to write it, an empty
    /// marker `exit.N` carries it in its name. The wrapper's own stdout and stderr go
    /// nowhere, and the log redirection is made in a subshell that execs the command (dash
    /// prints "Killed" on the stderr of the command it waited for), so no message of its
    /// own lands in the log. p's files are private (umask 077), but the command runs with
    /// the login's own umask. It survives the TERM of `p stop` (a trap, which the command
    /// does not inherit) so it can still record the status. With a timeout, a watchdog in
    /// the same process group stops the job as `p stop` would; with a cap on the logs, the
    /// capper (`CappedLog`) runs beside the job in the group. Last, it runs the worker's
    /// queue (`WorkerQueue.kick`), so the next queued job starts.
    ///
    /// The command starts with every signal at its default disposition, as under `ssh host
    /// words`: the launcher's `&` makes the wrapper start with INT and QUIT ignored (a
    /// non-interactive shell does that to background commands, and a shell cannot undo an
    /// ignore it inherited), and ignored signals pass on through exec. So the command is
    /// exec'd through `reset`: `perl` (which resets them all and sets `argv[0]`) or `env`
    /// (GNU `env --default-signal`, which resets them), whichever the launcher found first;
    /// with neither (`-`), the command inherits the wrapper's. The wrapper itself traps TERM, INT, HUP, QUIT, USR1,
    /// USR2 and ALRM (the signals `p stop --signal` may send that end a process by default;
    /// the watchdog ignores them), so that it outlives a signal to the group and records the
    /// status. A real-time signal (a number above 31) ends the wrapper too: the job then
    /// ends without an exit code.
    static let wrapper = [
        #"J=$1; W=$2; U=${6:-022}; G=${7:--}; trap "true" "# + trappedSignals
            + #"; date +%s > "$J/started_at"; echo $$ > "$J/pid.tmp"; mv -f "$J/pid.tmp" "$J/pid""#,
        #"if cd "$W" 2>/dev/null; then :; else echo "p: cannot enter the work directory $W" >> "$J/output.log"; echo 126 > "$J/exitcode.tmp"; mv -f "$J/exitcode.tmp" "$J/exitcode"; exit 126; fi"#,
        #"if [ "$3" -gt 0 ]; then ( trap "" "# + trappedSignals
            + #"; n=0; while [ $n -lt "$3" ]; do sleep 1; n=$((n+1)); if [ -f "$J/exitcode" ]; then exit 0; fi; done; echo timeout > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; kill -TERM -$$ 2>/dev/null; n=0; while [ $n -lt $(($4*10)) ]; do if [ -f "$J/exitcode" ]; then exit 0; fi; sleep 0.1; n=$((n+1)); done; kill -KILL -$$ 2>/dev/null ) & fi"#,
        CappedLog.capper,
        #"S=${SHELL:-/bin/sh}; N=${S##*/}; X=$5; B=0; L=1; case $N in bash | sh | dash | zsh | ksh | mksh | ash | yash | posh) B=1 ;; esac"#,
        #"if [ "$5" = argument ]; then w=$(cat "$J/cmd"; echo .); w=${w%.}; set -- -c "$w"; elif [ $B = 1 ]; then L=0; set -- -c "$5" "$J/cmd"; else set -- "$J/cmd"; fi"#,
        #"if [ $G != perl ] && [ "$X" = argument ] && [ $B = 1 ]; then set -- "$@" "$N"; fi; case $G in perl) set -- "$(command -v perl)" -e "\$SIG{\$_} = q(DEFAULT) for keys %SIG; my \$p = shift; exec {\$p} @ARGV or die qq(p: cannot run \$p: \$!\n)" "$S" "$N" "$@" ;; env) set -- "$(command -v env)" --default-signal "$S" "$@" ;; *) set -- "$S" "$@" ;; esac"#,
        #"if [ -f "$J/stderr.log" ]; then ( umask "$U"; unset SHLVL; if [ $L = 1 ] && [ -f "$J/env" ]; then . "$J/env"; fi; exec "$@" < /dev/null >> "$J/output.log" 2>> "$J/stderr.log" ); c=$?; else ( umask "$U"; unset SHLVL; if [ $L = 1 ] && [ -f "$J/env" ]; then . "$J/env"; fi; exec "$@" < /dev/null >> "$J/output.log" 2>&1 ); c=$?; fi"#,
        #"date +%s > "$J/ended_at"; if echo $c > "$J/exitcode.tmp" && [ -s "$J/exitcode.tmp" ] && mv -f "$J/exitcode.tmp" "$J/exitcode"; then :; else rm -f "$J/exitcode.tmp"; : > "$J/exit.$c"; fi"#,
        onEndHook,
        #"R=${J%/jobs/*}; "# + WorkerGPUs.release + "; " + WorkerQueue.kickIfQueued,
    ].joined(separator: "; ")

    /// The signals that end a process by default and that `p stop --signal` may send, which
    /// the wrapper traps (so it outlives them and records the status) and its watchdog
    /// ignores; the `on_end` command gets them back at their defaults.
    static let trappedSignals = "TERM INT HUP QUIT USR1 USR2 ALRM"

    /// The wrapper's last step for the job itself, once its status is recorded: the
    /// `on_end` command (`--on-end`), if the job has one, run by the user's shell in the
    /// work directory with the job's variables and `P_JOB_ID`, `P_JOB_STATUS` (`done`,
    /// `failed`, `stopped`) and `P_JOB_EXIT_CODE`, its stdin empty and its output in
    /// `on_end.log`.
    static let onEndHook =
        #"if [ -f "$J/on_end" ]; then t=failed; if [ -f "$J/stopped" ]; then t=stopped; elif [ "$c" = 0 ]; then t=done; fi; ( trap - "#
        + trappedSignals
        + #"; umask "$U"; if [ -f "$J/env" ]; then . "$J/env"; fi; P_JOB_ID=${J##*/}; P_JOB_STATUS=$t; P_JOB_EXIT_CODE=$c; export P_JOB_ID P_JOB_STATUS P_JOB_EXIT_CODE; exec "$S" -c "$(cat "$J/on_end")" ) < /dev/null > "$J/on_end.log" 2>&1; fi"#

    /// The longest words passed to the shell as its `-c` argument: the kernel's limit for
    /// one argument (`MAX_ARG_STRLEN`, 128 KiB with its NUL on Linux).
    static let longestArgument = 131_071

    /// How the wrapper runs `command`: as the shell's `-c` argument (`argument`), as sshd
    /// does, or, beyond the kernel's limit for one argument, evaluated from its file.
    static func runner(for command: String) -> String {
        command.utf8.count <= longestArgument ? "argument" : evalCommandFile
    }

    /// What a Bourne-family shell runs the command file with, for words too long to be an
    /// argument: its text evaluated as `-c`
    /// would, with the file's path as `$0`, after the job's variables (the `env` file
    /// beside it) are loaded. The file is read before they are, so a job's `PATH` cannot
    /// hide `cat`. Passed as an argument, since the scripts themselves contain no single
    /// quotes.
    static let evalCommandFile = #"eval "if [ -f \"\${0%/*}/env\" ]; then . \"\${0%/*}/env\"; fi; $(cat "$0")""#
}
