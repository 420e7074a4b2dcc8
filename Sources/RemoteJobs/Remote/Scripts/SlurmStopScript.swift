/// Stops a job Slurm runs: the signal through `scancel`, a plain cancel after the grace
/// period, then waits until Slurm says it ended.
struct SlurmStopScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    var signal: JobSignal
    /// Seconds between the signal and the cancel.
    var graceSeconds: Int
    /// The Slurm job id recorded at submission.
    var slurmJobID: String

    var arguments: [String] { [jobDirectory, signal.rawValue, "\(graceSeconds)", slurmJobID] }

    /// Arguments: `J signal grace slurm-id`. Writes the `stopped` marker first. A job that
    /// runs (its wrapper wrote `pid`) gets the signal in all its processes, the batch
    /// script's too (`scancel --full`; the wrapper traps it and records the command's
    /// status), and is cancelled (`scancel`: TERM, then Slurm's KILL) when it has not ended
    /// after the grace period; a job still waiting in the queue is simply cancelled. Waits
    /// (up to 20 s) until Slurm no longer lists it as live, then prints `ended` when it
    /// had already ended, else `stopped`, and the trailer on stderr.
    static let source = [
        #"J=$1"#, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"N=$4; case $N in "" | *[!0-9_]*) echo "p: no Slurm job id" >&2; exit 1 ;; esac; P=slurm:$N; p=$P"#,
        #"if [ -f "$J/exitcode" ] || ! up; then echo ended; else echo $2 > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; if [ -s "$J/pid" ]; then scancel --full --signal "$2" "$N" 2>/dev/null; n=0; while [ ! -f "$J/exitcode" ] && [ $n -lt $(($3*10)) ]; do if [ $((n % 10)) = 9 ] && ! up; then break; fi; sleep 0.1; n=$((n+1)); done; fi; if [ ! -f "$J/exitcode" ] && up; then scancel "$N" 2>/dev/null; fi; n=0; while [ $n -lt 100 ] && up; do sleep 0.2; n=$((n+1)); done; echo stopped; fi"#,
        RemoteScripts.trailer,
    ].joined(separator: "; ")
}
