import Foundation
import SSHTransport

/// A job array once submitted (`JobEngine.submitArray`).
public struct ArraySubmission: Sendable {
    /// The array's id: what `p wait`, `p stop`, `p rm` take for all its elements.
    public var id: String
    /// The records of the elements that are on their workers (queued there), by index.
    public var records: [JobRecord]
    /// The elements that could not be started, with the worker and why.
    public var failures: [(index: Int, worker: String, reason: String)]
    /// How the elements were spread over the workers.
    public var spread: ArraySpread
}

extension JobEngine {
    /// The most elements one exec starts: the ids of more would make its command line longer
    /// than a shell takes as one argument.
    static let elementsPerExec = 500

    /// Starts a job array: one job per element of `array`, the command's `{}` replaced by
    /// the element's value and `P_ARRAY_ID`, `P_ARRAY_INDEX`, `P_ARRAY_VALUE` set; spread
    /// over the workers of `request.worker` when it is `@label` (each probed, see
    /// `ArraySpread`), else all on that worker. The directory, if any, is synced once per
    /// worker; each element works in a copy of it. Every element goes through its worker's
    /// queue, which starts it as its slots and its share of the array's cap allow: the array
    /// needs no client once this returns.
    /// - Throws: `RemoteJobsError.invalidArgument` for what arrays do not take (a client
    ///   key, `after`, a persistent work directory, GPUs, a Slurm worker); connection and
    ///   sync errors. Elements refused by their worker are in the result's `failures`.
    public func submitArray(_ request: JobRequest, array: JobArray, sync observer: SyncObserver = SyncObserver())
        async throws -> ArraySubmission
    {
        try request.checkFields()
        try Self.checkArrayRequest(request)
        let arrayID = request.id?.lowercased() ?? UUID().uuidString.lowercased()
        let workers = try await arrayWorkers(request, observer: observer)
        var spread = ArraySpread.spread(count: array.elements.count, over: workers, cap: array.cap)
        if workers.count == 1, let only = workers.first?.worker, !only.kind.queuesItself, !spread.shares.isEmpty {
            // One Slurm cluster: Slurm keeps the whole cap (`sbatch --array=...%N`).
            spread.shares[0].cap = array.cap
        }
        var planned: SyncPlanner.Plan?
        if let directory = request.syncDirectory {
            planned = try await BlockingWork.run { try SyncPlanner.plan(root: directory) }
            if let planned { observer.planned(planned) }
        }
        let plan = planned
        let byName = Dictionary(workers.map { ($0.worker.name, $0.worker) }, uniquingKeysWith: { first, _ in first })
        let outcomes = try await withThrowingTaskGroup(of: ([JobRecord], [(Int, String, String)]).self) { group in
            for share in spread.shares {
                guard let worker = byName[share.worker] else { continue }
                let elements = share.elements.map { array.elements[$0] }
                group.addTask {
                    try await self.startShare(
                        elements, of: array, id: arrayID, cap: share.cap, on: worker, request: request, plan: plan,
                        observer: observer)
                }
            }
            var started: [JobRecord] = []
            var failures: [(Int, String, String)] = []
            for try await (records, failed) in group {
                started += records
                failures += failed
            }
            return (started, failures)
        }
        return ArraySubmission(
            id: arrayID, records: outcomes.0.sorted { ($0.array?.index ?? 0) < ($1.array?.index ?? 0) },
            failures: outcomes.1.map { (index: $0.0, worker: $0.1, reason: $0.2) }.sorted { $0.index < $1.index },
            spread: spread)
    }

    /// Refuses what an array does not take.
    private static func checkArrayRequest(_ request: JobRequest) throws(RemoteJobsError) {
        if request.clientKey != nil {
            throw .invalidArgument("An array takes no client key (--key) yet: each element is a job of its own.")
        }
        if !request.after.isEmpty {
            throw .invalidArgument("An array cannot run after other jobs (--after) yet.")
        }
        if request.reuseWorkdir {
            throw .invalidArgument(
                "An array's elements each work in a copy of the directory: --reuse-workdir would have them share one.")
        }
        if request.slurm.gpus != nil {
            throw .invalidArgument("An array cannot claim GPUs (--gpus) yet.")
        }
    }

    /// The workers an array is spread over, with their loads: every worker of the label
    /// that answered (probed at once), or the one worker named.
    private func arrayWorkers(_ request: JobRequest, observer: SyncObserver) async throws -> [(
        worker: Worker, load: WorkerLoad
    )] {
        guard let name = request.worker, name.hasPrefix("@") else {
            let worker = try await loadWorkers().worker(named: request.worker)
            let load = try await link(worker).ask(LoadScript(root: worker.remoteRoot))
            return [(worker, load)]
        }
        let placement = try await place(
            label: String(name.dropFirst()), gpus: 0, directory: request.syncDirectory, probeAll: true)
        observer.placed(placement)
        return placement.ranked
    }

