# shellcheck shell=sh
# The batch script of a job array handed to Slurm (launch-array.sh writes it to
# R/arrays/ARRAY.task and submits it once with sbatch --array=0-N): task K runs the
# wrapper (run.sh) of the array's Kth element, the Kth line of R/arrays/ARRAY.ids, with the
# arguments its launch left in J/start, in place of this shell (so the task's process is
# the wrapper, as a single Slurm job's is).
#
# Arguments: root, array (its id).
# The arguments (lib/args.sh).
: "${root=}" "${array=}"
. lib/args.sh
k=${SLURM_ARRAY_TASK_ID:-}
case $k in "" | *[!0-9]*)
	echo "p: not run as a task of a Slurm job array (no SLURM_ARRAY_TASK_ID)" >&2
	exit 2
	;;
esac
i=$(sed -n "$((k + 1))p" "$root/arrays/$array.ids")
case $i in "" | *[!0-9a-f-]*)
	echo "p: task $k of array $array has no element" >&2
	exit 2
	;;
esac
J=$root/jobs/$i
set --
while IFS= read -r l; do set -- "$@" "$l"; done <"$J/start"
exec sh "$J/run" "$@"
