/// Hands a job to Slurm: creates its files as `LaunchScript` does, submits the wrapper as the
/// batch script with `sbatch`, reports `p-slurm <id>` and (with `follow`) reports the queue
/// state while the job waits, then streams its output as `FollowScript` does.
struct SlurmLaunchScript: WorkerScript {
    /// The job as an SSH worker would start it: the same files, wrapper and arguments.
    var launch: LaunchScript
    /// `sbatch` options: the worker's defaults, then the request's.
    var sbatchOptions: [String]

    var arguments: KeyValuePairs<String, String> { launch.arguments }
    var trailingArguments: [String] { sbatchOptions }
    var input: [UInt8] { launch.input }

    /// `Worker/slurm-launch.sh`.
    static let file = "slurm-launch.sh"
    static let source = WorkerShell.program(file)
}
