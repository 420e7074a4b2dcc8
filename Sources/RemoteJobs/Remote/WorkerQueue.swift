/// The queue on a worker: jobs that wait for a free slot (`slots` in config.yaml) or for
/// the jobs they depend on (`--after`), in `R/queue/<sequence>-<id>`, started in that
/// order by `kick`, with no daemon: the wrapper of every ending job runs it, and so does
/// every launch, `p ls`, `p wait` and `p logs -f`, so a reboot or a job killed outright never
/// strands the queue.
enum WorkerQueue {
    /// The `kick` program, written to `R/kick` by every launch that queues (so the worker
    /// always has the latest), run as `sh R/kick R [add ID | remove ID]`. Under the queue's
    /// lock (`lockStep`): `add` gives job ID the next sequence number and its entry;
    /// `remove` takes it out of the queue (printing `removed` when it was still queued).
    /// Then it counts the running jobs of the root (a live `pid` without an exit code, or
    /// one `launching`) and walks the queue in order: a job whose dependencies (`J/after`:
    /// `ok|any id,id...`, where `id:CODE` is one that had already ended when the job was
    /// submitted, with that exit code, or `-` for none, so its files need not stay) still
    /// run or wait is passed over; one with a dependency that
    /// failed (`ok`), or ended without a code, or is gone, is ended without running: a line
    /// in its log says why, its exit code is 1; the others start while slots (`R/slots`,
    /// none: no limit) allow, each with the arguments its launch left in `J/start`,
    /// detached with setsid (or perl), as a launch starts a job. A job is claimed by
    /// renaming its queue entry to `J/launched` (then touched: the claim's time), which
    /// only one process can do, so even two kicks that both hold the lock (one breaking a lock
    /// the other had just taken over from a dead owner) never start a job twice.
    ///
    /// The next sequence number comes from the entries themselves (the last one's, plus
    /// one; 1 for an empty queue), never from a counter a crash or a job could leave at any
    /// value: numbers stay within the twelve digits an entry's name has.
    static let kick = [
        #"R=$1; A=${2:-}; I=${3:-}; if [ ! -d "$R/queue" ]; then exit 0; fi"#,
        #"if [ -z "$A" ]; then set -- "$R"/queue/*; if [ ! -e "$1" ]; then exit 0; fi; fi"#,
        lockStep,
        #"case $A in add) s=0; for e in "$R"/queue/*; do x=${e##*/}; x=${x%%-*}; case $x in "" | *[!0-9]*) ;; *) s=$x ;; esac; done; s=${s#"${s%%[!0]*}"}; if [ ${#s} -gt 12 ]; then s=999999999999; fi; s=$((${s:-0}+1)); if [ $s -gt 999999999999 ]; then s=999999999999; fi; echo $s > "$R/jobs/$I/queued"; : > "$R/queue/$(printf "%012d" $s)-$I" ;; remove) if [ -f "$R/jobs/$I/queued" ]; then rm -f "$R/jobs/$I/queued" "$R"/queue/*-"$I"; echo removed; fi; exit 0 ;; esac"#,
        #"S=0; { read -r S < "$R/slots"; } 2>/dev/null; case $S in "" | *[!0-9]*) S=0 ;; esac"#,
        #"live() { [ -f "$1/pid" ] || return 1; read -r k < "$1/pid"; case $k in "" | *[!0-9]*) return 1 ;; esac; [ "$k" -gt 1 ] && kill -0 "$k" 2>/dev/null || return 1; "#
            + RemoteScripts.isZombie("$k") + #" && return 1; return 0; }"#,
        #"r=0; for j in "$R"/jobs/*; do if [ -f "$j/queued" ] || [ -f "$j/exitcode" ]; then continue; fi; if "#
            + launching("$j") + #"; then r=$((r+1)); elif live "$j"; then r=$((r+1)); fi; done"#,
        #"for e in "$R"/queue/*; do if [ ! -e "$e" ]; then continue; fi; i=${e##*/}; i=${i#*-}; J=$R/jobs/$i; if [ ! -f "$J/queued" ]; then rm -f "$e"; continue; fi; d=go; if [ -f "$J/after" ]; then read -r M L < "$J/after"; for x in $(echo "$L" | tr "," " "); do c=; case $x in *:*) c=${x#*:}; x=${x%%:*}; case $c in "" | *[!0-9]*) c=gone ;; esac ;; *) X=$R/jobs/$x; if [ -f "$X/exitcode" ]; then read -r c < "$X/exitcode"; elif [ -f "$X/queued" ] || "#
            + launching("$X")
            + #" || live "$X"; then d=wait; break; else c=gone; fi ;; esac; if [ "$M" = ok ] && [ "$c" != 0 ]; then d=fail; break; fi; done; fi"#
            + #"; if [ $d = wait ]; then continue; fi; if [ $d = fail ]; then if [ "$c" = gone ]; then w="ended without an exit code, or is gone"; else w="failed (exit $c)"; fi; printf "p: not started: job %s, which it runs after, %s\n" "$x" "$w" >> "$J/output.log"; date +%s > "$J/ended_at"; echo 1 > "$J/exitcode.tmp" && mv -f "$J/exitcode.tmp" "$J/exitcode"; rm -f "$J/queued" "$e"; continue; fi"#
            + #"; if [ "$S" -gt 0 ] && [ $r -ge "$S" ]; then break; fi; a1=; a2=; { read -r a1; read -r a2; read -r a3; read -r a4; read -r a5; read -r a6; read -r a7; } < "$J/start"; if [ -z "$a1" ] || [ -z "$a2" ]; then echo "p: not started: the arguments its launch left (start) cannot be read" >> "$J/output.log"; date +%s > "$J/ended_at"; echo 1 > "$J/exitcode.tmp" && mv -f "$J/exitcode.tmp" "$J/exitcode"; rm -f "$J/queued" "$e"; continue; fi; mv "$e" "$J/launched" 2>/dev/null || continue; touch "$J/launched"; rm -f "$J/queued"; if command -v setsid > /dev/null 2>&1; then ( setsid sh "$J/run" "$a1" "$a2" "$a3" "$a4" "$a5" "$a6" "$a7" < /dev/null > /dev/null 2>&1 9>&- & ); else ( perl -MPOSIX -e "POSIX::setsid(); exec @ARGV" sh "$J/run" "$a1" "$a2" "$a3" "$a4" "$a5" "$a6" "$a7" < /dev/null > /dev/null 2>&1 9>&- & ); fi; r=$((r+1)); done"#,
    ].joined(separator: "; ")

