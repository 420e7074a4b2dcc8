# shellcheck shell=sh
# The job's wrapper (LaunchScript.wrapper), written to R/jobs/ID/run by the launch and
# started with setsid in a session of its own (or by Slurm as the batch script, its own
# process-group leader there), or by the worker's queue.
#
# Arguments: job (its directory), workdir, timeout and grace (seconds), runner ("argument",
# or the text that evaluates a command too long to be an argument), umask (the login's),
# reset (how the command's signals are reset: perl, env or -).
#
# It notes when the job started (started_at), then its pid. It runs the words exactly as
# sshd runs `ssh host <words>`: the user's login shell ($SHELL) with -c <words> in the
# work directory, with its own name as argv[0], as sshd gives it, so $0, the shell's
# messages ("bash: line 1: ..."), the exec of a lone command (and of the last one of a
# list: no shell is left to print a notice when it is killed) and the exit code are
# ssh's. The name is set through perl (which also resets the signals, below); without
# perl, a Bourne-family shell gets it as $0 after the words (BusyBox's ash then adds
# "line 0:" to its messages). The words are read from the cmd file into a variable, never
# spliced into the wrapper's text. Words too long for one argument (the kernel takes up to
# 128 KiB; ssh itself cannot run them) are evaluated from the file instead: then $0 is the
# file's path, and so are the shell's messages. The job's variables (env) reach the
# command only: they are loaded in the subshell that execs it, and the programs the
# wrapper runs the command through are found first, so a job's PATH or SHELL never changes
# how p's own steps run. SHLVL is unset for the command, as under sshd, so bash counts
# itself a first-level shell and reads ~/.bashrc as it does for ssh.
#
# The command's output is appended to the log (every attempt's, with --retry: below), and
# its exact status (128+N for signal N)
# recorded atomically; when the disk is too full to write it, an empty marker exit.N
# carries it in its name. The wrapper's own stdout and stderr go nowhere, and the log
# redirection is made in a subshell that execs the command (dash prints "Killed" on the
# stderr of the command it waited for), so no message of its own lands in the log. p's
# files are private (umask 077), but the command runs with the login's own umask.
#
# The command starts with every signal at its default disposition, as under ssh: the
# launcher's `&` makes the wrapper start with INT and QUIT ignored (a non-interactive
# shell does that to background commands, and a shell cannot undo an ignore it
# inherited), and ignored signals pass on through exec. So the command is exec'd through
# perl (which resets them all and sets argv[0]) or GNU env --default-signal; with neither,
# it inherits the wrapper's. The wrapper itself traps TERM, INT, HUP, QUIT, USR1, USR2 and
# ALRM (the signals `p stop --signal` may send that end a process by default; the
# watchdog and the capper ignore them), so that it outlives a signal to the group and
# records the status. A real-time signal (a number above 31) ends the wrapper too: the
# job then ends without an exit code.
# The arguments (lib/args.sh).
: "${job=}" "${workdir=}" "${timeout=}" "${grace=}" "${runner=}" "${umask=}" "${reset=}"
. lib/args.sh
. lib/queue.sh
. lib/gpus.sh
. lib/proc.sh

J=$job
W=$workdir
U=${umask:-022}
G=${reset:--}
trap "true" TERM INT HUP QUIT USR1 USR2 ALRM
date +%s >"$J/started_at"
echo $$ >"$J/pid.tmp"
mv -f "$J/pid.tmp" "$J/pid"
if ! cd "$W" 2>/dev/null; then
	echo "p: cannot enter the work directory $W" >>"$J/output.log"
	echo 126 >"$J/exitcode.tmp"
	mv -f "$J/exitcode.tmp" "$J/exitcode"
	exit 126
fi

# With a time limit, a watchdog in the job's process group stops it as `p stop` would.
if [ "$timeout" -gt 0 ]; then
	(
		trap "" TERM INT HUP QUIT USR1 USR2 ALRM
		n=0
		while [ $n -lt "$timeout" ]; do
			sleep 1
			n=$((n + 1))
			if [ -f "$J/exitcode" ]; then exit 0; fi
		done
		echo timeout >"$J/stopped.tmp"
		mv -f "$J/stopped.tmp" "$J/stopped"
		kill -TERM -$$ 2>/dev/null
		n=0
		while [ $n -lt $((grace * 10)) ]; do
			if [ -f "$J/exitcode" ]; then exit 0; fi
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL -$$ 2>/dev/null
	) &
fi

# With a cap on the logs, the capper (CappedLog) runs beside the job in its process group
# (so `p stop` and `p pause` reach it): every 200 ms (50 ms after it dropped something) it
# caps each log, and it ends after one last look once the job has an exit code, or when
# the wrapper is gone. The first half of the cap (in whole 4 KB blocks) is kept for good;
# once the log has grown past the cap by a quarter more, everything between that head and
# the last half of the cap is dropped, and again each time it grew another quarter. The
# gap file is written before the hole is punched.
if [ -f "$J/max_log" ]; then
	(
		trap "" TERM INT HUP QUIT USR1 USR2 ALRM
		read -r X <"$J/max_log"
		H=$((X / 2 / 4096 * 4096))
		T=$((X - H))
		L=$((X / 4))
		cp1() {
			fsize "$1"
			n=$fz
			b=$H
			if [ -f "$1.gap" ]; then read -r _ b <"$1.gap"; fi
			e=$(((n - T) / 4096 * 4096))
			if [ $e -ge $((b + L)) ]; then
				echo "$H $e" >"$1.gap.tmp" && mv -f "$1.gap.tmp" "$1.gap" && fallocate -p -o "$b" -l $((e - b)) "$1"
				return 0
			fi
			return 1
		}
		while :; do
			x=0
			if [ -f "$J/exitcode" ] || ! kill -0 $$ 2>/dev/null; then x=1; fi
			z=0
			for f in "$J/output.log" "$J/stderr.log"; do
				if [ -f "$f" ] && cp1 "$f"; then z=1; fi
			done
			if [ $x = 1 ]; then exit 0; fi
			if [ $z = 1 ]; then sleep 0.05; else sleep 0.2; fi
		done
	) &
