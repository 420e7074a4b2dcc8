import Foundation
import SSHTransport

/// The answer to `JobEngine.list`.
public struct JobListing: Sendable {
    /// The records, oldest first, reconciled where their worker answered.
    public var records: [JobRecord]
    /// Workers that could not be asked about their running jobs, by name, with the
    /// failure; those jobs' records are as they were.
    public var unreachable: [String: RemoteJobsError]
    /// Record files that could not be read (reported once, skipped).
    public var problems: [UnreadableJobRecord]
}

extension JobEngine {
    /// The jobs: the active ones (being prepared or running), or all with `all`. Touches no
    /// network unless a job is recorded as running or unknown (an unknown job may have
    /// come back: its files were only out of reach for a while); then asks each of those
    /// workers once, in parallel, all such jobs in one exec, and saves what changed. A job
    /// being prepared is checked on this machine: its preparing p process still runs, or
    /// it never started.
    public func list(all: Bool = false) async -> JobListing {
        let records = self.records
        let (loaded, problems) = await BlockingWork.run { records.loadAll() }
        let local = loaded.map { (try? settlePreparation($0)) ?? $0 }
        let toCheck = local.filter(\.status.isOnWorker)
        var byID: [String: JobRecord] = [:]
        var unreachable: [String: RemoteJobsError] = [:]
        if !toCheck.isEmpty {
            let (reconciled, failures) = await reconcileRunning(toCheck)
            for record in reconciled { byID[record.id] = record }
            unreachable = failures
        }
        let merged = local.map { byID[$0.id] ?? $0 }
        return JobListing(
            records: all ? merged : merged.filter(\.status.isActive), unreachable: unreachable, problems: problems)
    }

    /// The records as saved on this machine, in no order, without asking any worker: for a
    /// watch that looks for jobs started since it last looked (`p watch --all`).
    public func localRecords() async -> [JobRecord] {
        let records = self.records
        return await BlockingWork.run { records.loadAll() }.0
    }

    /// Asks each worker about its running (and unknown) jobs, in parallel, and applies the
    /// rules of `Reconciler`; records that changed are saved.
    func reconcileRunning(_ running: [JobRecord]) async -> ([JobRecord], [String: RemoteJobsError]) {
        let groups = Dictionary(grouping: running, by: { $0.worker + "\u{0}" + $0.root })
        // Both configurations read once for all the workers, not once per worker.
        let registered = try? await loadWorkers()
        let sshConfig = readSSHConfig()
        return await withTaskGroup(of: ([JobRecord], RemoteJobsError?, String).self) { group in
            for jobs in groups.values {
                let name = jobs[0].worker
                group.addTask {
                    let worker = self.worker(of: jobs[0], in: registered)
                    do {
                        let facts = try await self.link(worker, through: sshConfig).ask(
                            ReconcileScript(root: jobs[0].root, jobs: jobs.map { ($0.id, $0.workerProcess) }))
                        var updated: [JobRecord] = []
                        for job in jobs {
                            let record = Reconciler.reconcile(job, with: facts)
                            if record != job { try? await self.saveRecord(record) }
                            updated.append(record)
                        }
                        return (updated, nil, name)
                    } catch {
                        return (jobs, RemoteJobsError(error, worker: name), name)
                    }
                }
            }
            var all: [JobRecord] = []
            var failures: [String: RemoteJobsError] = [:]
            for await (jobs, failure, name) in group {
                all += jobs
                if let failure { failures[name] = failure }
            }
            let order = Dictionary(uniqueKeysWithValues: running.enumerated().map { ($1.id, $0) })
            return (all.sorted { order[$0.id]! < order[$1.id]! }, failures)
        }
    }
}
