# shellcheck shell=sh
# The queue's lock (kick.sh), held for as long as the kick runs: flock(2) on
# R/queue.flock through file descriptor 9, by util-linux's (or BusyBox's) flock, else by
# perl, which lock the open file the shell holds, so the kernel releases it when the kick
# ends however it ends: no crash leaves a lock behind. (The programs a kick starts get fd 9
# closed.) Where there is neither, a symbolic link R/queue.lock naming its owner's pid,
# made in one step (ln -s), broken only when it is over a minute old (a kick takes
# milliseconds): breaking it when its owner looked gone let a waiter remove the lock the
# next kick had just taken, as the owner ended normally. An older p's lock directory is
# broken when its owner is gone. Gives up, with a message, after 30 s (75 s for the link).
if command -v flock >/dev/null 2>&1; then
	if ! { exec 9>>"$R/queue.flock" && flock -w 30 9; }; then
		echo "p: the queue of the worker stayed locked for 30 s ($R/queue.flock)" >&2
		exit 1
	fi
elif command -v perl >/dev/null 2>&1; then
	if ! { exec 9>>"$R/queue.flock" &&
		perl -MFcntl=:flock -e "for (1..600) { exit 0 if flock(STDIN, LOCK_EX | LOCK_NB); select(undef, undef, undef, 0.05) } exit 1" <&9; }; then
		echo "p: the queue of the worker stayed locked for 30 s ($R/queue.flock)" >&2
		exit 1
	fi
else
	n=0
	until ln -s "$$" "$R/queue.lock" 2>/dev/null && [ -L "$R/queue.lock" ]; do
		rm -f "$R/queue.lock/$$" 2>/dev/null
		if [ -L "$R/queue.lock" ]; then
			if [ -n "$(find "$R/queue.lock" -prune -mmin +1 2>/dev/null)" ]; then
				rm -f "$R/queue.lock"
				continue
			fi
		elif [ -d "$R/queue.lock" ]; then
			o=
			{ read -r o <"$R/queue.lock/pid"; } 2>/dev/null
			case $o in "" | *[!0-9]*) o=0 ;; esac
			if [ "$o" -le 1 ] || ! kill -0 "$o" 2>/dev/null; then
				rm -rf "$R/queue.lock"
				continue
			fi
		else
			continue
		fi
		n=$((n + 1))
		if [ $n -gt 1500 ]; then
			echo "p: the queue of the worker stayed locked for 75 s ($R/queue.lock)" >&2
			exit 1
		fi
		sleep 0.05
	done
	trap "rm -f \"\$R/queue.lock\"" EXIT
fi
