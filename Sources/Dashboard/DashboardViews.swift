import Foundation
import RemoteJobs

/// A job as the page lists it: `p ls -a`'s columns and what the filters need, small enough
/// that a thousand fit the page's first load. The job's page reads the whole record
/// (`GET /api/jobs/ID`).
struct JobView: Codable, Equatable, Sendable {
    var id: String
    var worker: String
    var cwd: String
    /// At most `commandLimit` characters.
    var command: String
    /// `JobStatus.name`: syncing, queued, running, paused, done, failed, stopped, unknown.
    var status: String
    /// `JobStatus.display` (`failed [3]`, `queued (waiting for a slot)`).
    var display: String
    var exitCode: Int32?
    var reason: String?
    /// Seconds since 1970.
    var submitted: Double
    var started: Double?
    var ended: Double?
    var arrayID: String?
    var arrayIndex: Int?
    var arrayCommand: String?
    var attempt: Int?
    var supersededBy: String?

    static let commandLimit = 300

    init(_ record: JobRecord) {
        id = record.id
        worker = record.worker
        cwd = record.cwd
        command = String(record.command.prefix(Self.commandLimit))
        status = record.status.name
        display = record.status.display
        exitCode = record.status.exitCode
        reason = record.status.reason
        submitted = record.submittedAt.timeIntervalSince1970
        started = record.startedAt?.timeIntervalSince1970
        ended = record.status.endedAt?.timeIntervalSince1970
        arrayID = record.array?.id
        arrayIndex = record.array?.index
        arrayCommand = record.array.map { String($0.command.prefix(Self.commandLimit)) }
        attempt = record.attempts.isEmpty ? nil : record.attempts.count + 1
        supersededBy = record.supersededBy
    }

    enum CodingKeys: String, CodingKey {
        case id, worker, cwd, command, status, display, reason, submitted, started, ended, attempt
        case exitCode = "exit_code"
        case arrayID = "array_id"
        case arrayIndex = "array_index"
        case arrayCommand = "array_command"
        case supersededBy = "superseded_by"
    }
}

/// A registered worker as the page shows it.
struct WorkerView: Codable, Equatable, Sendable {
    var name: String
    var kind: String
    var connection: String
    var labels: [String]
    var slots: Int?
    var isDefault: Bool

    init(_ worker: Worker, isDefault: Bool) {
        name = worker.name
        kind = worker.kind.rawValue
        connection = worker.connection
        labels = worker.labels
        slots = worker.slots
        self.isDefault = isDefault
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, connection, labels, slots
        case isDefault = "default"
    }
}

/// One measurement of a worker (`JobEngine.measure`), or why it could not be measured.
struct WorkerSample: Codable, Equatable, Sendable {
    /// Seconds since 1970.
    var at: Double
    var error: String?
    var cpus: Int?
    var loadPerCPU: Double?
    var memoryTotal: UInt64?
    var memoryAvailable: UInt64?
    var running: Int?
    var queued: Int?
    var gpus: [GPUUse]?
    var gpuCount: Int?
    var gpusFree: Int?

    init(at date: Date, _ result: Result<WorkerLoad, RemoteJobsError>) {
        at = (date.timeIntervalSince1970 * 1000).rounded() / 1000
        switch result {
        case .success(let load):
            cpus = load.cpus
            loadPerCPU = load.loadAverage.map { _ in (load.loadPerCPU * 1000).rounded() / 1000 }
            memoryTotal = load.totalMemory
            memoryAvailable = load.availableMemory
            running = load.runningJobs
            queued = load.queuedJobs
            gpus = load.gpuUse
            gpuCount = load.gpus
            gpusFree = load.freeGPUs
        case .failure(let failure):
            error = failure.detailForWorker
        }
    }

    enum CodingKeys: String, CodingKey {
        case at, error, cpus, running, queued, gpus
        case loadPerCPU = "load_per_cpu"
        case memoryTotal = "memory_total"
        case memoryAvailable = "memory_available"
        case gpuCount = "gpu_count"
        case gpusFree = "gpus_free"
    }
}

/// Everything the page shows when it opens.
struct DashboardSnapshot: Codable, Sendable {
    var workers: [WorkerView]
    /// Each worker's samples, oldest first.
    var samples: [String: [WorkerSample]]
    /// The active jobs and the most recent others, oldest first.
    var jobs: [JobView]
    /// How many records there are in all (`GET /api/jobs` lists them all).
    var totalJobs: Int
    var probeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case workers, samples, jobs
        case totalJobs = "total_jobs"
        case probeSeconds = "probe_seconds"
    }
}

/// One server-sent event to the page.
enum DashboardEvent: Sendable {
    case snapshot(DashboardSnapshot)
    case job(JobView)
    case removed(String)
    case workers([WorkerView])
    /// One round of measurements, by worker name.
    case samples([String: WorkerSample])

    /// The event as the stream carries it: `event:` and one `data:` line of JSON.
    var text: String {
        switch self {
        case .snapshot(let snapshot): return DashboardJSON.event("snapshot", snapshot)
        case .job(let job): return DashboardJSON.event("job", job)
        case .removed(let id): return DashboardJSON.event("removed", ["id": id])
        case .workers(let workers): return DashboardJSON.event("workers", workers)
        case .samples(let samples): return DashboardJSON.event("samples", samples)
        }
    }
}

/// JSON as the page reads it: one line, keys sorted.
enum DashboardJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func data<Value: Encodable>(_ value: Value) -> Data {
        (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    /// A server-sent event: `event: NAME` and one `data:` line of `value` as JSON.
    static func event<Value: Encodable>(_ name: String, _ value: Value) -> String {
        "event: \(name)\ndata: \(String(decoding: data(value), as: UTF8.self))\n\n"
    }
}
