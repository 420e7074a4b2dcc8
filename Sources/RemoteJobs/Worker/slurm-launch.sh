# shellcheck shell=sh
# Hands a job to Slurm (SlurmLaunchScript): creates its files as launch.sh does
# (lib/job-files.sh), submits its wrapper (run.sh) as the batch script with
# `sbatch --parsable`, reports "p-slurm ID" on stderr and, with follow=1, the queue state
# while the job waits, then streams its output as follow.sh does.
#
# Arguments: those of launch.sh (slots, after, kick, gpus and the spare copy's unused: Slurm
# does the first four, and its jobs get no spare copy), then "--" and the sbatch options.
# With group (an element of a job array, launch-array.sh): only the job's files are made,
# and its wrapper's arguments left in J/start; the array is submitted once, by the caller,
# with sbatch --array (slurm-array-task.sh runs each element's wrapper).
#
# The job is named p-<first 8 characters of its id>, runs in the work directory, and
# Slurm's own messages ("slurmstepd: error: *** JOB ... CANCELLED ...") go to slurm.log
# beside the log, so output.log holds the command's bytes exactly as on any worker. The
# wrapper's arguments follow the script (sbatch passes them on), with the signal reset
# found here (compute nodes run the login node's system). A refused submission prints
# sbatch's message and leaves nothing (exit 95). The Slurm id goes to slurm_id, where
# facts finds it. When following, it waits for the wrapper's pid file (the job started on
# its node; checked every 50 ms, no request to Slurm), asking Slurm every 2 s meanwhile
# and printing "p-state STATE:REASON" when the queue state changes while the job waits;
# then "p-start SLURM_ID STARTED_AT -" and the stream. A job Slurm ends before it ran
# (cancelled while pending) gets the trailer at once.
# The arguments (lib/args.sh).
: "${root=}" "${id=}" "${workdir=}" "${prepared=}" "${once=}" "${separate_stderr=}" "${max_log=}" "${retry=}" "${wrapper=}" "${cwd_length=}" "${worker_length=}" "${env_length=}" "${on_end_length=}" "${command_length=}" "${timeout=}" "${grace=}" "${follow=}" "${runner=}" "${slots=}" "${after=}" "${kick=}" "${gpus=}" "${group=}" "${spare=}" "${spare_drop=}" "${spare_need=}"
. lib/job.sh
. lib/signals.sh
. lib/job-files.sh
reset_with
if [ -n "$group" ]; then
	printf "%s\n" "job=$J" "workdir=$W" "timeout=$timeout" "grace=$grace" "runner=$runner" \
		"umask=$m" "reset=$G" >"$J/start" || fail 91
	rm -f "$J/preparing"
	exit 0
fi
if ! command -v sbatch >/dev/null 2>&1; then
	echo "p: sbatch is not on the PATH of the login shell of the worker (is it a Slurm login node?)" >&2
	fail 95
fi
trap - PIPE
if N=$(sbatch --parsable --job-name "p-${id%%-*}" --chdir "$W" --output "$J/slurm.log" --open-mode append \
	"$@" "$J/run" job="$J" workdir="$W" timeout="$timeout" grace="$grace" runner="$runner" umask="$m" reset=$G \
	2>"$J/sbatch.err"); then
	:
else
	cat "$J/sbatch.err" >&2
	fail 95
fi
N=${N%%;*}
case $N in
"" | *[!0-9_]*)
	echo "p: sbatch did not print a job id" >&2
	fail 95
	;;
esac
echo "$N" >"$J/slurm_id"
rm -f "$J/preparing" "$J/sbatch.err"
say_slurm "$N"
if [ "$follow" = 1 ]; then
	P=slurm:$N
	p=$P
	r=
	n=0
	until [ -s "$J/pid" ]; do
		if [ $((n % 40)) = 0 ]; then
			if ! up; then break; fi
			if [ "$Q" != "$r" ]; then
				r=$Q
				if slurm_waiting "$Q"; then say_state "$Q"; fi
			fi
		fi
		n=$((n + 1))
		sleep 0.05
		hb 100
	done
	if [ -s "$J/pid" ]; then
		t=-
		read -r t <"$J/started_at" 2>/dev/null
		say_start "$N" "$t" -
		follow
	else
		trailer
	fi
fi
