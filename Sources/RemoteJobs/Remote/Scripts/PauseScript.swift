/// Pauses a job (STOP to its whole process group) or resumes it (CONT), keeping the
/// `paused` marker that tells a paused job from a running one.
struct PauseScript: WorkerScript {
    /// `R/jobs/ID`.
    var jobDirectory: String
    /// Pause (STOP) or resume (CONT).
    var pause: Bool
    /// The job's pid as recorded at launch, if it was.
    var pid: Int?

    var arguments: KeyValuePairs<String, String> {
        ["job": jobDirectory, "signal": pause ? "STOP" : "CONT", "pid": pid.map(String.init) ?? ""]
    }

    /// `Worker/pause.sh`.
    static let file = "pause.sh"
    static let source = WorkerShell.program(file)
}
