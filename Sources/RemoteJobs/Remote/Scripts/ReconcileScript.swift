/// Asks a worker about several jobs at once: its boot id and each job's facts.
struct ReconcileScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// The jobs, each with its process as recorded at launch (`JobRecord.workerProcess`), if
    /// it was.
    var jobs: [(id: String, process: String?)]

    var arguments: KeyValuePairs<String, String> {
        ["root": root, "jobs": jobs.map { $0.id + ($0.process.map { ":\($0)" } ?? "") }.joined(separator: " ")]
    }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> WorkerFacts {
        guard let facts = Self.parse(String(decoding: stdout, as: UTF8.self)) else {
            throw .remoteFailure(
                worker: worker, action: "check the running jobs", detail: "the worker's answer could not be read")
        }
        return facts
    }

    /// The answer: `boot <id>`, then `job <id> <facts>` or `job <id> missing` lines; nil
    /// without a `boot` line (the script did not run).
    static func parse(_ text: String) -> WorkerFacts? {
        var bootID: String?
        var sawBoot = false
        var jobs: [String: JobFacts] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 2, fields[0] == "boot" {
                sawBoot = true
                bootID = fields[1] == "-" || fields[1].count > 64 ? nil : fields[1]
            } else if fields.count == 3, fields[0] == "job", fields[2] == "missing" {
                jobs[fields[1]] = JobFacts(exists: false)
            } else if fields.count == 2 + FactsFields.count, fields[0] == "job" {
                jobs[fields[1]] = FactsFields.parse(Array(fields[2...]))
            }
        }
        return sawBoot ? WorkerFacts(bootID: bootID, jobs: jobs) : nil
    }

    /// `Worker/reconcile.sh`.
    static let repeatable = true
    static let file = "reconcile.sh"
    static let source = WorkerShell.program(file)
}
