import Foundation
import SSHTransport

/// The answer to `JobEngine.list`.
public struct JobListing: Sendable {
    /// The records, oldest first, reconciled where their worker answered.
    public var records: [JobRecord]
    /// Workers that could not be asked about their running jobs, with the reason; those
    /// jobs' records are as they were.
    public var unreachable: [String: String]
    /// Record files that could not be read (reported once, skipped).
    public var problems: [JobStore.Problem]
}

extension JobEngine {
    /// The jobs: the running ones, or all with `all`. Touches no network unless a job is
    /// recorded as running; then asks each of those workers once, in parallel, all its
    /// running jobs in one exec, and saves what changed.
    public func list(all: Bool = false) async -> JobListing {
        let (loaded, problems) = records.loadAll()
        let running = loaded.filter(\.status.isRunning)
        var byID: [String: JobRecord] = [:]
        var unreachable: [String: String] = [:]
        if !running.isEmpty {
            let (reconciled, failures) = await reconcileRunning(running)
            for record in reconciled { byID[record.id] = record }
            unreachable = failures
        }
        let merged = loaded.map { byID[$0.id] ?? $0 }
        return JobListing(
            records: all ? merged : merged.filter(\.status.isRunning), unreachable: unreachable, problems: problems)
    }

    /// Asks each worker about its running jobs (in parallel) and applies the rules of
    /// `Reconciler`; records that changed are saved.
    func reconcileRunning(_ running: [JobRecord]) async -> ([JobRecord], [String: String]) {
        let groups = Dictionary(grouping: running, by: { $0.worker + "\u{0}" + $0.root })
        return await withTaskGroup(of: ([JobRecord], String?, String).self) { group in
            for jobs in groups.values {
                let name = jobs[0].worker
                group.addTask {
                    let worker = self.worker(of: jobs[0])
                    do {
                        let (text, _) = try await self.collectScript(
                            RemoteScripts.reconcile, arguments: [jobs[0].root] + jobs.map(\.id), on: worker)
                        guard let facts = ControlLines.parseReconcile(text) else {
                            return (jobs, "the worker's answer could not be read", name)
                        }
                        var updated: [JobRecord] = []
                        for job in jobs {
                            let record = Reconciler.reconcile(job, with: facts)
                            if record != job { try? self.records.save(record) }
                            updated.append(record)
                        }
                        return (updated, nil, name)
                    } catch {
                        return (jobs, "\(error)", name)
                    }
                }
            }
            var all: [JobRecord] = []
            var failures: [String: String] = [:]
            for await (jobs, failure, name) in group {
                all += jobs
                if let failure { failures[name] = failure }
            }
            let order = Dictionary(uniqueKeysWithValues: running.enumerated().map { ($1.id, $0) })
            return (all.sorted { order[$0.id]! < order[$1.id]! }, failures)
        }
    }
}
