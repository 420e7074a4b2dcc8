import Foundation
import SSHTransport

extension JobEngine {
    /// Connects to a worker that is not registered yet, checks the host key (with this
    /// engine's host-key policy) and the login, and reports what it has.
    public func probe(_ worker: Worker) async throws -> WorkerProbe {
        try await link(worker).ask(ProbeScript())
    }

    /// Registers a worker after probing it; the first one becomes the default. A Slurm
    /// cluster (`kind` `.slurm`) must have `sbatch` on the login node, and a probe job must
    /// show that the compute nodes see p's root: it is submitted and waited for, up to
    /// `slurmProbeWait`. When the cluster is too busy to run it by then, the worker is
    /// registered all the same and the probe says so.
    /// - Returns: what the worker has.
    /// - Throws: `RemoteJobsError.remoteFailure` when the cluster cannot run p's jobs
    ///   (no sbatch, the probe refused, the root not shared).
    public func register(_ worker: Worker, slurmProbeWait: Duration = .seconds(60)) async throws -> WorkerProbe {
        if try await loadWorkers().workers.contains(where: { $0.name == worker.name }) {
            throw RemoteJobsError.workerExists(name: worker.name)
        }
        guard Worker.isValidName(worker.name) else { throw RemoteJobsError.invalidWorkerName(worker.name) }
        if let problem = Worker.rootProblem(worker.root) {
            throw RemoteJobsError.invalidArgument("Cannot register '\(worker.name)': \(problem).")
        }
        var probe = try await probe(worker)
        probe.slurm = try await worker.kind.registrationCheck(worker, link: link(worker), wait: slurmProbeWait)
        try await workers.update { config throws(RemoteJobsError) in try config.register(worker) }
        return probe
    }

    /// Chooses a worker among those labelled `label` (`@label` on the command line) by
    /// probing their load (see `Placement.rank`): up to `Placement.probeAllUpTo` workers
    /// all at once; among more, in waves of `Placement.wave` taken in random order, the
    /// first wave that holds a worker with a free slot (and `gpus` free GPUs) ending the
    /// search, so a placement among fifty workers costs eight logins, not fifty (the "power
    /// of d choices": the least loaded of a random sample is almost as good as the least
    /// loaded of all). Workers that cannot be reached are skipped. Given the `directory` a
    /// job syncs, the workers that hold its last sync are probed first and preferred when
    /// the load and p's jobs are otherwise equal (fewer bytes to send).
    /// With `probeAll`, every worker of the label is probed (a job array spreads over all).
    /// - Throws: `RemoteJobsError.invalidArgument` when no worker has the label or none has
    ///   the GPUs free; `.noWorkerAnswered` when none of them answered (naming why).
    public func place(label: String, gpus: Int = 0, directory: String? = nil, probeAll: Bool = false) async throws
        -> Placement
    {
        let registered = try await loadWorkers()
        let candidates = registered.workers(labelled: label)
        guard !candidates.isEmpty else {
            let known = Set(registered.workers.flatMap(\.labels)).sorted()
            throw RemoteJobsError.invalidArgument(
                "No worker has the label '\(label)'"
                    + (known.isEmpty
                        ? "; add one with `p worker set NAME --label \(label)`."
                        : " (labels: \(known.joined(separator: ", "))).")
            )
        }
        // The workers the last sync of `directory` went to (its manifest is on this machine).
        let holding = Set(
            directory.map { directory in
                candidates.filter {
                    access(
                        SyncManifest.path(in: paths, directory: directory, worker: $0.name, root: $0.remoteRoot), F_OK)
                        == 0
                }.map(\.name)
            } ?? [])
        let sshConfig = readSSHConfig()
        let search = await Placement.search(candidates, gpus: gpus, preferred: holding, probeAll: probeAll) {
            worker in
            try await self.link(worker, through: sshConfig).ask(LoadScript(root: worker.remoteRoot))
        }
        var loads = search.answered
        let skipped = search.skipped
        if gpus > 0 {
            let withGPUs = loads.filter { $0.load.freeGPUs >= gpus }
            guard !withGPUs.isEmpty || loads.isEmpty else {
                throw RemoteJobsError.invalidArgument(
                    "None of the workers labelled '\(label)' has \(gpus) free GPU(s): "
                        + loads.map { "\($0.worker.name) \($0.load.freeGPUs) of \($0.load.gpus)" }.joined(
                            separator: ", "))
            }
            loads = withGPUs
        }
        let ranked = Placement.rank(loads, holdingLastSync: holding)
        guard let chosen = ranked.first else {
            throw RemoteJobsError.noWorkerAnswered(
                label: label,
                failures: Dictionary(skipped.map { ($0.worker, $0.failure) }, uniquingKeysWith: { first, _ in first }))
        }
        return Placement(
            worker: chosen.worker, ranked: ranked, skipped: skipped,
            probed: search.answered.count + skipped.count, candidates: candidates.count, holdingLastSync: holding)
    }