    /// Takes the queue's lock for as long as this `kick` runs: `flock(2)` on `R/queue.flock`
    /// through fd 9, by util-linux's (or BusyBox's) `flock`, else by perl, which lock the
    /// open file the shell holds, so the kernel releases it when the kick ends however it
    /// ends: no crash leaves a lock behind. (The programs a kick starts get fd 9 closed.)
    /// Where there is neither, a symbolic link `R/queue.lock` naming its owner's pid, made
    /// in one step (`ln -s`), broken only when it is over a minute old (a kick takes
    /// milliseconds): breaking it when its owner looked gone let a waiter remove the lock
    /// the next kick had just taken, as the owner ended normally (an older p's lock
    /// directory is broken when its owner is gone). Gives up, with a message, after 30 s
    /// (75 s for the link).
    static let lockStep = [
        #"if command -v flock > /dev/null 2>&1; then exec 9>> "$R/queue.flock" && flock -w 30 9 || { echo "p: the queue of the worker stayed locked for 30 s ($R/queue.flock)" >&2; exit 1; }"#,
        #"elif command -v perl > /dev/null 2>&1; then exec 9>> "$R/queue.flock" && perl -MFcntl=:flock -e "for (1..600) { exit 0 if flock(STDIN, LOCK_EX | LOCK_NB); select(undef, undef, undef, 0.05) } exit 1" <&9 || { echo "p: the queue of the worker stayed locked for 30 s ($R/queue.flock)" >&2; exit 1; }"#,
        #"else n=0; until ln -s "$$" "$R/queue.lock" 2>/dev/null && [ -L "$R/queue.lock" ]; do rm -f "$R/queue.lock/$$" 2>/dev/null; if [ -L "$R/queue.lock" ]; then if [ -n "$(find "$R/queue.lock" -prune -mmin +1 2>/dev/null)" ]; then rm -f "$R/queue.lock"; continue; fi; elif [ -d "$R/queue.lock" ]; then o=; { read -r o < "$R/queue.lock/pid"; } 2>/dev/null; case $o in "" | *[!0-9]*) o=0 ;; esac; if [ "$o" -le 1 ] || ! kill -0 "$o" 2>/dev/null; then rm -rf "$R/queue.lock"; continue; fi; else continue; fi; n=$((n+1)); if [ $n -gt 1500 ]; then echo "p: the queue of the worker stayed locked for 75 s ($R/queue.lock)" >&2; exit 1; fi; sleep 0.05; done; trap "rm -f \"\$R/queue.lock\"" EXIT; fi"#,
    ].joined(separator: "; ")

