import ArgumentParser
import RemoteJobs

extension WorkerCommand {
    /// `p worker register CONNECTION`.
    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a worker after connecting once to check its host key and the login.",
            discussion: """
                The connection is `user@host`, `user@host:port`, `host`, or an alias from \
                ~/.ssh/config. An unknown host key is shown for confirmation on a terminal; \
                without one, pass --accept-new-host-key. The first worker becomes the default.

                With --slurm, the host is a Slurm cluster's login node: jobs are handed to Slurm \
                with sbatch and run on its compute nodes, which must see p's root (--root, \
                default ~/.p) on a shared file system. Registering submits a tiny probe job \
                that writes into the root and waits for it (--probe-wait); a cluster too busy \
                to run it by then is registered with a note.

                With --local, the worker is this machine, reached without SSH: its jobs run \
                through the same worker scripts, with the same records, logs, queue and \
                slots, under the root (default ~/.p). The argument is then the worker's name \
                (default: local).

                Examples:
                  p worker register alice@beefy
                  p worker register hpc-login -n hpc --slurm --sbatch-options "--account proj1"
                  p worker register --local laptop
                """
        )

        @Argument(help: "user@host, user@host:port, host, or an ~/.ssh/config alias (with --local: the name).")
        var connection: String?

        @Option(name: [.short, .customLong("name")], help: "The worker's name (default: the host name).")
        var name: String?

        @Option(help: "Where p keeps its files on the worker (default: ~/.p).")
        var root: String?

        @Flag(help: "Record an unknown host key without asking.")
        var acceptNewHostKey = false

        @Option(name: .customLong("label"), help: "A label for placement with @label (repeatable).")
        var labels: [String] = []

        @Option(help: "How many of p's jobs may run on it at once; more wait in a queue on the worker.")
        var slots: Int?

        @Flag(help: "The host is a Slurm login node: hand jobs to Slurm with sbatch.")
        var slurm = false

        @Flag(help: "This machine is the worker: jobs run here, without SSH.")
        var local = false

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "With --slurm: sbatch options every job gets (a job's own options come after them).",
                valueName: "options"))
        var sbatchOptions: String?

        @Option(help: "With --slurm: how long to wait for the probe job to run (default 60s).")
        var probeWait = DurationArgument(.seconds(60))

        func validate() throws {
            for label in labels where !Worker.isValidLabel(label) {
                throw ValidationError("'\(label)' is not a label: use letters, digits, '.', '_' and '-'.")
            }
            if let slots, slots < 1 { throw ValidationError("--slots must be at least 1.") }
            if !slurm && sbatchOptions != nil {
                throw ValidationError("--sbatch-options applies with --slurm only.")
            }
            if local && slurm { throw ValidationError("--local and --slurm do not go together.") }
            if local && name != nil && connection != nil {
                throw ValidationError("With --local, give the name once: as the argument or with --name.")
            }
            if !local && connection == nil { throw ValidationError("Missing the connection (user@host, or an alias).") }
        }

        func run() async throws {
            try await reportingErrors {
                // With --local, the argument (if any) is the name.
                let workerName = try name ?? (local ? connection ?? "local" : Worker.defaultName(for: connection ?? ""))
                return try await EngineFactory.withEngine(hostKeys: acceptNewHostKey ? .acceptNew : .askOnTerminal) {
                    engine in
                    let worker = Worker(
                        name: workerName, connection: local ? Worker.localConnection : connection ?? "", root: root,
                        kind: local ? .local : slurm ? .slurm : .ssh,
                        sbatchOptions: try sbatchOptions.map { try SlurmRequest.splitOptions($0) } ?? [],
                        labels: labels, slots: slots)
                    let probe = try await engine.register(worker, slurmProbeWait: probeWait.duration)
                    let config = try await engine.loadWorkers()
                    let kind = slurm ? "Slurm cluster" : local ? "local worker" : "worker"
                    print(
                        "registered \(kind) '\(workerName)' (\(local ? "this machine" : worker.connection))\(config.defaultWorker == workerName ? ", the default" : "")"
                    )
                    print(
                        "  system: \(probe.system) \(probe.architecture), shell \(probe.shell)\(probe.userland.map { ", \($0) tools" } ?? "")"
                    )
                    print("  sync:   tar \(probe.tar ?? "not installed"), rsync \(probe.rsync ?? "not installed")")
                    if let check = probe.slurm {
                        let seconds = String(format: "%.1f", check.elapsed.inSeconds)
                        switch check.outcome {
                        case .ran(let node):
                            print(
                                "  slurm:  probe job \(check.jobID) ran on \(node) and wrote into the root (\(seconds) s)"
                            )
                        case .stillQueued(let reason):
                            print(
                                "  note:   the probe job \(check.jobID) was still queued\(reason.map { " (\($0))" } ?? "") after \(seconds) s and was cancelled: the cluster is busy, so whether its compute nodes see the root is not known yet; a first job will tell"
                            )
                        }
                    } else if probe.sbatch != nil, !local {
                        print(
                            "  note:   sbatch is here (\(probe.sbatch ?? "")): to hand jobs to Slurm, register it with --slurm"
                        )
                    }
                    for note in probe.missing { print("  note:   \(note)") }
                    return 0
                }
            }
        }
    }
}
