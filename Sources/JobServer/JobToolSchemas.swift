import MCP

/// The tools' names, descriptions and JSON Schemas, as `tools/list` returns them.
enum JobToolSchemas {
    static let all = [job, jobPoll, jobList, exec]

    static let job = Tool(
        name: "job",
        description: """
            Background jobs on p's workers (remote machines over SSH). A job survives this server, \
            the client and the network; its output (stdout and stderr together) is kept on the worker.
            - submit: start `command` (run by the worker user's shell, like `ssh host command`) and \
            return {job_id, host, remote_pid, started_at, status} at once. Optional: host (a worker \
            name; default worker otherwise) or pool (a worker label: the least busy worker carrying it), env (variables; sent in a file only the user can read, \
            never on a command line), sync_dir (an absolute local directory copied into the job's \
            work directory first; without it the job starts in an empty one), timeout_s; on a Slurm \
            worker also gpus, time (Slurm's time limit), partition, cpus, mem, sbatch_options (more \
            sbatch options in one string); the job is then queued until Slurm starts it; after (job \
            ids that must succeed first, after_any: whatever their outcome): queued on the worker \
            until then; client_key makes the submit idempotent (a retry returns the same job); \
            array ("1-50%4": indices, ranges, an optional cap on how many run at once) or each (a \
            list of words) starts one job per element instead, {} in the command being the element \
            and P_ARRAY_INDEX set, spread over the pool; it returns {array_id, elements: [{job_id, \
            index, host}], not_started}, and job_id may then be ARRAY_ID:INDEX; pull (globs \
            relative to the work directory, results/*.csv) names results to bring back once the \
            job ended, into pull_to (absolute; default p-results in sync_dir, or the server's \
            directory), under the job's id.
            - pull: bring back an ended job's results (job_id), byte-exact; links that leave \
            the work directory are refused. Returns {job_id, directory, pulled, refused}.
            - poll: new output since byte offset `since` (start at 0, then pass back new_offset), at \
            most max_bytes (default 65536), or the last `tail` lines. wait_s (0-30) holds the call \
            until new output or the end of the job arrives. Returns {status, exit_code, output_chunk, \
            new_offset, more, finished_at}; more=true means more output is already waiting: poll \
            again at once. Offsets count bytes; a chunk never splits a UTF-8 character and bytes \
            that are not UTF-8 arrive as U+FFFD.
            - cancel: stop a job (signal TERM, then KILL after a grace period; or KILL at once). \
            Returns {job_id, signal_sent, status_after}.
            - pause / resume: STOP or CONT to the job's whole process group; a paused job keeps its             memory and files, uses no CPU, and shows as paused; time paused does not count toward             timeout_s. Returns {job_id, signal_sent, status_after}.
            - list: every job with {job_id, host, status, started_at, age_s, exit_code, command, cwd, \
            reason}; narrow it with status, since (ISO 8601 time, or seconds ago) and command (a \
            substring) or client_key. Every job is also a resource, p://jobs/<id> (status) and \
            p://jobs/<id>/output (last 64 KB): subscribe to be told when it changes.
            Statuses: queued (waiting for Slurm or the worker's queue), running, paused, done, failed, stopped, unknown. use_sudo is refused: put `sudo -n` in \
            the command where the worker allows it.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "action": .object([
                    "type": "string", "enum": .array(["submit", "poll", "cancel", "pause", "resume", "list", "pull"]),
                    "description": "What to do.",
                ]),
                "command": .object([
                    "type": "string", "description": "submit: the command line; list: only commands containing this.",
                ]),
                "host": .object(["type": "string", "description": "submit: the worker's name (p worker ls)."]),
                "pool": .object([
                    "type": "string",
                    "description": "submit: a worker label instead of host: the least busy worker carrying it.",
                ]),
                "env": .object([
                    "type": "object", "additionalProperties": .object(["type": "string"]),
                    "description": "submit: environment variables for the job.",
                ]),
                "sync_dir": .object([
                    "type": "string", "description": "submit: an absolute local directory to copy to the worker first.",
                ]),
                "timeout_s": .object([
                    "type": "number", "minimum": 1, "description": "submit: stop the job after this many seconds.",
                ]),
                "gpus": .object(["type": "string", "description": "submit, Slurm workers: GPUs (sbatch --gpus)."]),
                "time": .object([
                    "type": "string",
                    "description": "submit, Slurm workers: the time limit (sbatch --time: 90, 1:30:00, 2-00:00:00).",
                ]),
                "partition": .object(["type": "string", "description": "submit, Slurm workers: the partition."]),
                "cpus": .object([
                    "type": "integer", "minimum": 1, "description": "submit, Slurm workers: CPUs (--cpus-per-task).",
                ]),
                "mem": .object(["type": "string", "description": "submit, Slurm workers: memory (sbatch --mem: 4G)."]),
                "sbatch_options": .object([
                    "type": "string",
                    "description": "submit, Slurm workers: more sbatch options in one string (\"--qos high\").",
                ]),
                "after": .object([
                    "type": "string",
                    "description":
                        "submit: job ids (comma-separated) on the same worker that must succeed first; the job is queued until then, and fails without running if one fails.",
                ]),
                "on_end": .object([
                    "type": "string",
                    "description":
                        "submit: a command the worker runs when the job ends (a webhook), with P_JOB_ID, P_JOB_STATUS and P_JOB_EXIT_CODE set; its output goes to on_end.log in the job's directory, never to the job's output.",
                ]),
                "array": .object([
                    "type": "string",
                    "description":
                        "submit: run once per index, as a job array: 1-50, 0-98:2, 1,3,7-9, with %N capping how many run at once (1-50%4); {} in the command is the index.",
                ]),
                "each": .object([
                    "type": "array", "items": .object(["type": "string"]),
                    "description":
                        "submit: run once per word, as a job array; {} in the command is the word (quoted), P_ARRAY_INDEX its position from 1.",
                ]),
                "pull": .object([
                    "type": "array", "items": .object(["type": "string"]),
                    "description":
                        "submit: globs relative to the work directory (results/*.csv, model.pt) whose matches the pull action brings back once the job ended.",
                ]),
                "retry": .object([
                    "type": "integer", "minimum": 1, "maximum": 100,
                    "description":
                        "submit: run the job again up to this many more times when it ends as retry_on says (exit codes are retried on the worker).",
                ]),
                "retry_on": .object([
                    "type": "string",
                    "description":
                        "submit: with retry, comma-separated: failed, exit codes (1,137), lost. Default: lost.",
                ]),
                "lost_after_s": .object([
                    "type": "integer", "minimum": 1,
                    "description":
                        "submit: with retry (on lost), count the job lost once its worker is out of reach this many seconds while a wait waits for it, and start it again on another worker of its pool.",
                ]),
                "pull_to": .object([
                    "type": "string",
                    "description": "submit: with pull, the absolute local directory results go under.",
                ]),
                "client_key": .object([
                    "type": "string",
                    "description":
                        "submit: a key of yours that makes the submit idempotent: the same key returns the same job and never starts a second one, also after a broken connection or a restart; list: only the job with this key.",
                ]),
                "after_any": .object([
                    "type": "boolean", "description": "submit: with after, start whatever those jobs' outcome.",
                ]),
                "job_id": .object([
                    "type": "string",
                    "description":
                        "poll, cancel, pause, resume, pull: the job's id (or a unique prefix of 4+ characters, or ARRAY_ID:INDEX).",
                ]),
                "since": .object([
                    "description":
                        "poll: the byte offset to read from (an integer); list: jobs submitted since this ISO 8601 time, or this many seconds ago."
                ]),
                "status": .object([
                    "type": "string",
                    "enum": .array(["syncing", "queued", "running", "paused", "done", "failed", "stopped", "unknown"]),
                    "description": "list: only jobs with this status.",
                ]),
                "max_bytes": .object([
                    "type": "integer", "minimum": 4, "maximum": 1_048_576,
                    "description": "poll: at most this many bytes (default 65536).",
                ]),
                "tail": .object(["type": "integer", "minimum": 1, "description": "poll: only the last N lines."]),
                "filter": .object([
                    "type": "string",
                    "description":
                        "poll: a regular expression; only whole lines that match are returned (with tail: the last N matching lines); new_offset counts every byte read.",
                ]),
                "wait_s": .object([
                    "type": "number", "minimum": 0, "maximum": 30,
                    "description": "poll: wait up to this long for new output or the job's end (default 0).",
                ]),
                "stream": .object([
                    "type": "string", "enum": .array(["stdout", "stderr"]),
                    "description":
                        "poll: which log, for a job submitted with separate_stderr (each has its own offsets); default stdout.",
                ]),
                "max_log": .object([
                    "description":
                        "submit: cap each of the job's logs on the worker (bytes, or \"10M\", \"1G\"; at least 64K): the worker keeps the first half and the most recent half; a poll whose offset falls in the dropped part gets a notice (gap) and goes on after it."
                ]),
                "separate_stderr": .object([
                    "type": "boolean",
                    "description":
                        "submit: keep the job's stderr apart from its stdout (poll it with stream: \"stderr\"); default false: one log in the order written.",
                ]),
                "signal": .object([
                    "type": "string",
                    "description":
                        "cancel: the signal to send first, by name or number as kill -s takes it (TERM, INT, HUP, USR1, 10...); default TERM; KILL follows after a grace period if the job is still there.",

                ]),
            ]),
            "required": .array(["action"]),
        ]),
        annotations: .init(
            title: "Background jobs on remote workers", readOnlyHint: false, destructiveHint: true,
            idempotentHint: false, openWorldHint: true),
        outputSchema: .object([
            "type": "object",
            "description":
                "submit: {job_id, host, remote_pid, started_at, status, client_key}; poll: as job_poll; cancel, pause, resume: {job_id, signal_sent, status_after}; list: as job_list.",
        ]))

    /// `poll` as a tool of its own: read-only, so clients may allow it without asking.
    static let jobPoll = Tool(
        name: "job_poll",
        description: """
            Read a job's new output (read-only; the job tool's poll): since (a byte offset, 0 at \
            first, then new_offset), max_bytes, tail (the last N lines), filter (a regular \
            expression lines must match), wait_s (0-30: hold the \
            call until output or the end arrives), stream (stdout or stderr, for a job submitted \
            with separate_stderr). Returns {status, exit_code, output_chunk, \
            new_offset, more, finished_at, total_bytes}.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "job_id": .object(["type": "string", "description": "The job's id or a unique prefix (4+)."]),
                "since": .object(["type": "integer", "minimum": 0]),
                "max_bytes": .object(["type": "integer", "minimum": 4, "maximum": 1_048_576]),
                "tail": .object(["type": "integer", "minimum": 1]),
                "filter": .object([
                    "type": "string",
                    "description":
                        "A regular expression: only whole lines that match are returned; new_offset still counts every byte read.",
                ]),
                "wait_s": .object(["type": "number", "minimum": 0, "maximum": 30]),
                "stream": .object([
                    "type": "string", "enum": .array(["stdout", "stderr"]),
                    "description": "Which log, for a job submitted with separate_stderr; default stdout.",
                ]),
            ]),
            "required": .array(["job_id"]),
        ]),
        annotations: .init(
            title: "Read a job's output", readOnlyHint: true, destructiveHint: false, idempotentHint: true,
            openWorldHint: true),
        outputSchema: pollOutput)

    /// `list` as a tool of its own: read-only.
    static let jobList = Tool(
        name: "job_list",
        description: """
            List p's jobs (read-only; the job tool's list), narrowed by status, since (ISO 8601 \
            time or seconds ago), command (a substring) and client_key. Returns {jobs: [{job_id, \
            host, status, started_at, age_s, exit_code, command, cwd, reason, client_key}]}.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "status": .object([
                    "type": "string",
                    "enum": .array(["syncing", "queued", "running", "paused", "done", "failed", "stopped", "unknown"]),
                ]),
                "since": .object(["description": "An ISO 8601 time, or a number of seconds ago."]),
                "command": .object(["type": "string"]),
                "client_key": .object(["type": "string"]),
            ]),
        ]),
        annotations: .init(
            title: "List jobs", readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true),
        outputSchema: .object([
            "type": "object",
            "properties": .object([
                "jobs": .object([
                    "type": "array",
                    "items": .object([
                        "type": "object",
                        "properties": .object([
                            "job_id": .object(["type": "string"]), "host": .object(["type": "string"]),
                            "status": .object(["type": "string"]), "started_at": .object(["type": "string"]),
                            "age_s": .object(["type": "number"]), "exit_code": .object(["type": "integer"]),
                            "command": .object(["type": "string"]), "cwd": .object(["type": "string"]),
                            "reason": .object(["type": "string"]), "client_key": .object(["type": "string"]),
                        ]),
                        "required": .array(["job_id", "host", "status", "age_s", "command", "cwd"]),
                    ]),
                ])
            ]),
            "required": .array(["jobs"]),
        ]))

    static let pollOutput: Value = .object([
        "type": "object",
        "properties": .object([
            "status": .object(["type": "string"]), "exit_code": .object(["type": "integer"]),
            "output_chunk": .object(["type": "string"]), "new_offset": .object(["type": "integer"]),
            "more": .object(["type": "boolean"]), "finished_at": .object(["type": "string"]),
            "total_bytes": .object(["type": "integer"]), "dropped_bytes": .object(["type": "integer"]),
        ]),
        "required": .array(["status", "output_chunk", "new_offset", "more", "total_bytes"]),
    ])

    static let exec = Tool(
        name: "exec",
        description: """
            Run a command on a worker to completion and return {stdout, stderr, exit_code, \
            signal}. When timeout_s (default 60, at most 600) passes first, the command is not \
            ended: it goes on as a job and the answer is {still_running: true, job_id, \
            output_so_far, new_offset} (poll it with job_poll from new_offset); on_timeout: "kill" \
            ends it instead. Keep timeout_s under what your client waits for a tool call (often 60 s).
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "command": .object([
                    "type": "string", "description": "The command line, run by the worker user's shell.",
                ]),
                "host": .object(["type": "string", "description": "The worker's name; the default worker otherwise."]),
                "timeout_s": .object(["type": "number", "minimum": 1, "maximum": 600]),
                "on_timeout": .object([
                    "type": "string", "enum": .array(["detach", "kill"]),
                    "description": "detach (default): hand back a running job; kill: end the command.",
                ]),
            ]),
            "required": .array(["command"]),
        ]),
        annotations: .init(
            title: "Run a short command on a worker", readOnlyHint: false, destructiveHint: true,
            idempotentHint: false, openWorldHint: true),
        outputSchema: .object([
            "type": "object",
            "properties": .object([
                "stdout": .object(["type": "string"]), "stderr": .object(["type": "string"]),
                "exit_code": .object(["type": "integer"]), "signal": .object(["type": "string"]),
                "still_running": .object(["type": "boolean"]), "job_id": .object(["type": "string"]),
                "output_so_far": .object(["type": "string"]), "new_offset": .object(["type": "integer"]),
            ]),
        ]))
}

extension JobToolSchemas {
    /// The answer to `tools/list`: the tools, `exec` and `job` declaring that they may run
    /// as tasks (`execution.taskSupport: optional`, a field the SDK's `Tool` lacks).
    static func listing() throws -> Value {
        let tools = try all.map { tool -> Value in
            guard case .object(var members) = try Value.encoding(tool) else { return try Value.encoding(tool) }
            if tool.name == "exec" || tool.name == "job" {
                members["execution"] = .object(["taskSupport": .string("optional")])
            }
            return .object(members)
        }
        return .object(["tools": .array(tools)])
    }
}
