import MCP

/// The tools' names, descriptions and JSON Schemas, as `tools/list` returns them.
enum JobToolSchemas {
    static let all = [job, exec]

    static let job = Tool(
        name: "job",
        description: """
            Background jobs on p's workers (remote machines over SSH). A job survives this server, \
            the client and the network; its output (stdout and stderr together) is kept on the worker.
            - submit: start `command` (run by the worker user's shell, like `ssh host command`) and \
            return {job_id, host, remote_pid, started_at, status} at once. Optional: host (a worker \
            name; default worker otherwise), env (variables; sent in a file only the user can read, \
            never on a command line), sync_dir (an absolute local directory copied into the job's \
            work directory first; without it the job starts in an empty one), timeout_s.
            - poll: new output since byte offset `since` (start at 0, then pass back new_offset), at \
            most max_bytes (default 65536), or the last `tail` lines. wait_s (0-30) holds the call \
            until new output or the end of the job arrives. Returns {status, exit_code, output_chunk, \
            new_offset, more, finished_at}; more=true means more output is already waiting: poll \
            again at once. Offsets count bytes; a chunk never splits a UTF-8 character and bytes \
            that are not UTF-8 arrive as U+FFFD.
            - cancel: stop a job (signal TERM, then KILL after a grace period; or KILL at once). \
            Returns {job_id, signal_sent, status_after}.
            - list: every job with {job_id, host, status, started_at, age_s, exit_code}.
            Statuses: running, done, failed, stopped, unknown. use_sudo is refused: put `sudo -n` in \
            the command where the worker allows it.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "action": .object([
                    "type": "string", "enum": .array(["submit", "poll", "cancel", "list"]),
                    "description": "What to do.",
                ]),
                "command": .object(["type": "string", "description": "submit: the command line."]),
                "host": .object(["type": "string", "description": "submit: the worker's name (p worker ls)."]),
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
                "job_id": .object([
                    "type": "string",
                    "description": "poll, cancel: the job's id (or a unique prefix of 4+ characters).",
                ]),
                "since": .object([
                    "type": "integer", "minimum": 0, "description": "poll: the byte offset to read from.",
                ]),
                "max_bytes": .object([
                    "type": "integer", "minimum": 4, "maximum": 1_048_576,
                    "description": "poll: at most this many bytes (default 65536).",
                ]),
                "tail": .object(["type": "integer", "minimum": 1, "description": "poll: only the last N lines."]),
                "wait_s": .object([
                    "type": "number", "minimum": 0, "maximum": 30,
                    "description": "poll: wait up to this long for new output or the job's end (default 0).",
                ]),
                "signal": .object([
                    "type": "string", "enum": .array(["TERM", "KILL"]), "description": "cancel: default TERM.",
                ]),
            ]),
            "required": .array(["action"]),
        ]),
        annotations: .init(title: "Background jobs on remote workers"))

    static let exec = Tool(
        name: "exec",
        description: """
            Run a short command on a worker to completion and return {stdout, stderr, exit_code, \
            signal}. For anything long, use the job tool. timeout_s (default 60, at most 600) ends it.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "command": .object([
                    "type": "string", "description": "The command line, run by the worker user's shell.",
                ]),
                "host": .object(["type": "string", "description": "The worker's name; the default worker otherwise."]),
                "timeout_s": .object(["type": "number", "minimum": 1, "maximum": 600]),
            ]),
            "required": .array(["command"]),
        ]),
        annotations: .init(title: "Run a short command on a worker"))
}