    /// How busy each of `workers` is now, as placement measures it and in more detail (total
    /// memory, each GPU's use): all at once (at most sixteen connections opening at a time,
    /// the pool's limit). An SSH worker is asked through the engine's long-lived poll server
    /// for its connection (one line out, a few back: no channel, no shell start), so
    /// measuring often costs little on either side; should that fail, through a script of
    /// its own.
    /// - Returns: each worker's load, or why it could not be measured, by name.
    public func measure(_ workers: [Worker]) async -> [String: Result<WorkerLoad, RemoteJobsError>] {
        let sshConfig = readSSHConfig()
        return await withTaskGroup(of: (String, Result<WorkerLoad, RemoteJobsError>).self) { group in
            for worker in workers {
                group.addTask {
                    do {
                        let link = try self.link(worker, through: sshConfig)
                        if let ssh = link.ssh,
                            let text = try? await self.pollChannels.measure(
                                root: worker.remoteRoot, target: ssh.target, pool: ssh.pool),
                            let load = LoadScript.parse(text)
                        {
                            return (worker.name, .success(load))
                        }
                        let load = try await link.ask(LoadScript(root: worker.remoteRoot, detailed: true))
                        return (worker.name, .success(load))
                    } catch {
                        return (worker.name, .failure(RemoteJobsError(error, worker: worker.name)))
                    }
                }
            }
            var loads: [String: Result<WorkerLoad, RemoteJobsError>] = [:]
            for await (name, load) in group { loads[name] = load }
            return loads
        }
    }

    /// The most connections this engine has had opening at once (its pool's limit is 16).
    public var peakConnecting: Int {
        get async { await pool.peakConnecting }
    }

    /// Changes a worker's labels, slots, default log cap and spare copies (see
    /// `WorkerConfig.change`).
    public func changeWorker(
        _ name: String, addLabels: [String] = [], removeLabels: [String] = [], slots: Int?? = nil,
        maxLog: UInt64?? = nil, spareCopies: Bool? = nil
    ) async throws(RemoteJobsError) {
        try await workers.update { config throws(RemoteJobsError) in
            try config.change(
                name, addLabels: addLabels, removeLabels: removeLabels, slots: slots, maxLog: maxLog,
                spareCopies: spareCopies)
        }
    }

    /// Unregisters a worker; refused while it has jobs that may still run or are being
    /// prepared (`JobRemoval.holdsWorker`, checked with the worker).
    public func unregister(_ name: String) async throws {
        let config = try await loadWorkers()
        _ = try config.worker(named: name)
        let running = await list(all: true).records.filter { $0.worker == name && $0.status.removal.holdsWorker }
        guard running.isEmpty else { throw RemoteJobsError.workerBusy(name: name, runningJobs: running.map(\.id)) }
        try await workers.update { config throws(RemoteJobsError) in try config.remove(name) }
    }

    /// The registered workers and the default one, as `config.yaml` holds them now.
    public func workerConfiguration() throws(RemoteJobsError) -> WorkerConfig {
        try workers.load()
    }

    /// Makes a registered worker the default one.
    /// - Throws: `RemoteJobsError.unknownWorker`.
    public func setDefaultWorker(_ name: String) async throws(RemoteJobsError) {
        try await workers.update { config throws(RemoteJobsError) in try config.setDefault(name) }
    }

    /// Connects to every registered worker on fresh sessions, at most sixteen opening at
    /// once (the pool's limit), and measures the connection and one command's round trip.
    public func check() async throws -> [WorkerCheck] {
        let config = try await loadWorkers()
        let sshConfig = readSSHConfig()
        return await withTaskGroup(of: (Int, WorkerCheck).self) { group in
            var checks: [(Int, WorkerCheck)] = []
            for (index, worker) in config.workers.enumerated() {
                group.addTask {
                    let clock = ContinuousClock()
                    do {
                        let link = try self.link(worker, through: sshConfig)
                        guard let ssh = link.ssh else {
                            // This machine: no connection to make, one command's round trip.
                            let started = clock.now
                            _ = try await link.withExec("true") { exec in try await exec.exitStatus() }
                            return (
                                index,
                                WorkerCheck(
                                    worker: worker, connectTime: .zero, roundTrip: clock.now - started, failure: nil)
                            )
                        }
                        let (session, connectTime) = try await self.pool.connectUnpooled(to: ssh.target)
                        defer { session.close() }
                        let connected = clock.now
                        _ = try await session.run("true")
                        let roundTrip = clock.now - connected
                        return (
                            index,
                            WorkerCheck(worker: worker, connectTime: connectTime, roundTrip: roundTrip, failure: nil)
                        )
                    } catch {
                        return (
                            index,
                            WorkerCheck(
                                worker: worker, connectTime: nil, roundTrip: nil,
                                failure: RemoteJobsError(error, worker: worker.name))
                        )
                    }
                }
            }
            for await entry in group { checks.append(entry) }
            return checks.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
