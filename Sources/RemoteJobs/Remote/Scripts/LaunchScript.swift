/// Starts a job: creates its directories and files from stdin, starts the wrapper detached,
/// reports `p-start`, and (with `follow`) streams the output as `FollowScript` does.
struct LaunchScript: WorkerScript {
    /// The worker's root for p's files (`~/.p`, relative to the home directory).
    var root: String
    /// The job's id.
    var jobID: String
    /// The client's working directory, recorded for `p ls`.
    var cwd: String
    /// The worker's name, recorded with the job.
    var workerName: String
    /// The job's variables (`export K='V'` lines), written to the 0600 `env` file.
    var environmentFile: [UInt8]
    /// The job's time limit in seconds; nil for none.
    var timeoutSeconds: Int?
    /// Seconds between TERM and KILL when the time limit stops the job.
    var graceSeconds: Int
    /// Whether to stream the output after the start (`p -- ...`) or return at once.
    var follow: Bool
    /// The work directory's name under `R/workdirs`: the job's id, or a persistent one.
    var workdirName: String
    /// Whether the work directory was synced or claimed before: then the job's directories
    /// must still exist (a job removed while it was prepared is not started).
    var prepared: Bool
    /// The command, as the user typed it.
    var command: String
    /// The worker's slots (nil: no limit); with slots or dependencies the job goes through
    /// the worker's queue (`WorkerQueue`).
    var slots: Int? = nil
    /// The jobs it runs after, and whether they must have succeeded (`--after`) or only
    /// ended (`--after-any`).
    var after: (ids: [String], anyOutcome: Bool)? = nil
    /// GPUs to claim on the worker (`WorkerGPUs`); 0 for none.
    var gpus: Int = 0
    /// Whether a job of this id may already have been started (an idempotent submit, whose
    /// id comes from the caller's key): then an existing one is never started again.
    var once: Bool = false
    /// Whether the command's stderr goes to `stderr.log` instead of the log (for `exec`
    /// through a job, which answers with the two streams apart).
    var separateStderr: Bool = false
    /// The command to run on the worker when the job ends (`JobRequest.onEnd`), if any.
    var onEnd: String? = nil
    /// The cap on each of the job's logs in bytes (`JobRequest.maxLog`); nil for none.
    var maxLog: UInt64? = nil
    /// The spare copy to make of the work directory just synced, if any.
    var spare: SpareCopy? = nil
    /// For an element of a job array: the array's id and the most of its elements this
    /// worker runs at once (nil: only its slots limit them). Such a job always goes through
    /// the worker's queue.
    var group: (array: String, cap: Int?)? = nil
    /// How the wrapper runs the command, when not as `runner(for:)` decides for this one
    /// (the elements of an array share the runner their longest command needs).
    var runnerOverride: String? = nil
    /// What the job's wrapper retries (`RetryPolicy.workerLine`), if anything.
    var retry: String? = nil

    var arguments: KeyValuePairs<String, String> {
        [
            "root": root, "id": jobID, "workdir": workdirName, "prepared": prepared ? "1" : "0",
            "once": once ? "1" : "0",
            "separate_stderr": separateStderr ? "1" : "0", "max_log": "\(maxLog ?? 0)", "retry": retry ?? "",
            "wrapper": Self.wrapper,
            "cwd_length": "\(cwd.utf8.count)", "worker_length": "\(workerName.utf8.count)",
            "env_length": "\(environmentFile.count)", "on_end_length": "\((onEnd ?? "").utf8.count)",
            "command_length": "\(command.utf8.count)", "timeout": "\(timeoutSeconds ?? 0)", "grace": "\(graceSeconds)",
            "follow": follow ? "1" : "0", "runner": runnerOverride ?? Self.runner(for: command),
            "slots": slots.map(String.init) ?? "",
            "after": after.map { ($0.anyOutcome ? "any " : "ok ") + $0.ids.joined(separator: ",") } ?? "",
            "kick": queues ? WorkerQueue.kick : "", "gpus": "\(gpus)",
            "group": group.map { "\($0.array) \($0.cap ?? 0)" } ?? "",
            "spare": spare == nil ? "" : SpareCopy.maker, "spare_drop": spare?.replacing ?? "",
            "spare_need": spare.map { "\($0.sizeKB)" } ?? "",
        ]
    }

    /// Whether the job goes through the worker's queue (`kick.sh`, sent only then: 5 KB
    /// a launch that starts at once need not carry).
    var queues: Bool { slots != nil || after != nil || group != nil }

    var input: [UInt8] {
        Array(cwd.utf8) + Array(workerName.utf8) + environmentFile + Array((onEnd ?? "").utf8) + Array(command.utf8)
    }

    /// `Worker/launch.sh`, which creates the job's files from stdin (`cwd`, `worker`, `env`
    /// and `on_end` by their lengths, then `cmd`) and starts the wrapper.
    static let file = "launch.sh"
    static let source = WorkerShell.program(file)

    /// The job's wrapper, `Worker/run.sh`, written to `R/jobs/ID/run` by the launch and
    /// started in a session of its own (or by Slurm as the batch script).
    static let wrapper = WorkerShell.program("run.sh")

    /// The longest words passed to the shell as its `-c` argument: the kernel's limit for
    /// one argument (`MAX_ARG_STRLEN`, 128 KiB with its NUL on Linux).
    static let longestArgument = 131_071

    /// How the wrapper runs `command`: as the shell's `-c` argument (`argument`), as sshd
    /// does, or, beyond the kernel's limit for one argument, evaluated from its file.
    static func runner(for command: String) -> String {
        command.utf8.count <= longestArgument ? "argument" : evalCommandFile
    }

    /// What a Bourne-family shell runs the command file with, for words too long to be an
    /// argument: `Worker/run-long-command.sh`. Passed as an argument, since the scripts
    /// themselves contain no single quotes.
    static let evalCommandFile = WorkerShell.program("run-long-command.sh")
}
