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

    var arguments: KeyValuePairs<String, String> {
        ["job": jobDirectory, "signal": signal.rawValue, "grace": "\(graceSeconds)", "slurm_id": slurmJobID]
    }

    /// `Worker/slurm-stop.sh`.
    static let file = "slurm-stop.sh"
    static let source = WorkerShell.program(file)
}
