/// What differs between the kinds of worker, decided here and only here: the engine asks
/// a worker's kind what to do, and never compares kinds itself. An SSH worker and a local
/// one run the same scripts the same way (only how they are reached differs, see
/// `WorkerLink.Access`); a Slurm worker hands the job, its queue and its GPUs to Slurm.
extension WorkerKind {
    /// Whether p's own queue, slots and GPU claims run the jobs (`kick.sh`), rather than a
    /// scheduler's.
    var queuesItself: Bool { self != .slurm }

    /// Whether a synced work directory gets a spare copy for the next sync (`SpareCopy`):
    /// not on Slurm, whose jobs run on compute nodes the copy's mark and clock do not cover.
    var makesSpareCopies: Bool { self != .slurm }

    /// Whether the worker is this machine, reached without SSH.
    var isLocal: Bool { self == .local }

    /// The kind in a sentence ("an SSH worker").
    var described: String {
        switch self {
        case .ssh: "an SSH worker"
        case .slurm: "a Slurm worker"
        case .local: "a local worker"
        }
    }

    /// Checks a request before anything of it is made.
    /// - Throws: `RemoteJobsError.invalidArgument` for what this kind cannot do: `--after`
    ///   on Slurm (Slurm's own dependencies do it), `sbatch` options elsewhere.
    func check(_ request: JobRequest, dependencies: [JobRecord], on worker: Worker) throws(RemoteJobsError) {
        if !queuesItself, !dependencies.isEmpty {
            throw .invalidArgument(
                "--after applies to SSH and local workers; on a Slurm worker use --sbatch \"--dependency=afterok:SLURM_ID\"."
            )
        }
        var sbatchOnly = request.slurm
        sbatchOnly.gpus = nil
        if self != .slurm, let option = sbatchOnly.sbatchArguments.first {
            throw .invalidArgument("\(option) is an option for Slurm workers, and '\(worker.name)' is \(described).")
        }
    }

    /// The script that starts `launch` on `worker`: the launch itself, or its submission
    /// to Slurm with the worker's and the request's `sbatch` options.
    func launchScript(_ launch: LaunchScript, on worker: Worker, request: JobRequest) -> any WorkerScript {
        switch self {
        case .ssh, .local: launch
        case .slurm:
            SlurmLaunchScript(launch: launch, sbatchOptions: worker.sbatchOptions + request.slurm.sbatchArguments)
        }
    }

    /// What registration checks beyond the probe: for a Slurm cluster, a probe job showing
    /// that its compute nodes see p's root (waited for up to `wait`); nothing for the others.
    func registrationCheck(_ worker: Worker, link: WorkerLink, wait: Duration) async throws -> SlurmProbe? {
        guard self == .slurm else { return nil }
        let started = ContinuousClock.now
        let (outcome, jobID) = try await link.ask(
            SlurmProbeScript(
                root: worker.remoteRoot, waitSeconds: max(1, wait.wholeSecondsRoundedUp),
                sbatchOptions: worker.sbatchOptions))
        return SlurmProbe(jobID: jobID, outcome: outcome, elapsed: ContinuousClock.now - started)
    }
}
