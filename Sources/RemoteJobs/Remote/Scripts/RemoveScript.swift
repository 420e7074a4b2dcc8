/// Removes the files of jobs on one worker, keeping those whose wrapper still runs.
struct RemoveScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// The jobs, each with its process as recorded at launch (`JobRecord.workerProcess`), if
    /// it was.
    var jobs: [(id: String, process: String?)]
    /// End a wrapper that still runs (its `--on-end` command, say) instead of keeping the job.
    var force = false

    init(root: String, jobs: [(id: String, process: String?)], force: Bool = false) {
        self.root = root
        self.jobs = jobs
        self.force = force
    }

    /// The files of records: each with the process its record names.
    init(root: String, records: [JobRecord], force: Bool = false) {
        self.init(root: root, jobs: records.map { ($0.id, $0.workerProcess) }, force: force)
    }

    var arguments: KeyValuePairs<String, String> {
        [
            "root": root, "force": force ? "1" : "0",
            "jobs": jobs.map { $0.id + ($0.process.map { ":\($0)" } ?? "") }.joined(separator: " "),
        ]
    }

    /// Why a job's files were kept.
    enum Kept: Equatable {
        /// Its wrapper still runs (its `--on-end` command).
        case running
        /// A job waiting in the worker's queue runs after it (`--after`), and needs its
        /// exit code: the waiting job's id.
        case needed(by: String)
    }

    /// The jobs kept, by id, and why.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> [String: Kept] {
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
        guard lines.last == "removed" else {
            throw .remoteFailure(worker: worker, action: "remove the jobs' files", detail: result.failureDetail)
        }
        var kept: [String: Kept] = [:]
        for line in lines where line.hasPrefix("kept ") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 3 else { continue }
            kept[words[1]] = words[2] == "needed" && words.count == 4 ? .needed(by: words[3]) : .running
        }
        return kept
    }

    /// `Worker/remove.sh`.
    static let file = "remove.sh"
    static let source = WorkerShell.program(file)
}