    /// A shell condition: job directory `dir` (a shell word) was just started from the
    /// queue and its wrapper has not written its pid yet. A `launched` marker over a minute
    /// old without a pid is a wrapper that died before its first step: that job runs no
    /// more, holds no slot, and a job after it is not held back.
    static func launching(_ dir: String) -> String {
        #"{ [ -f "\#(dir)/launched" ] && [ ! -f "\#(dir)/pid" ] && [ -z "$(find "\#(dir)/launched" -mmin +1 2>/dev/null)" ]; }"#
    }

    /// For a script about job `$J` of root `$R` that needs it started: waits while the job
    /// is in the queue (asking the queue to move every second, in case no ending job did)
    /// or was just launched from it (up to 10 s for its wrapper's pid), then takes the pid
    /// from the `pid` file when none was recorded (the queue started the job, p never saw
    /// it start).
    static let awaitStart =
        #"n=0; while { [ -f "$J/queued" ] || { [ -f "$J/launched" ] && [ $n -lt 200 ]; }; } && [ ! -f "$J/pid" ] && [ ! -f "$J/exitcode" ]; do n=$((n+1)); if [ $((n % 20)) = 0 ]; then "#
        + kickIfQueued
        + #"; fi; sleep 0.05; hb 100; done; if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then read -r p < "$J/pid"; case $p in "" | *[!0-9]*) p= ;; esac; P=$p; fi"#

    /// Runs `kick` for root `$R` when the worker has one: what every contact with a worker
    /// does, so queued jobs start even when no job ended to start them.
    static let kickIfQueued = #"if [ -f "$R/kick" ]; then sh "$R/kick" "$R" < /dev/null > /dev/null 2>&1; fi"#

    /// The launch's branch for a job that may have to wait (slots or dependencies):
    /// arguments 13-15 of `LaunchScript` are the slots (empty: no limit), the dependencies
    /// (`ok|any id,id...`, or empty) and `kick`. It leaves the wrapper's arguments in
    /// `J/start`, installs `kick` and the slots, and queues the job through `kick add`, which
    /// starts it at once if it may run; prints `p-queued`. When following, it waits for the
    /// job's `pid` (every 50 ms; the queue state every second, printed as `p-state
    /// QUEUED:reason` when it changes), then `p-start` and the stream; a job ended or taken
    /// out of the queue before it ran gets the stream of its log and the trailer.
    static let launchBranch = [
        #"if [ -n "${13}${14}" ]; then "# + LaunchScript.signalReset,
        #"printf "%s\n" "$J" "$W" "$6" "$7" "${10}" "$m" "$G" > "$J/start" || fail 91; if [ -n "${14}" ]; then printf "%s\n" "${14}" > "$J/after" || fail 91; fi"#,
        #"mkdir -p "$R/queue" && printf "%s\n" "${15}" > "$R/kick.$2" && mv -f "$R/kick.$2" "$R/kick" || fail 91; if [ -n "${13}" ]; then echo "${13}" > "$R/slots.$2" && mv -f "$R/slots.$2" "$R/slots"; else rm -f "$R/slots"; fi"#,
        #"rm -f "$J/preparing"; trap - PIPE; sh "$R/kick" "$R" add "$2" < /dev/null > /dev/null || fail 91; printf "p-queued\n" >&2"#,
        #"if [ "$8" = 1 ]; then P=; r=-; n=0; until [ -s "$J/pid" ] || [ -f "$J/exitcode" ]; do if [ ! -f "$J/queued" ] && [ ! -f "$J/launched" ]; then break; fi; if [ $((n % 20)) = 0 ] && [ -f "$J/queued" ]; then if [ $n -gt 0 ]; then "#
            + kickIfQueued
            + #"; fi; qr; if [ "$Q" != "$r" ]; then r=$Q; printf "p-state %s\n" "$Q" >&2; fi; fi; n=$((n+1)); sleep 0.05; hb 100; done; if [ -s "$J/pid" ]; then read -r p < "$J/pid"; case $p in "" | *[!0-9]*) p= ;; esac; P=$p; t=-; read -r t < "$J/started_at" 2>/dev/null; if [ -n "$p" ]; then printf "p-start %s %s %s\n" $p "${t:--}" "$(cat "$J/boot_id" 2>/dev/null || echo -)" >&2; fi; fi; "#
            + RemoteScripts.followPart + "; fi; exit 0; fi",
    ].joined(separator: "; ")
}
