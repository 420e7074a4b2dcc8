# shellcheck shell=sh
# Waits until a job ends (WaitScript), then prints the trailer: checks every 200 ms (a
# Slurm job every second, each check asking the controller), first waiting while it is
# queued or being launched.
#
# Arguments: job (R/jobs/ID), process (its recorded pid, slurm:ID, or empty).
# The arguments (lib/args.sh).
: "${job=}" "${process=}"
J=$job
P=$process
p=$P
R=${J%/jobs/*}
. lib/job.sh
. lib/queue.sh
kick_if_queued
need_job
w=0.2
v=25
case $p in slurm:*) w=1 v=5 ;; esac
await_start
while up; do
	if [ -f "$J/exitcode" ]; then break; fi
	sleep $w
	hb $v
done
trailer
