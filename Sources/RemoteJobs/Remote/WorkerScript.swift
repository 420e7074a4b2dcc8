import SSHTransport

/// One of p's worker-side scripts with its typed inputs: the type holds what the script
/// needs, names its arguments and builds its stdin from it, and (for a script whose answer
/// is read at its end, `AnsweringScript`) parses what it printed. The program is a fixed
/// file of `Worker/` (`file`, joined by `WorkerShell`); only the arguments vary, so nothing
/// a user typed is ever script text.
protocol WorkerScript: Sendable {
    /// The file under `Worker/` the script is.
    static var file: String { get }
    /// The program: `file` as `WorkerShell.program` joins it.
    static var source: String { get }
    /// The script's arguments by name (`Worker/lib/args.sh`): every name its file declares
    /// on its `: "${NAME=}"` line, each with its value (empty for none).
    var arguments: KeyValuePairs<String, String> { get }
    /// Words after `--`, which the script takes as they are (the `sbatch` options a user
    /// gave).
    var trailingArguments: [String] { get }
    /// What the script reads on stdin.
    var input: [UInt8] { get }
    /// Whether running the script again changes nothing it did the first time (it only
    /// reads, or makes what is already made): one cut off by the keeper's end then runs
    /// again over a direct connection.
    static var repeatable: Bool { get }
}

extension WorkerScript {
    static var file: String { "" }
    static var repeatable: Bool { false }
    var input: [UInt8] { [] }
    var trailingArguments: [String] { [] }

    /// The words the script is given: `NAME=VALUE` each, then `--` and the trailing ones.
    var words: [String] {
        arguments.map { "\($0.key)=\($0.value)" } + (trailingArguments.isEmpty ? [] : ["--"] + trailingArguments)
    }
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
