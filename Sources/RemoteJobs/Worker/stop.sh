# shellcheck shell=sh
# Stops a job (StopScript): a queued job is taken out of the queue; a running one gets
# the signal in its whole process group (and CONT, so a paused job sees it), then KILL
# after the grace time; waits until its processes are gone (up to 5 s more). Prints
# "stopped" or "ended" (it had ended, or never had a process), then the trailer. Its
# "stopped" file names the signal, so the job counts as stopped, not failed.
#
# Arguments: job (R/jobs/ID), signal (TERM, INT, ...), grace (seconds), pid (as recorded
# at launch, or empty).
# The arguments (lib/args.sh).
: "${job=}" "${signal=}" "${grace=}" "${pid=}"
J=$job
. lib/job.sh
need_job
R=${J%/jobs/*}
if [ -f "$J/queued" ] && [ "$(sh "$R/kick" root="$R" remove="${J##*/}" 2>/dev/null)" = removed ]; then
	echo "$signal" >"$J/stopped.tmp"
	mv -f "$J/stopped.tmp" "$J/stopped"
	date +%s >"$J/ended_at"
	echo stopped
	trailer
	exit 0
fi
n=0
while [ -f "$J/launched" ] && [ ! -f "$J/pid" ] && [ ! -f "$J/exitcode" ] && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
job_pid "$pid"

# alive: whether the job's process group has a process that is not a zombie.
alive() {
	kill -0 -"$p" 2>/dev/null || return 1
	command -v ps >/dev/null 2>&1 || return 0
	# shellcheck disable=SC2009 # by process group, which pgrep does not print
	ps -A -o pgid= -o stat= | grep -Eq "^ *$p +[^Z]"
}

if [ -f "$J/exitcode" ] || [ -z "$p" ]; then
	echo ended
else
	echo "$signal" >"$J/stopped.tmp"
	mv -f "$J/stopped.tmp" "$J/stopped"
	kill -"$signal" -"$p" 2>/dev/null
	kill -CONT -"$p" 2>/dev/null
	rm -f "$J/paused"
	n=0
	while alive && [ $n -lt $((grace * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if alive; then kill -KILL -"$p" 2>/dev/null; fi
	n=0
	while alive && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	echo stopped
fi
trailer
