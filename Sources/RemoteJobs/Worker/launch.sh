# shellcheck shell=sh
# Starts a job (LaunchScript): creates its directories and files from stdin
# (lib/job-files.sh), claims its GPUs, then starts its wrapper (run.sh) detached, or hands
# the job to the worker's queue (kick.sh) when it has slots or dependencies, reports
# "p-start PID STARTED_AT BOOT_ID" on stderr and, with follow=1, streams the output as
# follow.sh does.
#
# Arguments, besides those of lib/job-files.sh: timeout (seconds, 0 for none), grace
# (seconds between TERM and KILL), follow (1 or 0), runner (how run.sh runs the command),
# slots (the worker's slots; empty for no limit), after ("ok|any ID,ID..."; empty for
# none), kick (the text of kick.sh), gpus (how many to claim), group ("ARRAY CAP" for an
# element of a job array: at most CAP of the array run at once here, 0 for no cap; the
# element always goes through the queue), and those of lib/spare.sh
# (spare, spare_drop, spare_need: the spare copy of a freshly synced work directory).
#
# The wrapper starts from a subshell that exits at once, so the job is never a descendant
# of the SSH session, in a session and process group of its own; it writes its pid, which
# the launch waits for. The pid reported is the one the launch started ($!: setsid and
# perl exec in place), not whatever the pid file holds by then: the job may already have
# rewritten it. The file counts only where setsid had to fork (the started process is
# then gone). Exit codes: those of lib/job-files.sh; 92 (neither setsid nor perl), 93
# (the job did not start), 96 (too few free GPUs).
# The arguments (lib/args.sh).
: "${root=}" "${id=}" "${workdir=}" "${prepared=}" "${once=}" "${separate_stderr=}" "${max_log=}" "${retry=}" "${wrapper=}" "${cwd_length=}" "${worker_length=}" "${env_length=}" "${on_end_length=}" "${command_length=}" "${timeout=}" "${grace=}" "${follow=}" "${runner=}" "${slots=}" "${after=}" "${kick=}" "${gpus=}" "${group=}" "${spare=}" "${spare_drop=}" "${spare_need=}"
. lib/job.sh
. lib/queue.sh
. lib/gpus.sh
. lib/signals.sh
. lib/job-files.sh
. lib/spare.sh

if [ "${gpus:-0}" -gt 0 ]; then gclaim "$gpus" "$id" || fail 96; fi
spare_begin

# A job that may have to wait (slots or dependencies) goes through the queue: its
# wrapper's arguments are left in J/start, kick and the slots installed, and `kick add`
# queues it (and starts it at once if it may run); prints p-queued. When following, it
# waits for the job's pid (every 50 ms; the queue state every second, printed as
# "p-state QUEUED:REASON" when it changes), then reports p-start and streams; a job ended
# or taken out of the queue before it ran gets the stream of its log and the trailer.
if [ -n "$slots$after$group" ]; then
	reset_with
	printf "%s\n" "job=$J" "workdir=$W" "timeout=$timeout" "grace=$grace" "runner=$runner" \
		"umask=$m" "reset=$G" >"$J/start" || fail 91
	if [ -n "$after" ]; then printf "%s\n" "$after" >"$J/after" || fail 91; fi
	if [ -n "$group" ]; then printf "%s\n" "$group" >"$J/group" || fail 91; fi
	# shellcheck disable=SC2015 # any failure fails
	mkdir -p "$R/queue" && printf "%s\n" "$kick" >"$R/kick.$id" && mv -f "$R/kick.$id" "$R/kick" || fail 91
	if [ -n "$slots" ]; then
		echo "$slots" >"$R/slots.$id" && mv -f "$R/slots.$id" "$R/slots"
	else
		rm -f "$R/slots"
	fi
	rm -f "$J/preparing"
	trap - PIPE
	sh "$R/kick" root="$R" add="$id" </dev/null >/dev/null || fail 91
	say_queued
	if [ "$follow" = 1 ]; then
		P=
		r=-
		n=0
		until [ -s "$J/pid" ] || [ -f "$J/exitcode" ]; do
			if [ ! -f "$J/queued" ] && [ ! -f "$J/launched" ]; then break; fi
			if [ $((n % 20)) = 0 ] && [ -f "$J/queued" ]; then
				if [ $n -gt 0 ]; then kick_if_queued; fi
				qr
				if [ "$Q" != "$r" ]; then
					r=$Q
					say_state "$Q"
				fi
			fi
			n=$((n + 1))
			sleep 0.05
			hb 100
		done
		if [ -s "$J/pid" ]; then
			read -r p <"$J/pid"
			case $p in "" | *[!0-9]*) p= ;; esac
			P=$p
			t=-
			read -r t <"$J/started_at" 2>/dev/null
			if [ -n "$p" ]; then
				say_start "$p" "$t" "$(cat "$J/boot_id" 2>/dev/null)"
			fi
		fi
		follow
	fi
	exit 0
fi

if command -v setsid >/dev/null 2>&1; then
	D=setsid
elif command -v perl >/dev/null 2>&1; then
	D=perl
else
	echo "p: the worker has neither setsid nor perl" >&2
	fail 92
fi
reset_with
trap - PIPE
k=$(
	(
		if [ $D = setsid ]; then
			setsid sh "$J/run" job="$J" workdir="$W" timeout="$timeout" grace="$grace" runner="$runner" \
				umask="$m" reset=$G </dev/null >/dev/null 2>&1 &
		else
			perl -MPOSIX -e "POSIX::setsid(); exec @ARGV" sh "$J/run" job="$J" workdir="$W" timeout="$timeout" \
				grace="$grace" runner="$runner" umask="$m" reset=$G </dev/null >/dev/null 2>&1 &
		fi
		echo $!
	)
)
n=0
until [ -s "$J/pid" ] || [ $n -ge 1000 ]; do
	sleep 0.01
	n=$((n + 1))
done
if [ ! -s "$J/pid" ]; then
	echo "p: the job did not start" >&2
	fail 93
fi
read -r p <"$J/pid"
if [ -n "$k" ] && [ "$k" != "$p" ] && kill -0 "$k" 2>/dev/null; then p=$k; fi
case $p in "" | *[!0-9]*) p=$k ;; esac
P=$p
rm -f "$J/preparing"
s=-
read -r s <"$J/started_at" 2>/dev/null
say_start "$p" "$s" "$(cat "$J/boot_id" 2>/dev/null)"
if [ "$follow" = 1 ]; then follow; fi
