# shellcheck shell=sh
# Checks that a Slurm cluster runs p's jobs (SlurmProbeScript): submits a tiny job that
# writes into p's root, and waits (bounded) for its file to appear on the login node.
# Prints one line "slurm OUTCOME SLURM_ID DETAIL": "ran ID NODE" once the probe job's file
# (its node's host name) appeared in R/probe; "queued ID STATE:REASON" when it was still
# waiting at the end (it is cancelled); "not-shared ID STATE:REASON" when Slurm ended it
# (or it ran) without the file appearing (cancelled too); "refused - MESSAGE" (sbatch's);
# "missing" without sbatch; "no-root" when the root cannot be made. Leaves nothing behind.
#
# Arguments: root, wait (seconds), then "--" and the sbatch options.
# The arguments (lib/args.sh).
: "${root=}" "${wait=}"
R=$root
w=$wait
umask 077
J=$R
. lib/facts.sh
if ! command -v sbatch >/dev/null 2>&1; then
	echo "slurm missing"
	exit 0
fi
if mkdir -p "$R/probe" && R=$(cd "$R" && pwd); then
	:
else
	echo "slurm no-root"
	exit 0
fi
f=$R/probe/$(date +%s)-$$
printf "#!/bin/sh\nhostname > \"\$1.tmp\" && mv \"\$1.tmp\" \"\$1\"\n" >"$f.sh"
if N=$(sbatch --parsable --job-name p-probe --chdir "$R/probe" --output /dev/null "$@" "$f.sh" "$f" 2>"$f.err"); then
	:
else
	printf "slurm refused - %s\n" "$(tr "\n" " " <"$f.err")"
	rm -f "$f.sh" "$f.err"
	exit 0
fi
N=${N%%;*}
n=0
while [ ! -s "$f" ] && [ $n -lt $((w * 5)) ]; do
	sleep 0.2
	n=$((n + 1))
	if [ $((n % 5)) = 0 ]; then
		sq "$N"
		if ! slurm_live "$Q"; then
			# Ended: its file may still be on its way through the shared file system.
			n=0
			while [ ! -s "$f" ] && [ $n -lt 10 ]; do
				sleep 0.2
				n=$((n + 1))
			done
			break
		fi
	fi
done
if [ -s "$f" ]; then
	read -r h <"$f"
	printf "slurm ran %s %s\n" "$N" "$h"
else
	sq "$N"
	scancel "$N" 2>/dev/null
	if slurm_waiting "$Q"; then
		printf "slurm queued %s %s\n" "$N" "$Q"
	else
		printf "slurm not-shared %s %s\n" "$N" "$Q"
	fi
fi
rm -f "$f" "$f.sh" "$f.err" "$f.tmp"
rmdir "$R/probe" 2>/dev/null
:
