/// Checks that a Slurm cluster runs p's jobs: submits a tiny job that writes into p's root,
/// and waits (bounded) for its file to appear on the login node.
struct SlurmProbeScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// How long to wait for the probe job, in seconds.
    var waitSeconds: Int
    /// The worker's default `sbatch` options.
    var sbatchOptions: [String]

    var arguments: KeyValuePairs<String, String> { ["root": root, "wait": "\(waitSeconds)"] }
    var trailingArguments: [String] { sbatchOptions }

    /// The outcome and the probe's Slurm job id.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> (
        SlurmProbe.Outcome, String
    ) {
        let line = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last { $0.hasPrefix("slurm ") }
        let fields = line.map { $0.split(separator: " ", maxSplits: 3).map(String.init) } ?? []
        let word = fields.count > 1 ? fields[1] : ""
        let id = fields.count > 2 ? fields[2] : "?"
        let rest = fields.count > 3 ? fields[3] : ""
        let action = "run a probe job on the Slurm cluster"
        switch word {
        case "ran":
            return (.ran(node: rest.isEmpty ? "?" : rest), id)
        case "queued":
            return (.stillQueued(reason: SchedulerFacts.parse(rest)?.reason), id)
        case "missing":
            throw .remoteFailure(
                worker: worker, action: action,
                detail: "sbatch is not on the PATH of the worker's login shell: is it a Slurm login node?")
        case "no-root":
            throw .remoteFailure(worker: worker, action: action, detail: "cannot create p's root \(root) on it")
        case "refused":
            throw .remoteFailure(
                worker: worker, action: action,
                detail: "sbatch refused the probe job: " + fields.dropFirst(2).joined(separator: " "))
        case "not-shared":
            let state = SchedulerFacts.parse(rest).map { $0.state + ($0.reason.map { " (\($0))" } ?? "") } ?? "gone"
            throw .remoteFailure(
                worker: worker, action: action,
                detail:
                    "the probe job (Slurm job \(id), now \(state)) did not leave its file in p's root \(root) on the login node within \(waitSeconds) s. The compute nodes must see the root on a shared file system (a shared home, say): pick one with --root"
            )
        default:
            throw .remoteFailure(worker: worker, action: action, detail: result.failureDetail)
        }
    }

    /// `Worker/slurm-probe.sh`.
    static let file = "slurm-probe.sh"
    static let source = WorkerShell.program(file)
}
