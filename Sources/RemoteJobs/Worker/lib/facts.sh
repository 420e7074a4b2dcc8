# shellcheck shell=sh
# What every script about a job knows how to find out: whether it is alive, what it left,
# how large its log is. The job is the directory $J (R/jobs/ID) and its recorded process
# $P: its pid as recorded at launch, or slurm:ID for a job handed to Slurm. Files are read
# with the shell's `read`: a poll forks as little as it can.

. lib/proc.sh
. lib/slurm.sh
. lib/queue.sh

# The log measured: output.log unless the script chose stderr.log (lib/begin.sh sets it).
: "${pL:=output.log}"

# sq ID: sets Q to what Slurm says of job ID, STATE:REASON with spaces as \037 (so it stays
# one field), or "-": from S_ID when the caller asked squeue about many jobs at once, else
# from squeue, else from sacct where accounting exists.
sq() {
	Q=-
	case $1 in "" | *[!0-9_]*) return ;; esac
	eval "Q=\${S_$1:--}"
	if [ "$Q" = - ]; then
		Q=$(squeue -h -t all -j "$1" -o "%T:%r" 2>/dev/null | head -n 1 | tr " " "\037")
		if [ -z "$Q" ] && command -v sacct >/dev/null 2>&1; then
			Q=$(sacct -n -X -P -j "$1" -o State,Reason 2>/dev/null | head -n 1 | tr "| " ":\037")
		fi
		Q=${Q:--}
	fi
}

# up: whether the job $p is alive. For a Slurm job, whether Slurm lists it in a state that
# has not ended (lib/slurm.sh); else whether its process-group leader $p is alive:
# a zombie (dead, not yet reaped by init) is not, nor is one reaped between the two
# checks (from /proc where there is one, else from ps). A $p that is not a pid above 1 (a
# job can write anything into its pid file) is not alive.
up() {
	case $p in
	slurm:*)
		sq "${p#slurm:}"
		slurm_live "$Q"
		return
		;;
	"" | *[!0-9]*) return 1 ;;
	esac
	[ "$p" -gt 1 ] && kill -0 "$p" 2>/dev/null || return 1
	if [ -d "/proc/$p" ]; then
		zombie "$p" && return 1
		return 0
	fi
	command -v ps >/dev/null 2>&1 || return 0
	case $(ps -o stat= -p "$p" 2>/dev/null) in "" | Z*) return 1 ;; esac
	return 0
}

# size: prints the size of log $pL of the job (0 when it is gone).
size() {
	fsize "$J/$pL"
	echo $fz
}

# full: whether the file system holding $J has no room left (under 64 KB, or no inode).
full() {
	k=$(df -Pk "$J" 2>/dev/null | awk "NR==2 {print \$4}")
	m=$(df -Pi "$J" 2>/dev/null | awk "NR==2 {print \$4}")
	[ "${k:-99}" -lt 64 ] 2>/dev/null || [ "${m:-1}" = 0 ]
}

# qr: sets Q to the queue state of the job waiting in the worker's queue (WorkerQueue):
# QUEUED:position N[, after IDS], spaces as \037.
qr() {
	k=1
	for e in "${J%/jobs/*}"/queue/*; do
		case $e in *-"${J##*/}") break ;; esac
		if [ -e "$e" ]; then k=$((k + 1)); fi
	done
	Q=$(printf "QUEUED:position\037%s" $k)
	if [ -f "$J/after" ]; then
		read -r _ L <"$J/after"
		Q=$Q$(printf ",\037after\037%s" "$(echo "$L" | tr "," "\n" | cut -c1-8 | paste -sd, -)")
	fi
}

# facts: prints the job's facts (JobFacts), eight fields: "alive exitcode stopped ended_at
# disk slurm started_at attempts" (attempts: the ended attempts of a job with --retry,
# as J/attempts holds them). "-" is an absent file, "?" content that is not what p writes
# there. The exit code comes from the wrapper's exit.N marker, with "full" as the disk
# field, when the disk was full as the job ended. The Slurm field is Q for a Slurm job; for
# a job waiting in the worker's queue (which is alive) QUEUED:position N[, after IDS]
# (`qr`); PAUSED for a job `p pause` stopped (its paused marker, and its leader's state T
# where /proc tells); else "-". The process is checked before the exit code is read, so a
# job that ends in between is seen with its code. $P falls back to the slurm_id file, then
# the pid file; a job the queue has just started, whose wrapper has no pid file yet
# (`launching`), is alive.
facts() {
	a=0
	p=$P
	if [ -z "$p" ]; then
		if [ -f "$J/slurm_id" ]; then
			read -r p <"$J/slurm_id"
			p=slurm:$p
		elif [ -f "$J/pid" ]; then
			read -r p <"$J/pid"
		fi
	fi
	Q=-
	if [ -f "$J/queued" ]; then
		a=1
		qr
	elif [ -z "$p" ] && launching "$J"; then
		# Just taken from the queue, its wrapper yet to write its pid: it runs (seen as
		# neither queued nor alive, it was once taken for a job whose files are gone).
		a=1
	elif up; then
		a=1
		if [ -f "$J/paused" ]; then
			Q=PAUSED
			if [ -r "/proc/$p/stat" ] && read -r l <"/proc/$p/stat" 2>/dev/null; then
				case ${l##*) } in T*) ;; *) Q=- ;; esac
			fi
		fi
	fi
	x=-
	s=-
	e=-
	d=-
	b=-
	if [ -f "$J/exitcode" ]; then
		read -r x <"$J/exitcode"
		case $x in "" | *[!0-9]*) x="?" ;; esac
	fi
	case $x in
	- | "?")
		for f in "$J"/exit.[0-9]*; do
			if [ -f "$f" ]; then
				x=${f##*.}
				d=full
			fi
		done
		;;
	esac
	if [ -f "$J/stopped" ]; then
		read -r s <"$J/stopped"
		case $s in "" | *[!A-Za-z0-9_]*) s="?" ;; esac
	fi
	if [ -f "$J/ended_at" ]; then
		read -r e <"$J/ended_at"
		case $e in "" | *[!0-9]*) e="?" ;; esac
	fi
	if [ $a = 0 ] && [ $d = - ]; then
		case $x in - | "?") if full; then d=full; fi ;; esac
	fi
	if [ -f "$J/started_at" ]; then
		read -r b <"$J/started_at"
		case $b in "" | *[!0-9]*) b="?" ;; esac
	fi
	Y=-
	if [ -f "$J/attempts" ]; then
		read -r Y <"$J/attempts"
		case $Y in "" | *[!0-9:,]*) Y="?" ;; esac
	fi
	printf "%s %s %s %s %s %s %s %s" $a "$x" "$s" "$e" $d "$Q" "$b" "$Y"
}
