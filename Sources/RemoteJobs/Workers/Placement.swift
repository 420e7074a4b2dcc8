import Foundation

/// How busy a worker is, as placement measures it.
public struct WorkerLoad: Sendable, Equatable {
    /// Online CPUs.
    public var cpus: Int
    /// The 1-minute load average, where the worker tells it.
    public var loadAverage: Double?
    /// Available memory in bytes, where the worker tells it.
    public var availableMemory: UInt64?
    /// p's jobs running under the worker's root.
    public var runningJobs: Int
    /// p's jobs waiting in the worker's queue.
    public var queuedJobs: Int
    /// GPUs `nvidia-smi` lists (0 without it).
    public var gpus: Int = 0
    /// GPUs that run no process and no job of p has claimed.
    public var freeGPUs: Int = 0
    /// Total memory in bytes, where the worker tells it (measured with `detailed` only).
    public var totalMemory: UInt64?
    /// Each GPU's use (measured with `detailed` only; empty without `nvidia-smi`).
    public var gpuUse: [GPUUse] = []

    /// The load average per CPU (0 when unknown).
    public var loadPerCPU: Double { (loadAverage ?? 0) / Double(cpus) }
}

/// One GPU's use, as `nvidia-smi` reports it.
public struct GPUUse: Sendable, Equatable, Codable {
    /// Its index (what `CUDA_VISIBLE_DEVICES` names).
    public var index: Int
    /// Its compute use in percent.
    public var utilization: Int
    /// Its memory in use, in MiB.
    public var memoryUsedMiB: Int
    /// Its memory, in MiB.
    public var memoryTotalMiB: Int

    /// A GPU's reading.
    public init(index: Int, utilization: Int, memoryUsedMiB: Int, memoryTotalMiB: Int) {
        self.index = index
        self.utilization = utilization
        self.memoryUsedMiB = memoryUsedMiB
        self.memoryTotalMiB = memoryTotalMiB
    }

    enum CodingKeys: String, CodingKey {
        case index, utilization
        case memoryUsedMiB = "memory_used_mib"
        case memoryTotalMiB = "memory_total_mib"
    }
}

/// Where `p @label -- ...` put a job, and why.
public struct Placement: Sendable {
    /// The worker chosen.
    public var worker: Worker
    /// Every worker that answered, with its load, in the order of preference.
    public var ranked: [(worker: Worker, load: WorkerLoad)]
    /// Workers with the label that could not be asked, with the failure.
    public var skipped: [(worker: String, failure: RemoteJobsError)]
    /// How many workers have the label (more than were probed when the first wave found
    /// a worker that can start the job at once).
    public var candidates: Int
    /// How many workers were probed.
    public var probed: Int
    /// The workers that hold the last sync of the directory being placed (`-C`), so fewer
    /// bytes travel to them: preferred when the load and p's jobs are otherwise equal.
    public var holdingLastSync: Set<String>

    /// Makes a placement; `probed` and `candidates` default to the workers ranked and skipped.
    public init(
        worker: Worker, ranked: [(worker: Worker, load: WorkerLoad)],
        skipped: [(worker: String, failure: RemoteJobsError)], probed: Int? = nil, candidates: Int? = nil,
        holdingLastSync: Set<String> = []
    ) {
        self.worker = worker
        self.holdingLastSync = holdingLastSync
        self.ranked = ranked
        self.skipped = skipped
        self.probed = probed ?? ranked.count + skipped.count
        self.candidates = candidates ?? self.probed
    }

    /// One sentence: why this worker.
    public var reason: String {
        guard let first = ranked.first else { return "" }
        let load = first.load
        var parts = [
            String(format: "load %.2f per CPU (%d CPUs)", load.loadPerCPU, load.cpus),
            first.worker.slots.map { "\(load.runningJobs) of \($0) slots used" }
                ?? "\(load.runningJobs) p jobs running",
        ]
        if let memory = load.availableMemory { parts.append(String(format: "%.1f GB free", Double(memory) / 1e9)) }
        if load.queuedJobs > 0 { parts.append("\(load.queuedJobs) queued") }
        if load.gpus > 0 { parts.append("\(load.freeGPUs) of \(load.gpus) GPUs free") }
        if holdingLastSync.contains(first.worker.name) { parts.append("holds this directory's last sync") }
        let others = ranked.dropFirst().prefix(5).map { String(format: "%@ %.2f", $0.worker.name, $0.load.loadPerCPU) }
        let more = ranked.count > 6 ? ", and \(ranked.count - 6) more" : ""
        let sample = probed < candidates ? "; probed \(probed) of \(candidates), chosen at random" : ""
        return "chose \(first.worker.name): " + parts.joined(separator: ", ")
            + (others.isEmpty ? "" : " (next, load per CPU: " + others.joined(separator: ", ") + more + ")") + sample
    }

    /// The order of preference: workers with a free slot first (a worker without one goes
    /// by the length of its queue); then the lowest load per CPU (in steps of 0.05: closer
    /// is noise); then the fewest of p's jobs running per CPU (workers on one machine share
    /// its load average, and a job just started has not raised it yet); then a worker in
    /// `holdingLastSync` (the directory's files are there already); then the most free
    /// memory. Ties keep the configuration's order.
    static func rank(_ answers: [(worker: Worker, load: WorkerLoad)], holdingLastSync: Set<String> = [])
        -> [(worker: Worker, load: WorkerLoad)]
    {
        func key(_ entry: (worker: Worker, load: WorkerLoad)) -> (Int, Int, Double, Int, UInt64) {
            let load = entry.load
            let backlog = entry.worker.slots.map { max(0, load.runningJobs + load.queuedJobs - $0 + 1) } ?? 0
            return (
                backlog, Int((load.loadPerCPU * 20).rounded()), Double(load.runningJobs) / Double(load.cpus),
                holdingLastSync.contains(entry.worker.name) ? 0 : 1, UInt64.max - (load.availableMemory ?? 0)
            )
        }
        return answers.enumerated().sorted { a, b in
            let (x, y) = (key(a.element), key(b.element))
            if x != y { return x < y }
            return a.offset < b.offset
        }.map(\.element)
    }
}
