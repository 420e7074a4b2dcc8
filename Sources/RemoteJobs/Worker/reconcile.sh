# shellcheck shell=sh
# Asks a worker about several jobs at once (ReconcileScript): prints "boot ID", then "job
# ID FACTS" or "job ID missing" per job.
#
# Arguments: root, jobs ("ID[:PROCESS] ...", space-separated, each with the pid, or
# slurm:ID, recorded at launch where there is one; else the validated pid file says which
# process is the job's).
#
# Slurm is asked about all the Slurm jobs in one squeue (its answers kept in S_ID for sq),
# so a cluster's jobs cost one request to the controller, not one each; the line's fields
# are split at \037, never evaluated. facts runs in the script's own shell, not in a
# $(...): one fork less per job, which is most of a worker's answer when it runs many
# jobs; the boot id is read by the shell too.
# The arguments (lib/args.sh).
: "${root=}" "${jobs=}"
R=$root
. lib/facts.sh
. lib/queue.sh
kick_if_queued
set -f
# shellcheck disable=SC2086 # the list, split at spaces (ids and processes hold none)
set -- $jobs
set +f
l=
for a in "$@"; do
	case $a in
	*:slurm:*)
		n=${a##*:}
		case $n in "" | *[!0-9_]*) ;; *) l=$l,$n ;; esac
		;;
	esac
done
if [ -n "$l" ]; then
	U=$(printf "\037")
	set -f
	for w in $(squeue -h -t all -j "${l#,}" -o "%i %T:%r" 2>/dev/null | tr " \n" "\037 "); do
		n=${w%%"$U"*}
		case $n in "" | *[!0-9_]*) continue ;; esac
		# shellcheck disable=SC2034 # read by the eval
		v=${w#*"$U"}
		eval "S_$n=\$v"
	done
	set +f
fi
b=
read -r b </proc/sys/kernel/random/boot_id 2>/dev/null
printf "boot %s\n" "${b:--}"
for a in "$@"; do
	i=${a%%:*}
	P=
	case $a in *:*) P=${a#*:} ;; esac
	J=$R/jobs/$i
	if [ -d "$J" ]; then
		printf "job %s " "$i"
		facts
		printf "\n"
	else
		printf "job %s missing\n" "$i"
	fi
done
