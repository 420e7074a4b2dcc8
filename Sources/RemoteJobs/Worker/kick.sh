# shellcheck shell=sh
# The worker's queue (WorkerQueue): jobs that wait for a free slot (R/slots) or for the
# jobs they run after (--after), in R/queue/SEQUENCE-ID, started in that order by this
# program, with no daemon: written to R/kick by every launch that queues (so the worker
# always has the latest), and run by the wrapper of every ending job, by every launch,
# `p ls`, `p wait` and `p logs -f`, so a reboot or a job killed outright never strands the
# queue.
#
#   sh R/kick root=R [add=ID | remove=ID]
#
# Under the queue's lock (lib/lock.sh): add gives job ID the next sequence number and its
# entry; remove takes it out of the queue (printing "removed" when it was still queued).
# Then it counts the running jobs of the root (a live pid without an exit code, or one
# being launched) and walks the queue in order: a job whose dependencies (J/after: "ok|any
# ID,ID...", where ID:CODE is one that had already ended when the job was submitted, with
# that exit code, or "-" for none, so its files need not stay) still run or wait is passed
# over; one with a dependency that failed (ok), or ended without a code, or is gone, is
# ended without running: a line in its log says why, its exit code is 1; an element of a
# job array (J/group) waits while its array runs its cap (`%N`, shared among the workers)
# here; the others start while slots allow, each with the arguments its launch left in J/start, detached with
# setsid (or perl), as a launch starts a job. A job is claimed by renaming its queue entry
# to J/launched (then touched: the claim's time), which only one process can do, so no job
# ever starts twice.
#
# The next sequence number comes from the entries themselves (the last one's, plus one; 1
# for an empty queue), never from a counter a crash or a job could leave at any value:
# numbers stay within the twelve digits an entry's name has.

# What is not given is empty, whatever the environment holds.
root=
add=
remove=
case ${1:-} in
root=*)
	. lib/args.sh
	;;
*)
	# The wrapper of a job an older p started runs `sh R/kick R`.
	root=${1:-}
	;;
esac
R=$root
if [ ! -d "$R/queue" ]; then exit 0; fi
if [ -z "$add$remove" ]; then
	set -- "$R"/queue/*
	if [ ! -e "$1" ]; then exit 0; fi
fi
. lib/proc.sh
. lib/queue.sh
. lib/lock.sh

if [ -n "$add" ]; then
	s=0
	for e in "$R"/queue/*; do
		x=${e##*/}
		x=${x%%-*}
		case $x in "" | *[!0-9]*) ;; *) s=$x ;; esac
	done
	s=${s#"${s%%[!0]*}"}
	if [ ${#s} -gt 12 ]; then s=999999999999; fi
	s=$((${s:-0} + 1))
	if [ $s -gt 999999999999 ]; then s=999999999999; fi
	echo $s >"$R/jobs/$add/queued"
	: >"$R/queue/$(printf "%012d" $s)-$add"
elif [ -n "$remove" ]; then
	if [ -f "$R/jobs/$remove/queued" ]; then
		rm -f "$R/jobs/$remove/queued" "$R"/queue/*-"$remove"
		echo removed
	fi
	exit 0
fi

S=0
{ read -r S <"$R/slots"; } 2>/dev/null
case $S in "" | *[!0-9]*) S=0 ;; esac

# ended_unrun WHY: ends queued job $J without running it, WHY in its log.
ended_unrun() {
	printf "%s\n" "$1" >>"$J/output.log"
	date +%s >"$J/ended_at"
	echo 1 >"$J/exitcode.tmp" && mv -f "$J/exitcode.tmp" "$J/exitcode"
	rm -f "$J/queued" "$e"
}

# group DIR: sets A to the array job DIR belongs to (J/group: "ARRAY CAP"), N to that
# array's cap on this worker (0 for none); both empty, and N 0, for a job of no array.
group() {
	A=
	N=0
	if [ -f "$1/group" ]; then read -r A N <"$1/group"; fi
	case $A in *[!0-9a-f-]*) A= ;; esac
	case $N in "" | *[!0-9]*) N=0 ;; esac
}

# H: the arrays of the running jobs, a word per job.
r=0
H=
for j in "$R"/jobs/*; do
	if [ -f "$j/queued" ] || [ -f "$j/exitcode" ]; then continue; fi
	if launching "$j" || leader "$j"; then
		r=$((r + 1))
		group "$j"
		H="$H $A"
	fi
done

for e in "$R"/queue/*; do
	if [ ! -e "$e" ]; then continue; fi
	i=${e##*/}
	i=${i#*-}
	J=$R/jobs/$i
	if [ ! -f "$J/queued" ]; then
		rm -f "$e"
		continue
	fi
	d=go
	if [ -f "$J/after" ]; then
		read -r M L <"$J/after"
		for x in $(echo "$L" | tr "," " "); do
			c=
			case $x in
			*:*)
				c=${x#*:}
				x=${x%%:*}
				case $c in "" | *[!0-9]*) c=gone ;; esac
				;;
			*)
				X=$R/jobs/$x
				if [ -f "$X/exitcode" ]; then
					read -r c <"$X/exitcode"
				elif [ -f "$X/queued" ] || launching "$X" || leader "$X"; then
					d="wait"
					break
				else
					c=gone
				fi
				;;
			esac
			if [ "$M" = ok ] && [ "$c" != 0 ]; then
				d=fail
				break
			fi
		done
	fi
	if [ $d = wait ]; then continue; fi
	if [ $d = fail ]; then
		if [ "$c" = gone ]; then w="ended without an exit code, or is gone"; else w="failed (exit $c)"; fi
		ended_unrun "p: not started: job $x, which it runs after, $w"
		continue
	fi
	if [ "$S" -gt 0 ] && [ $r -ge "$S" ]; then break; fi
	# An element of an array waits while its array runs as many as its cap here.
	group "$J"
	if [ -n "$A" ] && [ "$N" -gt 0 ]; then
		n=0
		for y in $H; do if [ "$y" = "$A" ]; then n=$((n + 1)); fi; done
		if [ $n -ge "$N" ]; then continue; fi
	fi
	# The wrapper's arguments, a line each (an older p left seven, by position).
	set --
	while IFS= read -r l; do set -- "$@" "$l"; done <"$J/start"
	if [ $# -lt 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
		ended_unrun "p: not started: the arguments its launch left (start) cannot be read"
		continue
	fi
	mv "$e" "$J/launched" 2>/dev/null || continue
	touch "$J/launched"
	rm -f "$J/queued"
	if command -v setsid >/dev/null 2>&1; then
		(setsid sh "$J/run" "$@" </dev/null >/dev/null 2>&1 9>&- &)
	else
		(perl -MPOSIX -e "POSIX::setsid(); exec @ARGV" sh "$J/run" "$@" </dev/null >/dev/null 2>&1 9>&- &)
	fi
	r=$((r + 1))
	H="$H $A"
done
