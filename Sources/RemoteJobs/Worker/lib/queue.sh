# shellcheck shell=sh
# The worker's queue as the scripts about one job see it (the queue itself: kick.sh).

. lib/proc.sh

# kick_if_queued: runs the queue's kick for root $R when the worker has one: what every
# contact with a worker does, so queued jobs start even when no job ended to start them.
kick_if_queued() {
	if [ -f "$R/kick" ]; then sh "$R/kick" root="$R" </dev/null >/dev/null 2>&1; fi
}

# launching DIR: whether job directory DIR was just started from the queue and its
# wrapper has not written its pid yet. A launched marker over a minute old without a pid
# is a wrapper that died before its first step: that job runs no more, holds no slot, and
# a job after it is not held back.
launching() {
	[ -f "$1/launched" ] && [ ! -f "$1/pid" ] && [ -z "$(find "$1/launched" -mmin +1 2>/dev/null)" ]
}

# await_start: for a script about job $J of root $R that needs it started: waits while
# the job is in the queue (asking the queue to move every second, in case no ending job
# did) or was just launched from it (up to 10 s for its wrapper's pid), then takes the
# pid from the pid file when none was recorded (the queue started the job, p never saw it
# start).
await_start() {
	n=0
	while { [ -f "$J/queued" ] || { [ -f "$J/launched" ] && [ $n -lt 200 ]; }; } &&
		[ ! -f "$J/pid" ] && [ ! -f "$J/exitcode" ]; do
		n=$((n + 1))
		if [ $((n % 20)) = 0 ]; then kick_if_queued; fi
		sleep 0.05
		hb 100
	done
	if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then
		read -r p <"$J/pid"
		case $p in "" | *[!0-9]*) p= ;; esac
		# shellcheck disable=SC2034 # the pid the script's later steps watch (lib/facts.sh)
		P=$p
	fi
}
