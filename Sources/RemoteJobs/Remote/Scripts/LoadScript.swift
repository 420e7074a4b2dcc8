/// How busy a worker is, for placement: its CPUs, load average, free memory, and p's jobs
/// running and queued under its root.
struct LoadScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// Whether to measure total memory and each GPU's use too (the dashboard's plots; one
    /// more `nvidia-smi` call, which placement does without).
    var detailed = false

    var arguments: KeyValuePairs<String, String> { ["root": root, "detail": detailed ? "1" : ""] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> WorkerLoad {
        guard let load = Self.parse(String(decoding: stdout, as: UTF8.self)) else {
            throw .remoteFailure(worker: worker, action: "measure its load", detail: result.failureDetail)
        }
        return load
    }

    /// `key value` lines; nil without the `cpus` line (the script did not run). Values that
    /// are not numbers are left out (`-`: the worker cannot say).
    static func parse(_ text: String) -> WorkerLoad? {
        var values: [String: String] = [:]
        var gpuUse: [GPUUse] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { continue }
            if fields[0] == "gpu" {
                // "gpu INDEX USE% USED_MIB TOTAL_MIB"; a GPU that cannot say ([N/A]) is left out.
                let numbers = fields[1].split(separator: " ").compactMap { Int($0) }
                if numbers.count == 4, numbers.allSatisfy({ $0 >= 0 }) {
                    gpuUse.append(
                        GPUUse(
                            index: numbers[0], utilization: numbers[1], memoryUsedMiB: numbers[2],
                            memoryTotalMiB: numbers[3]))
                }
            } else {
                values[fields[0]] = fields[1]
            }
        }
        guard let cpus = values["cpus"].flatMap({ Int($0) }), cpus > 0, cpus < 1_000_000 else { return nil }
        let load = values["load"].flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        let memory = values["mem"].flatMap { UInt64($0) }.map { $0 * 1024 }
        let gpus = (values["gpus"] ?? "").split(separator: " ").compactMap { Int($0) }
        return WorkerLoad(
            cpus: cpus, loadAverage: load, availableMemory: memory,
            runningJobs: values["running"].flatMap { Int($0) } ?? 0,
            queuedJobs: values["queued"].flatMap { Int($0) } ?? 0, gpus: gpus.first ?? 0,
            freeGPUs: gpus.count > 1 ? gpus[1] : 0,
            totalMemory: values["memtotal"].flatMap { UInt64($0) }.map { $0 * 1024 }, gpuUse: gpuUse)
    }

    /// `Worker/load.sh`.
    static let repeatable = true
    static let file = "load.sh"
    static let source = WorkerShell.program(file)
}
