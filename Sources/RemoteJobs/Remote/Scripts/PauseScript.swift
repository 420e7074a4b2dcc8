/// Pauses a job (STOP to its whole process group) or resumes it (CONT), keeping the
/// `paused` marker that tells a paused job from a running one.
struct PauseScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// Pause (STOP) or resume (CONT).
    var pause: Bool
    /// The job's pid as recorded at launch, if it was.
    var pid: Int?

    var arguments: [String] { [jobDirectory, pause ? "STOP" : "CONT", pid.map(String.init) ?? ""] }

    /// Leaves a job still in the worker's queue, or one that ended, alone; else sends the
    /// signal to the whole process group. Then the trailer on stderr, whose facts tell the
    /// engine what came of it (queued, ended, paused, running). The marker is written before STOP
    /// and removed after CONT, so a job is never stopped without it; `facts` counts the
    /// marker only while the leader is stopped (state `T`), so the script waits (2 s at
    /// most) until the leader's state shows the signal took effect. Arguments: `J STOP|CONT pid`,
    /// the pid as `StopScript` takes it (the `pid` file only for a job the queue started).
    static let source = [
        #"J=$1"#, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"settled() { n=0; while [ -r "/proc/$p/stat" ] && [ $n -lt 40 ]; do read -r l < "/proc/$p/stat" 2>/dev/null || break; l=${l##*) }; case $1$l in TT* | R[!T]*) break ;; esac; sleep 0.05; n=$((n+1)); done; }"#,
        RemoteScripts.jobPid(argument: 3),
        #"if [ -f "$J/queued" ] || [ -f "$J/exitcode" ] || [ -z "$p" ] || ! up; then :; elif [ "$2" = STOP ]; then : > "$J/paused"; kill -STOP -$p 2>/dev/null; settled T; else kill -CONT -$p 2>/dev/null; rm -f "$J/paused"; settled R; fi"#,
        RemoteScripts.trailer,
    ].joined(separator: "; ")
}