    /// Starts one worker's share of an array: records first (so no element ever runs
    /// unrecorded), the directory synced into the first element's work directory, then the
    /// elements launched through the worker's queue, `elementsPerExec` to an exec.
    /// - Returns: the records of the elements now on the worker, and those that failed.
    private func startShare(
        _ elements: [JobArray.Element], of array: JobArray, id arrayID: String, cap: Int?, on worker: Worker,
        request: JobRequest, plan: SyncPlanner.Plan?, observer: SyncObserver
    ) async throws -> ([JobRecord], [(Int, String, String)]) {
        try worker.kind.check(request, dependencies: [], on: worker)
        let maxLog = request.maxLog ?? worker.maxLog
        var records: [JobRecord] = []
        var launches: [LaunchArrayScript.Element] = []
        var environments: [(id: String, variables: [(key: String, value: String)])] = []
        for element in elements {
            let command = JobArray.command(request.command, for: element)
            try JobRequest.checkCommand(command)
            var record = JobRecord(
                id: UUID().uuidString.lowercased(), worker: worker.name, connection: worker.connection,
                root: worker.remoteRoot, command: command, cwd: request.cwd, timeoutSeconds: request.timeoutSeconds,
                submitter: request.submitter)
            record.status = .syncing(by: .current)
            record.array = ArrayMembership(
                id: arrayID, index: element.index, command: request.command, value: element.value)
            try Self.keep(request, in: &record, maxLog: maxLog, synced: plan != nil)
            var elementRequest = request
            elementRequest.environment += JobArray.environment(for: element, arrayID: arrayID)
            var script = LaunchScript(
                root: worker.remoteRoot, jobID: record.id, cwd: request.cwd, workerName: worker.name,
                environmentFile: elementRequest.environmentFile, timeoutSeconds: record.timeoutSeconds,
                graceSeconds: request.grace.wholeSecondsRoundedUp, follow: false, workdirName: record.id,
                prepared: plan != nil, command: command, slots: worker.kind.queuesItself ? worker.slots : nil,
                once: false,
                separateStderr: request.separateStderr, onEnd: request.onEnd, maxLog: maxLog)
            script.group = (arrayID, cap)
            script.retry = request.retry?.workerLine
            records.append(record)
            launches.append(LaunchArrayScript.Element(id: record.id, launch: script))
            if let retry = request.retry, retry.onLost {
                environments.append((record.id, elementRequest.environment))
            }
        }
        // Every element's runner is the same, the one the longest command needs.
        if let longest = launches.map(\.launch.command).max(by: { $0.utf8.count < $1.utf8.count }) {
            let runner = LaunchScript.runner(for: longest)
            for index in launches.indices { launches[index].launch.runnerOverride = runner }
        }
        let store = self.records
        let made = records
        let kept = environments
        try await BlockingWork.run {
            for record in made { try store.save(record) }
            // A relaunch on another worker needs the variables again: kept here, 0600.
            for (id, variables) in kept { try store.saveEnvironment(variables, of: id) }
        }
        let link = try link(worker)
        let first = records[0]
        do {
            if let plan, let directory = request.syncDirectory {
                let sync = WorkdirSync(
                    link: link, record: first, paths: paths,
                    rsync: rsyncRemoteShell.map {
                        WorkdirSync.Rsync(remoteShell: $0, sshConfigFile: sshConfigFile)
                    },
                    observer: observer, preparerIsGone: { _ in false })
                _ = try await sync.copy(
                    plan, from: directory, via: request.syncTransport, hardLinks: request.hardLinks, stale: [])
            }
        } catch {
            // Nothing of this share runs: its records and files go.
            await BlockingWork.run { for record in made { try? store.remove(record.id) } }
            _ = try? await link.run(RemoveScript(root: worker.remoteRoot, records: records))
            throw error
        }
        var started: [JobRecord] = []
        var failed: [(Int, String, String)] = []
        var refused: [JobRecord] = []
        var firstError: (any Error)?
        for start in stride(from: 0, to: launches.count, by: Self.elementsPerExec) {
            let batch = Array(launches[start..<min(start + Self.elementsPerExec, launches.count)])
            let batchRecords = Array(records[start..<start + batch.count])
            var script = LaunchArrayScript(
                root: worker.remoteRoot, elements: batch, base: plan == nil ? nil : first.id,
                hardLinks: request.hardLinks)
            if !worker.kind.queuesItself {
                // One `sbatch --array` per batch: the first keeps the array's id, the others
                // get theirs from it (each batch is a Slurm array of its own).
                let name = start == 0 ? arrayID : arrayID + "-\(start / Self.elementsPerExec)"
                script.slurm = (name, cap, worker.sbatchOptions + request.slurm.sbatchArguments)
            }
            let outcome: [String: LaunchArrayScript.Outcome]
            do {
                outcome = try await link.ask(script)
            } catch {
                if case RemoteJobsError.connection(_, _, let cause) = error, !cause.happenedBeforeAnyRequest {
                    // Cut off: the worker may have queued some. They are recorded as queued,
                    // and the next look at them (`p ls`, `p wait`) asks the worker, which knows.
                    for var record in batchRecords {
                        record.status = .queued(reason: nil)
                        try? await saveRecord(record)
                        started.append(record)
                    }
                    continue
                }
                // The worker answered, or was never reached: none of this batch is queued.
                firstError = firstError ?? error
                for record in batchRecords {
                    refused.append(record)
                    failed.append((record.array?.index ?? 0, worker.name, "\(error)"))
                }
                continue
            }
            for var record in batchRecords {
                switch outcome[record.id] {
                case .started(let slurmJobID):
                    record.status = .queued(reason: nil)
                    record.slurmJobID = slurmJobID
                    try await saveRecord(record)
                    started.append(record)
                case .refused(let reason):
                    refused.append(record)
                    failed.append((record.array?.index ?? 0, worker.name, reason))
                case .none:
                    refused.append(record)
                    failed.append((record.array?.index ?? 0, worker.name, "the worker did not say it started"))
                }
            }
        }
        if !refused.isEmpty {
            let gone = refused
            await BlockingWork.run { for record in gone { try? store.remove(record.id) } }
            _ = try? await link.run(RemoveScript(root: worker.remoteRoot, records: refused))
        }
        // Nothing of this worker's share started: its error, not a list of failures.
        if started.isEmpty, let firstError { throw firstError }
        return (started, failed)
    }
}
