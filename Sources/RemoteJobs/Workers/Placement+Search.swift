import Foundation

extension Placement {
    /// Up to this many workers are all probed at once: the pool's limit on connections
    /// opening at the same time, so one round of logins.
    public static let probeAllUpTo = 16
    /// Among more workers, how many one wave probes, chosen at random: the least loaded of
    /// eight random workers is, by the "power of d choices", close to the least loaded of
    /// all, at half a round of logins.
    public static let wave = 8

    /// What a placement's probes found.
    struct Search {
        /// The workers that answered, with their load, in the order they were probed.
        var answered: [(worker: Worker, load: WorkerLoad)] = []
        /// The workers that could not be asked, with the failure.
        var skipped: [(worker: String, failure: RemoteJobsError)] = []
    }

    /// Probes `candidates`, all at once when there are `probeAllUpTo` or fewer, else in
    /// waves of `wave` in an order `shuffle` decides (random by default), until a wave has
    /// answered with a worker that can take the job now: a free
    /// slot (or no slot limit) and `gpus` free GPUs. Random order spreads clients placing at
    /// once over different samples, and no worker is favoured for its place in the file;
    /// except that the `preferred` workers (those holding the directory's last sync) are in
    /// the first wave.
    /// - Parameters:
    ///   - probeAll: probe every candidate, in waves, whatever the first waves found (a
    ///     job array spreads over all of them).
    ///   - probe: asks one worker for its load; a failure skips that worker.
    static func search(
        _ candidates: [Worker], gpus: Int, wave: Int = Placement.wave, preferred: Set<String> = [],
        probeAll: Bool = false,
        shuffle: ([Worker]) -> [Worker] = { $0.shuffled() },
        probe: @escaping @Sendable (Worker) async throws -> WorkerLoad
    ) async -> Search {
        var search = Search()
        let all = candidates.count <= Self.probeAllUpTo
        let order =
            all
            ? candidates
            : shuffle(candidates.filter { preferred.contains($0.name) })
                + shuffle(candidates.filter { !preferred.contains($0.name) })
        let wave = all ? max(1, candidates.count) : wave
        var next = order.startIndex
        while next < order.endIndex {
            let batch = Array(order[next..<min(next + wave, order.endIndex)])
            next += batch.count
            // Answers by worker name (names are unique), taken in the order probed.
            let answers = await withTaskGroup(of: (String, Result<WorkerLoad, RemoteJobsError>).self) { group in
                for worker in batch {
                    group.addTask {
                        do {
                            // Awaited before the tuple is formed: Swift 6.3.1's optimizer
                            // miscompiles `(worker.name, try await probe(worker))` in a child
                            // task, a tuple written partly before a suspension (the group
                            // then yields nothing, or the process crashes; fixed upstream by
                            // swiftlang/swift#91911).
                            let load = try await probe(worker)
                            return (worker.name, .success(load))
                        } catch {
                            return (worker.name, .failure(RemoteJobsError(error, worker: worker.name)))
                        }
                    }
                }
                var all: [String: Result<WorkerLoad, RemoteJobsError>] = [:]
                for await (name, answer) in group { all[name] = answer }
                return all
            }
            for worker in batch {
                switch answers[worker.name] {
                case .success(let load): search.answered.append((worker, load))
                case .failure(let failure): search.skipped.append((worker.name, failure))
                case nil: break
                }
            }
            if !probeAll, search.answered.contains(where: { canStartNow($0.worker, $0.load, gpus: gpus) }) { break }
        }
        return search
    }

    /// Whether `worker` would start a job now rather than queue it.
    static func canStartNow(_ worker: Worker, _ load: WorkerLoad, gpus: Int) -> Bool {
        let slotFree = worker.slots.map { load.runningJobs + load.queuedJobs < $0 } ?? true
        return slotFree && load.freeGPUs >= gpus
    }
}
