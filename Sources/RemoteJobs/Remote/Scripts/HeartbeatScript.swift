/// Keeps the claim of a persistent work directory fresh while its job is prepared.
struct HeartbeatScript: WorkerScript {
    /// `R/jobs/ID` of the job being prepared.
    var jobDirectory: String

    var arguments: [String] { [jobDirectory] }

    /// Keeps a claim on a persistent work directory fresh while its job is prepared: writes
    /// the worker's time into `J/preparing` (see `claimWorkdir`). Arguments: `J`.
    static let source = #"if [ -d "$1" ]; then date +%s > "$1/preparing"; fi"#
}
