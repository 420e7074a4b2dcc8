# shellcheck shell=sh
# Pauses or resumes a running job (PauseScript): SIGSTOP or SIGCONT to its process group,
# its "paused" marker set or removed, then waits (up to 2 s) until its leader's state says
# so, and prints the trailer. A job that is queued, ended or not alive is left as it is.
#
# Arguments: job (R/jobs/ID), signal (STOP or CONT), pid (as recorded at launch, or
# empty).
# The arguments (lib/args.sh).
: "${job=}" "${pid=}" "${signal=}"
J=$job
. lib/job.sh
need_job

# settled T|R: waits until the leader's state is stopped (T) or no longer stopped.
settled() {
	n=0
	while [ -r "/proc/$p/stat" ] && [ $n -lt 40 ]; do
		read -r l <"/proc/$p/stat" 2>/dev/null || break
		l=${l##*) }
		case $1$l in TT* | R[!T]*) break ;; esac
		sleep 0.05
		n=$((n + 1))
	done
}

job_pid "$pid"
if [ -f "$J/queued" ] || [ -f "$J/exitcode" ] || [ -z "$p" ] || ! up; then
	:
elif [ "$signal" = STOP ]; then
	: >"$J/paused"
	kill -STOP -"$p" 2>/dev/null
	settled T
else
	kill -CONT -"$p" 2>/dev/null
	rm -f "$J/paused"
	settled R
fi
trailer
