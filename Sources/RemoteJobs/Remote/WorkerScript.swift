import SSHTransport

/// One of p's worker-side scripts with its typed inputs: the type holds what the script
/// needs, builds its positional arguments and stdin from it, and (for a script whose answer
/// is read at its end, `AnsweringScript`) parses what it printed. The text is fixed
/// (`source`); only the arguments vary, so nothing a user typed is ever script text.
protocol WorkerScript: Sendable {
    /// The script: one line of POSIX `sh` without single quotes (see `RemoteScripts`).
    static var source: String { get }
    /// `$1...`, in the order `source` reads them.
    var arguments: [String] { get }
    /// What the script reads on stdin.
    var input: [UInt8] { get }
}

extension WorkerScript {
    var input: [UInt8] { [] }
}

/// What a worker-side script left behind: its exit status and the control lines of its
/// stderr.
struct ScriptResult {
    var status: SSHExitStatus
    var control: ControlLines
}

/// A script whose whole answer is read once it ended (reconcile, probe, claim…).
protocol AnsweringScript: WorkerScript {
    associatedtype Answer
    /// The answer in what the script printed on stdout (after its `p-begin` line) and how
    /// it ended.
    /// - Throws: `RemoteJobsError` when the answer cannot be read, naming `worker`.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> Answer
}

extension ScriptResult {
    /// What the script printed on stderr that is not a control line, or how it ended when
    /// it printed nothing: the detail of an error message.
    var failureDetail: String {
        control.otherText.isEmpty ? "\(status)" : control.otherText
    }
}
