# shellcheck shell=sh
# Stops a job Slurm runs (SlurmStopScript): writes the stopped marker first. A job that
# runs (its wrapper wrote pid) gets the signal in all its processes, the batch script's
# too (scancel --full; the wrapper traps it and records the command's status), and is
# cancelled (scancel: TERM, then Slurm's KILL) when it has not ended after the grace
# period; a job still waiting in the queue is simply cancelled. Waits (up to 20 s) until
# Slurm no longer lists it as live, then prints "ended" when it had already ended, else
# "stopped", and the trailer.
#
# Arguments: job (R/jobs/ID), signal, grace (seconds), slurm_id.
# The arguments (lib/args.sh).
: "${job=}" "${signal=}" "${grace=}" "${slurm_id=}"
J=$job
. lib/job.sh
need_job
N=$slurm_id
case $N in
"" | *[!0-9_]*)
	echo "p: no Slurm job id" >&2
	exit 1
	;;
esac
P=slurm:$N
p=$P
if [ -f "$J/exitcode" ] || ! up; then
	echo ended
else
	echo "$signal" >"$J/stopped.tmp"
	mv -f "$J/stopped.tmp" "$J/stopped"
	if [ -s "$J/pid" ]; then
		scancel --full --signal "$signal" "$N" 2>/dev/null
		n=0
		while [ ! -f "$J/exitcode" ] && [ $n -lt $((grace * 10)) ]; do
			if [ $((n % 10)) = 9 ] && ! up; then break; fi
			sleep 0.1
			n=$((n + 1))
		done
	fi
	if [ ! -f "$J/exitcode" ] && up; then scancel "$N" 2>/dev/null; fi
	n=0
	while [ $n -lt 100 ] && up; do
		sleep 0.2
		n=$((n + 1))
	done
	echo stopped
fi
trailer
