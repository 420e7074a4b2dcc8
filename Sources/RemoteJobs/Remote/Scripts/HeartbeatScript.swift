/// Keeps the claim of a persistent work directory fresh while its job is prepared.
struct HeartbeatScript: WorkerScript {
    /// `R/jobs/ID` of the job being prepared.
    var jobDirectory: String

    var arguments: KeyValuePairs<String, String> { ["job": jobDirectory] }

    /// `Worker/heartbeat.sh`.
    static let file = "heartbeat.sh"
    static let source = WorkerShell.program(file)
}
