# shellcheck shell=sh
# The control lines: every line a script prints for p to read besides a job's own bytes,
# on stderr (or, from the poll server, in its answers). They are printed here and nowhere
# else, and each is read by one Swift type (Sources/RemoteJobs/Remote/Protocol, through
# ControlLine.parse); a test runs each function below under dash, bash and BusyBox sh and
# parses what it printed. Every script p runs has them: lib/begin.sh includes this file.

# say_begin TOKEN: the script began (BeginLine), on stdout and on stderr, before anything
# else; what a login file printed before it is never read as the script's.
say_begin() {
	printf "p-begin %s\n" "$1"
	printf "p-begin %s\n" "$1" >&2
}

# say_start PID STARTED_AT BOOT_ID: the job runs, as process PID (for a Slurm job, its
# Slurm id), since STARTED_AT (seconds since 1970), on the boot BOOT_ID; "-" for what is
# not known (StartLine).
say_start() {
	printf "p-start %s %s %s\n" "$1" "${2:--}" "${3:--}" >&2
}

# end_line SIZE GAP FACTS: on stdout, "p-end SIZE[/FROM/TO] FACTS": the log's size, the
# bytes a capped log dropped (GAP is "/FROM/TO" or empty; lib/log.sh's gp) and the job's
# facts (lib/facts.sh's facts) as a stream or poll ended (EndLine).
end_line() {
	printf "p-end %s%s %s\n" "$1" "$2" "$3"
}

# missing_line: on stdout, "p-end missing": the job's directory is gone (EndLine).
missing_line() {
	echo "p-end missing"
}

# load_header COUNT: on stdout, "COUNT p-load": COUNT bytes of the worker's load (lib/load.sh's
# lines) follow, the poll server's answer to "load" (PollServerScript.parseLoadHeader).
load_header() {
	printf "%s p-load\n" "$1"
}

# say_slurm ID: Slurm took the job as job ID (SlurmLine).
say_slurm() {
	printf "p-slurm %s\n" "$1" >&2
}

# say_queued: the job waits in the worker's queue (QueuedLine).
say_queued() {
	printf "p-queued\n" >&2
}

# say_state STATE: the job waits, in STATE:REASON (Slurm's state, or QUEUED:position N),
# spaces as \037 (StateLine).
say_state() {
	printf "p-state %s\n" "$1" >&2
}

# say_alive: a waiting script is still there (AliveLine; p ignores it). Fails when the
# client is gone: sshd closed the channel.
say_alive() {
	printf "p-alive\n" >&2
}
