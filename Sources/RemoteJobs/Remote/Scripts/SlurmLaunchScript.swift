/// Hands a job to Slurm: creates its files as `LaunchScript` does, submits the wrapper as the
/// batch script with `sbatch`, reports `p-slurm <id>` and (with `follow`) reports the queue
/// state while the job waits, then streams its output as `FollowScript` does.
struct SlurmLaunchScript: WorkerScript {
    /// The job as an SSH worker would start it: the same files, wrapper and arguments.
    var launch: LaunchScript
    /// `sbatch` options: the worker's defaults, then the request's.
    var sbatchOptions: [String]

    var arguments: [String] { launch.arguments + sbatchOptions }
    var input: [UInt8] { launch.input }

    /// Arguments: `LaunchScript`'s nineteen (its queue and GPU arguments unused: Slurm does both), then the `sbatch` options. After the job's files
    /// (`LaunchScript.jobFiles`), it submits `run` with `sbatch --parsable`: job name
    /// `p-<first 8 characters of the id>`, `--chdir` the work directory, Slurm's own
    /// messages (`slurmstepd: error: *** JOB ... CANCELLED ...`) to `slurm.log` beside the
    /// log, so `output.log` holds the command's bytes exactly as on any worker. The wrapper's
    /// arguments follow the script (sbatch passes them on), with the signal reset found
    /// here (compute nodes run the login node's system). A refused submission prints
    /// sbatch's message and leaves nothing (exit 95). The Slurm id goes to `slurm_id`, where
    /// `facts` finds it. When following, it waits for the wrapper's `pid` file (the job
    /// started on its node; checked every 50 ms, no request to Slurm), asking Slurm every
    /// 2 s meanwhile and printing `p-state STATE:REASON` when the queue state changes;
    /// then `p-start <slurm id> <started_at> -` and the stream. A job Slurm ends before it
    /// ran (cancelled while pending) gets the trailer at once.
    static let source =
        (LaunchScript.jobFiles + [
            LaunchScript.signalReset,
            #"if command -v sbatch > /dev/null 2>&1; then :; else echo "p: sbatch is not on the PATH of the login shell of the worker (is it a Slurm login node?)" >&2; fail 95; fi"#,
            #"I=$2; F=$8; A=$6; B=$7; E=${10}; shift 21; set -- "$@" "$J/run" "$J" "$W" "$A" "$B" "$E" "$m" $G"#,
            #"trap - PIPE; if N=$(sbatch --parsable --job-name "p-${I%%-*}" --chdir "$W" --output "$J/slurm.log" --open-mode append "$@" 2> "$J/sbatch.err"); then :; else cat "$J/sbatch.err" >&2; fail 95; fi; N=${N%%;*}; case $N in "" | *[!0-9_]*) echo "p: sbatch did not print a job id" >&2; fail 95 ;; esac"#,
            #"echo "$N" > "$J/slurm_id"; rm -f "$J/preparing" "$J/sbatch.err"; printf "p-slurm %s\n" "$N" >&2"#,
            #"if [ "$F" = 1 ]; then P=slurm:$N; p=$P; r=; n=0; until [ -s "$J/pid" ]; do if [ $((n % 40)) = 0 ]; then if up; then if [ "$Q" != "$r" ]; then r=$Q; case $Q in PENDING* | CONFIGURING* | REQUEUE* | RESV_DEL_HOLD*) printf "p-state %s\n" "$Q" >&2 ;; esac; fi; else break; fi; fi; n=$((n+1)); sleep 0.05; hb 100; done; if [ -s "$J/pid" ]; then t=-; read -r t < "$J/started_at" 2>/dev/null; printf "p-start %s %s -\n" "$N" "${t:--}" >&2; "#
                + RemoteScripts.followPart + "; else " + RemoteScripts.trailer + "; fi; fi",
        ]).joined(separator: "; ")
}
