# shellcheck shell=sh
# The first part of a launch (launch.sh, slurm-launch.sh): checks that a prepared job's
# directories still exist, creates them (R/jobs/ID and R/workdirs/NAME, 0700) and the
# job's files from stdin, writes the wrapper to "run" and an empty log. Any failure
# removes what it made: exit 90 (cannot create the directories), 91 (the files did not
# arrive whole), 94 (a prepared job's files vanished), 95 (logs cannot be capped), 97
# (a keyed job already started). Sets J, W, R, m (the login's umask) and fail.
#
# Arguments: root, id, workdir (the work directory's name under R/workdirs), prepared (1:
# synced or claimed before, so its directories must still exist), once (1: a client
# key's job, which must never start twice), separate_stderr (1: the command's stderr
# goes to stderr.log), max_log (the cap in bytes, 0 for none), retry ("MAX failed" or
# "MAX CODE,CODE...": the retries the wrapper makes, written to J/retry; empty for none),
# wrapper (the text of
# run.sh), and the lengths of what stdin holds, in this order: cwd_length, worker_length,
# env_length, on_end_length, command_length (the command is what remains).
#
# SIGPIPE is ignored until the job starts, so a message to a client that is gone cannot
# end the script before it cleaned up. The command is written beside cmd and put in place
# only once every file arrived whole, so a cmd is always the whole command; for a keyed
# job with `ln`, which fails on an existing name, so of two launches of one job only one
# starts it.

. lib/facts.sh
. lib/capped.sh

# Its arguments (lib/args.sh), those of the programs that include it.
: "${root=}" "${id=}" "${workdir=}" "${prepared=}" "${once=}" "${separate_stderr=}" "${max_log=}" "${retry=}" "${wrapper=}"
: "${cwd_length=}" "${worker_length=}" "${env_length=}" "${on_end_length=}" "${command_length=}"
trap "" PIPE
m=$(umask)
umask 077
# shellcheck disable=SC2034 # the offset a following launch streams from (lib/job.sh)
o=0
J=$root
Z=$root
if [ "$prepared" = 1 ] && { [ ! -d "$root/jobs/$id" ] || [ ! -d "$root/workdirs/$workdir" ]; }; then
	echo "p: the files of the job vanished from the worker while it was being prepared (removed with p rm --force?); it was not started" >&2
	exit 94
fi

# room: says so when the disk is full.
room() {
	if full; then echo "p: no space left on the disk of the worker that holds $Z" >&2; fi
}

if mkdir -p "$root/jobs/$id" "$root/workdirs/$workdir" && R=$(cd "$root" && pwd); then
	:
else
	room
	rmdir "$root/jobs/$id" 2>/dev/null
	exit 90
fi
J=$R/jobs/$id
W=$R/workdirs/$workdir

# fail CODE: removes what the launch made (not a keyed job's work directory, which its
# claim made) and exits with CODE.
fail() {
	room
	rm -rf "$J"
	if [ "$prepared" != 1 ]; then rm -rf "$W"; fi
	exit "$1"
}

chmod 700 "$R" "$R/jobs" "$R/workdirs" 2>/dev/null
# shellcheck disable=SC2015 # either failing fails
dd ibs=1 count="$cwd_length" of="$J/cwd" 2>/dev/null &&
	dd ibs=1 count="$worker_length" of="$J/worker" 2>/dev/null || fail 91
if [ "$env_length" -gt 0 ]; then dd ibs=1 count="$env_length" of="$J/env" 2>/dev/null || fail 91; fi
if [ "$on_end_length" -gt 0 ]; then dd ibs=1 count="$on_end_length" of="$J/on_end" 2>/dev/null || fail 91; fi
cat >"$J/cmd.new" || fail 91

# whole FILE LENGTH: whether FILE arrived with all its LENGTH bytes.
whole() {
	z=$(stat -c %s "$1" 2>/dev/null || wc -c <"$1" 2>/dev/null)
	[ "$((z + 0))" -eq "$2" ]
}
V=0
if [ "$env_length" -gt 0 ]; then whole "$J/env" "$env_length" || V=1; fi
if [ "$on_end_length" -gt 0 ]; then whole "$J/on_end" "$on_end_length" || V=1; fi
if whole "$J/cwd" "$cwd_length" && whole "$J/worker" "$worker_length" &&
	whole "$J/cmd.new" "$command_length" && [ $V = 0 ]; then
	:
else
	echo "p: the files of the job arrived incomplete (the connection broke?); it was not started" >&2
	fail 91
fi
if [ "$once" = 1 ]; then
	if ln "$J/cmd.new" "$J/cmd" 2>/dev/null; then
		rm -f "$J/cmd.new"
	elif [ -e "$J/cmd" ]; then
		rm -f "$J/cmd.new"
		echo "p: job $id was already started, by another submit with the same key" >&2
		exit 97
	else
		fail 91
	fi
else
	mv -f "$J/cmd.new" "$J/cmd" || fail 91
fi
printf "#!/bin/sh\n%s\n" "$wrapper" >"$J/run" || fail 91
if [ -n "$retry" ]; then echo "$retry" >"$J/retry" || fail 91; fi
: >"$J/output.log" || fail 91
if [ "$separate_stderr" = 1 ]; then : >"$J/stderr.log" || fail 91; fi
cat /proc/sys/kernel/random/boot_id >"$J/boot_id" 2>/dev/null || rm -f "$J/boot_id"

# With a cap on the logs: proves the worker can punch a hole in a file beside the job's
# logs, then writes the cap to max_log; otherwise the job is not started.
if [ "$max_log" -gt 0 ]; then
	if can_punch "$J/.punch"; then
		rm -f "$J/.punch"
		echo "$max_log" >"$J/max_log" || fail 91
	else
		rm -f "$J/.punch"
		echo "p: --max-log needs fallocate --punch-hole (util-linux) on the worker, and a file system that can punch holes; the job was not started" >&2
		fail 95
	fi
fi
