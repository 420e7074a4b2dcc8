# shellcheck shell=sh
# Processes and files, as every script reads them.

# zombie PID: whether process PID (one `kill -0` found) is a zombie: where /proc has the
# process, its exe link no longer resolves (a zombie has no memory left, so no
# executable). One stat: dash's `read` of /proc/PID/stat takes a system call per byte,
# each of which has the kernel write the whole line again. Where there is no /proc
# (macOS), false.
zombie() {
	[ -d "/proc/$1" ] && [ ! -e "/proc/$1/exe" ]
}

# leader DIR: whether the pid file of job directory DIR names a live process: a pid above
# 1 (a job can write anything there), alive, and not a zombie.
leader() {
	k=
	{ read -r k <"$1/pid"; } 2>/dev/null
	case $k in "" | *[!0-9]*) return 1 ;; esac
	[ "$k" -gt 1 ] && kill -0 "$k" 2>/dev/null || return 1
	! zombie "$k"
}

# fsize FILE: sets fz to the size of FILE, 0 when there is none: from `stat -c %s` where
# there is one (BusyBox's `wc -c` wraps at 4 GB), else `wc -c` (macOS).
fsize() {
	fz=$(stat -c %s "$1" 2>/dev/null) || fz=$(wc -c 2>/dev/null <"$1") || fz=0
	fz=$((fz))
}

# hb N: called once per turn of a loop that waits on the worker; prints "p-alive" on
# stderr every N turns (about every 5 s). Once the client is gone, sshd has closed the
# channel, the write fails (or SIGPIPE ends the shell) and the script ends, so no loop
# outlives its client by more than that (p ignores the line).
h=0
hb() {
	h=$((h + 1))
	if [ $h -ge "$1" ]; then
		h=0
		say_alive || exit 0
	fi
}
