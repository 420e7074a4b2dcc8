# shellcheck shell=sh
# Removes the files of jobs on one worker (RemoveScript). Prints "removed" last.
#
# Arguments: root, force (1 or 0), jobs ("ID[:PROCESS] ...", each with the process
# recorded at launch where there is one; a job the worker's queue started has only its
# validated pid file).
#
# A job whose wrapper still runs is kept ("kept ID running"), whatever its record says:
# its --on-end command runs in its work directory after the exit code is written, and a
# record may be stale. With force 1 the wrapper's process group is killed first (a Slurm
# job cancelled). Where /proc tells, a process counts as the wrapper only while its
# command line names the job's run file, so a pid the system gave to another process
# since is neither waited for nor killed. A job that a job waiting in the queue runs after
# is kept too ("kept ID needed WAITER"): the queue decides by its exit code. Write
# permission is restored before removing, since build tools leave read-only trees (Go's
# module cache) that rm -rf refuses. A removed job of a client key that started leaves its
# request in R/keys/ID for 30 days, so the key is not run again there (claim-job.sh).
# The arguments (lib/args.sh).
: "${root=}" "${force=}" "${jobs=}"
R=$root
F=$force
. lib/facts.sh
set -f
# shellcheck disable=SC2086 # the list, split at spaces (ids and processes hold none)
set -- $jobs
set +f

# ours: whether process $p runs job $i's wrapper.
ours() {
	[ -r "/proc/$p/cmdline" ] || return 0
	case $(tr "\000" " " <"/proc/$p/cmdline" 2>/dev/null) in *"/jobs/$i/run "*) return 0 ;; esac
	return 1
}

# needed ID: prints the id of a queued job that runs after job ID, if any.
needed() {
	for q in "$R"/jobs/*/queued; do
		[ -f "$q" ] || continue
		d=${q%/queued}
		L=
		{ read -r _ L <"$d/after"; } 2>/dev/null
		case ,$L, in
		*,"$1",*)
			echo "${d##*/}"
			return 0
			;;
		esac
	done
	return 1
}

for a in "$@"; do
	i=${a%%:*}
	P=
	case $a in *:*) P=${a#*:} ;; esac
	J=$R/jobs/$i
	p=$P
	if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then read -r p <"$J/pid"; fi
	if [ -n "$p" ] && up && ours; then
		if [ "$F" != 1 ]; then
			echo "kept $i running"
			continue
		fi
		case $p in
		slurm:*) scancel "${p#slurm:}" 2>/dev/null ;;
		*)
			kill -KILL -"$p" 2>/dev/null
			n=0
			while kill -0 -"$p" 2>/dev/null && [ $n -lt 40 ]; do
				sleep 0.05
				n=$((n + 1))
			done
			;;
		esac
	fi
	if [ "$F" != 1 ] && w=$(needed "$i"); then
		echo "kept $i needed $w"
		continue
	fi
	if [ -f "$J/request" ] && [ -e "$J/cmd" ]; then mkdir -p "$R/keys" && cp "$J/request" "$R/keys/$i"; fi
	chmod -R u+w "$R/workdirs/$i" "$R/spares/$i" 2>/dev/null
	rm -rf "$J" "$R/workdirs/$i" "$R/spares/$i"
done
find "$R/keys" -type f -mtime +30 -exec rm -f {} + 2>/dev/null
echo removed
