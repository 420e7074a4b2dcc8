/// How busy a worker is, for placement: its CPUs, load average, free memory, and p's jobs
/// running and queued under its root.
struct LoadScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String

    var arguments: KeyValuePairs<String, String> { ["root": root] }

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
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            if fields.count == 2 { values[fields[0]] = fields[1] }
        }
        guard let cpus = values["cpus"].flatMap({ Int($0) }), cpus > 0, cpus < 1_000_000 else { return nil }
        let load = values["load"].flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        let memory = values["mem"].flatMap { UInt64($0) }.map { $0 * 1024 }
        let gpus = (values["gpus"] ?? "").split(separator: " ").compactMap { Int($0) }
        return WorkerLoad(
            cpus: cpus, loadAverage: load, availableMemory: memory,
            runningJobs: values["running"].flatMap { Int($0) } ?? 0,
            queuedJobs: values["queued"].flatMap { Int($0) } ?? 0, gpus: gpus.first ?? 0,
            freeGPUs: gpus.count > 1 ? gpus[1] : 0)
    }

    /// `Worker/load.sh`.
    static let repeatable = true
    static let file = "load.sh"
    static let source = WorkerShell.program(file)
}
