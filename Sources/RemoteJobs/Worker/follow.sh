# shellcheck shell=sh
# Streams a job's log from a byte offset until the job ended (FollowScript; lib/job.sh's
# follow), first waiting while the job is queued or being launched.
#
# Arguments: job (R/jobs/ID), offset, process (its recorded pid, slurm:ID, or empty),
# stream (stdout or stderr).
# The arguments (lib/args.sh).
: "${job=}" "${offset=}" "${process=}" "${stream=}"
J=$job
o=$offset
P=$process
p=$P
R=${J%/jobs/*}
if [ "$stream" = stderr ]; then pL=stderr.log; fi
. lib/job.sh
. lib/queue.sh
kick_if_queued
need_job
await_start
follow
