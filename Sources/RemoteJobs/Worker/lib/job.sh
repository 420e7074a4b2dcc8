# shellcheck shell=sh
# Steps of the scripts about one job, $J.

. lib/facts.sh
. lib/log.sh

# need_job: ends the script with "p-end missing" on stderr when the job's directory is
# gone.
need_job() {
	if [ ! -d "$J" ]; then
		missing_line >&2
		exit 0
	fi
}

# job_pid PID: sets p and P to the pid of job $J that scripts signal: PID, the one
# recorded at launch, never the pid file the job could rewrite to aim them at other
# processes (except for a job the worker's queue started, which p never saw start and
# which has only that file); empty for anything that is not a pid above 1.
job_pid() {
	p=$1
	if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then read -r p <"$J/pid"; fi
	case $p in "" | *[!0-9]*) p= ;; esac
	if [ -n "$p" ] && [ "$p" -le 1 ]; then p=; fi
	P=$p
}

# trailer: the end of a script about the job: "p-end SIZE[/GA/GB] FACTS" on stderr.
trailer() {
	end_line "$(size)" "$(gp)" "$(facts)" >&2
}

# follow: streams log $pL of the job from byte offset $o to stdout until the job ended
# (or, for a capped log, until it reaches the part dropped: the client skips it and
# follows again), then prints the trailer. It polls the log's size (after 10, 20, 40,
# then every 50 ms; 20 ms after new bytes, so a short job ends quickly and a chatty one
# does not fork a hundred times a second) and copies exactly the new bytes, so it needs
# nothing beyond POSIX tools. It ends as soon as exitcode appears (a process-based end,
# like GNU tail's --pid, waits for init to reap the zombie), and the log is complete by
# then: the last read goes to the size measured after exitcode was seen. Liveness (for a
# job killed without an exit code) is checked every half second; for a Slurm job every 10
# seconds (each check asks the controller), and once its exit code is there, the trailer
# waits (up to 10 s) for Slurm to say how the job ended too.
follow() {
	L=10
	case $P in slurm:*) L=200 ;; esac
	i=0
	q=0
	w=0
	while :; do
		x=0
		if [ -f "$J/exitcode" ]; then
			x=1
		elif [ $((i % L)) = 0 ] && ! up; then
			x=1
		fi
		n=$(size)
		if [ "$n" -gt "$o" ]; then
			if ! rd "$n"; then
				w=1
				break
			fi
			q=1
		fi
		if [ $x = 1 ]; then break; fi
		i=$((i + 1))
		case $q in
		0) sleep 0.01 ;;
		1) sleep 0.02 ;;
		2) sleep 0.04 ;;
		*) sleep 0.05 ;;
		esac
		q=$((q + 1))
		hb 100
	done
	case $P in
	slurm:*)
		n=0
		while [ $w = 0 ] && [ $n -lt 50 ] && up; do
			sleep 0.2
			n=$((n + 1))
		done
		;;
	esac
	trailer
}
