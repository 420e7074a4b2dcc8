/// Starts the elements of a job array that one worker runs, in one exec: each is launched
/// as `LaunchScript` launches a job, through the worker's queue (`Worker/launch-array.sh`).
struct LaunchArrayScript: AnsweringScript {
    /// One element: its job id and its launch, whose `input` it sends.
    struct Element {
        var id: String
        var launch: LaunchScript
    }

    /// The worker's root for p's files.
    var root: String
    /// The elements, in the order they start.
    var elements: [Element]
    /// The work directory the array's directory was synced into (the first element's), or
    /// nil when nothing was synced.
    var base: String?
    /// Whether the other elements' work directories hard-link the base's files.
    var hardLinks: Bool
    /// On a Slurm worker: the array's id, the `%N` cap, and the `sbatch` options of its one
    /// `sbatch --array`; nil on a worker whose own queue runs the elements.
    var slurm: (array: String, cap: Int?, sbatchOptions: [String])? = nil

    /// What became of an element.
    enum Outcome: Equatable {
        /// On its worker: queued there, or handed to Slurm as this task of the array.
        case started(slurmJobID: String?)
        /// Not started, and why.
        case refused(String)
    }

    var arguments: KeyValuePairs<String, String> {
        [
            "root": root, "ids": elements.map(\.id).joined(separator: " "), "base": base ?? "",
            "links": hardLinks ? "1" : "0",
            "launch": RemoteScripts.invocation(slurm == nil ? LaunchScript.source : SlurmLaunchScript.source),
            "array": slurm?.array ?? "", "cap": slurm?.cap.map(String.init) ?? "",
            "task": slurm == nil ? "" : Self.slurmTask, "sbatch": slurm?.sbatchOptions.joined(separator: "\n") ?? "",
        ]
    }

    /// The batch script of a Slurm job array, `Worker/slurm-array-task.sh`.
    static let slurmTask = WorkerShell.program("slurm-array-task.sh")

    /// The words every element's launch gets (its own id, work directory, lengths and
    /// `prepared` follow them, and win).
    var trailingArguments: [String] {
        guard let first = elements.first else { return [] }
        return first.launch.arguments.map { "\($0.key)=\($0.value)" }
    }

    var input: [UInt8] {
        elements.flatMap { element -> [UInt8] in
            let input = element.launch.input
            return Array(
                "\(input.count) \(element.launch.environmentFile.count) \(element.launch.command.utf8.count)\n".utf8)
                + input
        }
    }

    /// What became of each element, by id.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> [String: Outcome] {
        var outcome: [String: Outcome] = [:]
        for line in String(decoding: stdout, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard words.count >= 3, words[0] == "p-element" else { continue }
            let message = words.count > 3 ? words[3].trimmingCharacters(in: .whitespaces) : ""
            if words[2] == "0" {
                let slurmID = slurm != nil && !message.isEmpty && message.allSatisfy { $0.isNumber || $0 == "_" }
                outcome[String(words[1])] = .started(slurmJobID: slurmID ? message : nil)
            } else {
                outcome[String(words[1])] = .refused(message.isEmpty ? "the launch ended with \(words[2])" : message)
            }
        }
        guard outcome.count == elements.count || result.status == .exited(0) else {
            throw .remoteFailure(worker: worker, action: "start the array's elements", detail: result.failureDetail)
        }
        return outcome
    }

    /// `Worker/launch-array.sh`.
    static let file = "launch-array.sh"
    static let source = WorkerShell.program(file)
}
