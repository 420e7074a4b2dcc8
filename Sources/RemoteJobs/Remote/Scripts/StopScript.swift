/// Stops a job's whole process group: the signal, KILL after the grace period, then waits
/// until nothing of it is left.
struct StopScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    var signal: JobSignal
    /// Seconds between the signal and KILL.
    var graceSeconds: Int
    /// The job's pid as recorded at launch, if it was.
    var pid: Int?

    var arguments: [String] { [jobDirectory, signal.rawValue, "\(graceSeconds)", pid.map(String.init) ?? ""] }

    /// Stops a job: the `stopped` marker first, then the signal to the whole process
    /// group (and CONT, so that a paused job receives it), KILL after the grace period, and waits until no process of the group is left
    /// (zombies, dead but not yet reaped by init, do not count). Prints `ended` when the job had already ended, else `stopped`, then the trailer on
    /// stderr. Arguments: `J signal grace pid`: the pid recorded at launch, never the `pid`
    /// file, which the job could have rewritten to aim `p stop` at other processes (but a
    /// job the worker's queue started, which p never saw start, has only that file). A job
    /// still in the worker's queue is taken out of it (stopped, never run).
    static let source = [
        #"J=$1"#, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"R=${J%/jobs/*}; if [ -f "$J/queued" ] && [ "$(sh "$R/kick" "$R" remove "${J##*/}" 2>/dev/null)" = removed ]; then echo $2 > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; date +%s > "$J/ended_at"; echo stopped; "#
            + RemoteScripts.trailer + #"; exit 0; fi"#,
        #"n=0; while [ -f "$J/launched" ] && [ ! -f "$J/pid" ] && [ ! -f "$J/exitcode" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done"#,
        RemoteScripts.jobPid(argument: 4),
        #"alive() { kill -0 -$p 2>/dev/null || return 1; command -v ps > /dev/null 2>&1 || return 0; ps -A -o pgid= -o stat= | grep -Eq "^ *$p +[^Z]"; }"#,
        #"if [ -f "$J/exitcode" ] || [ -z "$p" ]; then echo ended; else echo $2 > "$J/stopped.tmp"; mv -f "$J/stopped.tmp" "$J/stopped"; kill -$2 -$p 2>/dev/null; kill -CONT -$p 2>/dev/null; rm -f "$J/paused"; n=0; while alive && [ $n -lt $(($3*10)) ]; do sleep 0.1; n=$((n+1)); done; if alive; then kill -KILL -$p 2>/dev/null; fi; n=0; while alive && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done; echo stopped; fi"#,
        RemoteScripts.trailer,
    ].joined(separator: "; ")
}
