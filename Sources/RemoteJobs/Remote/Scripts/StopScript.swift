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

    var arguments: KeyValuePairs<String, String> {
        ["job": jobDirectory, "signal": signal.rawValue, "grace": "\(graceSeconds)", "pid": pid.map(String.init) ?? ""]
    }

    /// `Worker/stop.sh`.
    static let file = "stop.sh"
    static let source = WorkerShell.program(file)
}
