# shellcheck shell=sh
# Stamps a job being prepared as still so (HeartbeatScript): its "preparing" file holds
# the time, which claims read (a claim without a fresh stamp can be taken over).
#
# Arguments: job (R/jobs/ID).
# The arguments (lib/args.sh).
: "${job=}"
. lib/stamp.sh
if [ -d "$job" ]; then stamp "$job/preparing"; fi
