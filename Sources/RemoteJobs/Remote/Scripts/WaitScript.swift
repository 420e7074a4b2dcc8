/// Waits on the worker until a job ended, then the trailer.
struct WaitScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// The job's process as recorded at launch (`JobRecord.workerProcess`), if it was.
    var process: String?

    var arguments: [String] { [jobDirectory, process ?? ""] }

    /// Waits until a job has ended, checking every 0.2 s on the worker (every second for a
    /// Slurm job: each check asks the controller), then prints the trailer on stderr.
    /// Arguments: `J process` (as recorded at launch).
    static let source = [
        #"J=$1; P=$2; p=$P; R=${J%/jobs/*}"#, WorkerQueue.kickIfQueued, RemoteScripts.endUnlessJobExists,
        RemoteScripts.factsFunction,
        #"w=0.2; v=25; case $p in slurm:*) w=1; v=5 ;; esac; "# + WorkerQueue.awaitStart
            + #"; while up; do if [ -f "$J/exitcode" ]; then break; fi; sleep $w; hb $v; done"#,
        RemoteScripts.trailer,
    ].joined(separator: "; ")
}
