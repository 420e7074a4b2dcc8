/// The client configuration, `config.yaml`: the registered workers and the default one.
public struct WorkerConfig: Codable, Sendable, Equatable {
    /// The worker used when a command names none.
    public var defaultWorker: String?
    /// The registered workers, in registration order.
    public var workers: [Worker]
    /// `keeper_idle`: how long p's keeper stays after its last command (`10m`, `600`; `0`
    /// turns it off), as written; nil for the default. `P_KEEPER_IDLE` wins over it.
    public var keeperIdle: String?

    enum CodingKeys: String, CodingKey {
        case defaultWorker = "default_worker"
        case workers
        case keeperIdle = "keeper_idle"
    }

    /// A configuration.
    public init(defaultWorker: String? = nil, workers: [Worker] = []) {
        self.defaultWorker = defaultWorker
        self.workers = workers
    }

    /// Reads `config.yaml`; a missing `workers` list is an empty one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        defaultWorker = try container.decodeIfPresent(String.self, forKey: .defaultWorker)
        workers = try container.decodeIfPresent([Worker].self, forKey: .workers) ?? []
        // `keeper_idle: 600` is a number to YAML; either form is kept as text.
        if let text = try? container.decodeIfPresent(String.self, forKey: .keeperIdle) {
            keeperIdle = text
        } else {
            keeperIdle = try container.decodeIfPresent(Int.self, forKey: .keeperIdle).map(String.init)
        }
    }

    /// `config.yaml` as `paths` locate it (an empty configuration when there is none).
    /// Blocking: async callers run it off the cooperative pool.
    /// - Throws: `RemoteJobsError` when it cannot be read or parsed.
    public static func read(from paths: PPaths) throws(RemoteJobsError) -> WorkerConfig {
        try WorkerStore(paths: paths).load()
    }

    /// The worker named `name`, or the default one when `name` is nil.
    /// - Throws: `RemoteJobsError.noWorkers` or `.unknownWorker`.
    public func worker(named name: String?) throws(RemoteJobsError) -> Worker {
        guard !workers.isEmpty else { throw .noWorkers }
        let wanted = name ?? defaultWorker ?? workers[0].name
        guard let worker = workers.first(where: { $0.name == wanted }) else {
            throw .unknownWorker(name: wanted, known: workers.map(\.name))
        }
        return worker
    }

    /// Adds a worker; the first one becomes the default.
    /// - Throws: `.workerExists`, `.invalidWorkerName`; `.invalidArgument` for a root that
    ///   cannot reach the worker's scripts intact (`Worker.rootProblem`).
    public mutating func register(_ worker: Worker) throws(RemoteJobsError) {
        guard Worker.isValidName(worker.name) else { throw .invalidWorkerName(worker.name) }
        if let problem = Worker.rootProblem(worker.root) {
            throw .invalidArgument("Cannot register '\(worker.name)': \(problem).")
        }
        guard !workers.contains(where: { $0.name == worker.name }) else { throw .workerExists(name: worker.name) }
        workers.append(worker)
        if defaultWorker == nil || !workers.contains(where: { $0.name == defaultWorker }) {
            defaultWorker = worker.name
        }
    }

    /// Removes a worker; if it was the default, the first remaining one becomes it.
    public mutating func remove(_ name: String) throws(RemoteJobsError) {
        guard workers.contains(where: { $0.name == name }) else {
            throw .unknownWorker(name: name, known: workers.map(\.name))
        }
        workers.removeAll { $0.name == name }
        if defaultWorker == name { defaultWorker = workers.first?.name }
    }

    /// Changes a worker's labels, slots, log cap and spare copies: `addLabels` added (once),
    /// `removeLabels` removed, `slots` and `maxLog` set when given (`.some(nil)` removes the
    /// limit), and `spareCopies` (`Worker.spareCopies`) when given.
    /// - Throws: `.unknownWorker`, `.invalidArgument` for a label that is not a word.
    public mutating func change(
        _ name: String, addLabels: [String] = [], removeLabels: [String] = [], slots: Int?? = nil,
        maxLog: UInt64?? = nil, spareCopies: Bool? = nil
    ) throws(RemoteJobsError) {
        guard let index = workers.firstIndex(where: { $0.name == name }) else {
            throw .unknownWorker(name: name, known: workers.map(\.name))
        }
        for label in addLabels + removeLabels where !Worker.isValidLabel(label) {
            throw .invalidArgument("'\(label)' is not a label: use letters, digits, '.', '_' and '-'.")
        }
        if let slots, let count = slots, count < 1 {
            throw .invalidArgument("A worker needs at least 1 slot (\(count) given); leave slots unset for no limit.")
        }
        for label in addLabels where !workers[index].labels.contains(label) { workers[index].labels.append(label) }
        workers[index].labels.removeAll { removeLabels.contains($0) }
        if let maxLog, let bytes = maxLog { try JobRequest.checkMaxLog(bytes) }
        if let slots { workers[index].slots = slots }
        if let maxLog { workers[index].maxLog = maxLog }
        if let spareCopies { workers[index].spareCopies = spareCopies }
    }

    /// The workers that carry `label`.
    public func workers(labelled label: String) -> [Worker] {
        workers.filter { $0.labels.contains(label) }
    }

    /// Makes `name` the default worker.
    public mutating func setDefault(_ name: String) throws(RemoteJobsError) {
        guard workers.contains(where: { $0.name == name }) else {
            throw .unknownWorker(name: name, known: workers.map(\.name))
        }
        defaultWorker = name
    }
}