fi

# How the command runs: S is the login shell, N its name; B=1 for a Bourne-family shell.
# L=1: the job's variables are loaded before the exec (else the runner loads them).
S=${SHELL:-/bin/sh}
N=${S##*/}
X=$runner
B=0
L=1
case $N in bash | sh | dash | zsh | ksh | mksh | ash | yash | posh) B=1 ;; esac
if [ "$runner" = argument ]; then
	w=$(
		cat "$J/cmd"
		echo .
	)
	w=${w%.}
	set -- -c "$w"
elif [ $B = 1 ]; then
	L=0
	set -- -c "$runner" "$J/cmd"
else
	set -- "$J/cmd"
fi
if [ "$G" != perl ] && [ "$X" = argument ] && [ $B = 1 ]; then set -- "$@" "$N"; fi
case $G in
perl)
	set -- "$(command -v perl)" -e "\$SIG{\$_} = q(DEFAULT) for keys %SIG; my \$p = shift; exec {\$p} @ARGV or die qq(p: cannot run \$p: \$!\n)" "$S" "$N" "$@"
	;;
env) set -- "$(command -v env)" --default-signal "$S" "$@" ;;
*) set -- "$S" "$@" ;;
esac
# Retries (J/retry: "MAX failed" or "MAX CODE,CODE,..."): while the command ends as the
# policy says (any failure, or one of the codes), was not stopped, and fewer than MAX
# retries ran, it runs again after a backoff (1 s, doubling, at most 30 s), appending to
# the same log. Each ended attempt is added to J/attempts, one line of
# "N:STARTED:ENDED:CODE:OFFSET" entries separated by commas (OFFSET: where its output
# begins in the log); the last attempt is the job's own (its exit code, its end).
M=0
Y=
if [ -f "$J/retry" ]; then read -r M Y <"$J/retry"; fi
case $M in "" | *[!0-9]*) M=0 ;; esac
A=1
while :; do
	K=$(date +%s)
	fsize "$J/output.log"
	O=$fz
	if [ -f "$J/stderr.log" ]; then
		(
			umask "$U"
			unset SHLVL
			# shellcheck source=/dev/null # the job's variables
			if [ $L = 1 ] && [ -f "$J/env" ]; then . "$J/env"; fi
			exec "$@" </dev/null >>"$J/output.log" 2>>"$J/stderr.log"
		)
		c=$?
	else
		(
			umask "$U"
			unset SHLVL
			# shellcheck source=/dev/null # the job's variables
			if [ $L = 1 ] && [ -f "$J/env" ]; then . "$J/env"; fi
			exec "$@" </dev/null >>"$J/output.log" 2>&1
		)
		c=$?
	fi
	if [ $A -gt "$M" ] || [ -f "$J/stopped" ]; then break; fi
	case $Y in
	failed) if [ "$c" = 0 ]; then break; fi ;;
	*) case ",$Y," in *",$c,"*) ;; *) break ;; esac ;;
	esac
	V=$A:$K:$(date +%s):$c:$O
	if [ -f "$J/attempts" ]; then read -r Z <"$J/attempts" && V=$Z,$V; fi
	echo "$V" >"$J/attempts.tmp" && mv -f "$J/attempts.tmp" "$J/attempts"
	Z=$((1 << (A - 1)))
	if [ $Z -gt 30 ]; then Z=30; fi
	sleep $Z
	if [ -f "$J/stopped" ]; then break; fi
	A=$((A + 1))
done
date +%s >"$J/ended_at"
if echo "$c" >"$J/exitcode.tmp" && [ -s "$J/exitcode.tmp" ] && mv -f "$J/exitcode.tmp" "$J/exitcode"; then
	:
else
	rm -f "$J/exitcode.tmp"
	: >"$J/exit.$c"
fi

# The on_end command (--on-end), if the job has one: run by the user's shell in the work
# directory with the job's variables and P_JOB_ID, P_JOB_STATUS (done, failed, stopped)
# and P_JOB_EXIT_CODE, its stdin empty and its output in on_end.log, with the signals the
# wrapper traps back at their defaults.
if [ -f "$J/on_end" ]; then
	t=failed
	if [ -f "$J/stopped" ]; then
		t=stopped
	elif [ "$c" = 0 ]; then
		t="done"
	fi
	(
		trap - TERM INT HUP QUIT USR1 USR2 ALRM
		umask "$U"
		# shellcheck source=/dev/null # the job's variables
		if [ -f "$J/env" ]; then . "$J/env"; fi
		P_JOB_ID=${J##*/}
		P_JOB_STATUS=$t
		P_JOB_EXIT_CODE=$c
		export P_JOB_ID P_JOB_STATUS P_JOB_EXIT_CODE
		exec "$S" -c "$(cat "$J/on_end")"
	) </dev/null >"$J/on_end.log" 2>&1
fi

# Last, the job's GPUs go back, and the queue moves, so the next queued job starts.
R=${J%/jobs/*}
grelease
kick_if_queued
