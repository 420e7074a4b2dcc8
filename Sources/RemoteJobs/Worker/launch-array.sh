# shellcheck shell=sh
# Starts the elements of a job array that one worker runs (LaunchArrayScript), in one
# exec: each element is a job that launch.sh starts, as for any job, through the worker's
# queue (its J/group holds the array and its cap here), so each starts as the slots and the
# cap allow and no client is needed from here on.
#
# Arguments: root, ids (the elements' job ids, in the order they start, separated by
# blanks), base (the name under R/workdirs of the work directory the array's directory was
# synced into, the first element's; empty when nothing was synced), links (1: the other
# elements' work directories hard-link its files instead of copying them), launch (the
# text of launch.sh with its start, lib/begin.sh), then "--" and the words launch.sh gets
# for every element. Stdin holds, for each element in order, a line "LENGTH ENV_LENGTH
# COMMAND_LENGTH" and LENGTH bytes: launch.sh's stdin for that element.
#
# On a Slurm worker (task: the text of slurm-array-task.sh; launch: slurm-launch.sh's),
# each element's launch only makes its files, and the elements that have them are then
# submitted as one Slurm job array: the ids in R/arrays/ARRAY.ids, the batch script in
# R/arrays/ARRAY.task, `sbatch --array=0-N[%CAP]` with the options in sbatch (one per
# line), Slurm's own messages in R/arrays/ARRAY.K.log; each element's Slurm id (ID_K) goes
# to its slurm_id, and its line says "p-element ID 0 ID_K". A refused submission fails
# every element with sbatch's message (code 95) and removes their files.
#
# The other elements' work directories are copies of the base made before any element is
# queued, so none is a copy of a directory an element already ran in. Prints a line
# "p-element ID CODE MESSAGE" per element: CODE is launch.sh's exit code (0: queued), or 90
# when its work directory could not be made; MESSAGE what it said, on one line (for an
# element handed to Slurm, its Slurm id). Exit codes:
# 90 (the root cannot be made), 91 (stdin ended early).
# The arguments (lib/args.sh).
: "${root=}" "${ids=}" "${base=}" "${links=}" "${launch=}" "${array=}" "${cap=}" "${task=}" "${sbatch=}"
umask 077
mkdir -p "$root/jobs" || exit 90
# Absolute: a Slurm task starts elsewhere, and reads the paths it is given.
R=$(cd "$root" && pwd) || exit 90
F=$R/.array-input.$$
B=$R/workdirs/$base
o="-pRP --reflink=auto"
if [ "$links" = 1 ]; then o=-pRPl; fi

# A work directory per element: made (copied from the base) before any element starts;
# X lists the elements whose copy failed.
X=
Y=
for i in $ids; do
	if [ -n "$base" ] && [ "$i" != "$base" ]; then
		# shellcheck disable=SC2086 # $o holds the copy's options, as words
		if mkdir -p "$R/jobs/$i" "$R/workdirs/$i" &&
			{ cp $o "$B/." "$R/workdirs/$i/" 2>/dev/null || cp -pRP "$B/." "$R/workdirs/$i/"; }; then
			:
		else
			rm -rf "$R/jobs/$i" "$R/workdirs/$i"
			X="$X $i "
		fi
	fi
done

if [ -n "$base" ]; then q=1; else q=0; fi
for i in $ids; do
	read -r Z E C || exit 91
	dd ibs=1 count="$Z" of="$F" 2>/dev/null || exit 91
	case $X in
	*" $i "*)
		echo "p-element $i 90 its work directory could not be copied from the first element (is the disk full?)"
		continue
		;;
	esac
	c=0
	e=$(sh -c "$launch" sh - "$@" id="$i" workdir="$i" prepared=$q env_length="$E" command_length="$C" <"$F" 2>&1 >/dev/null) || c=$?
	e=$(printf "%s\n" "$e" | grep -v "^p-" | tr "\n" " ")
	if [ -n "$task" ] && [ $c = 0 ]; then
		Y="$Y $i"
	else
		echo "p-element $i $c $e"
	fi
done
rm -f "$F"
if [ -z "$task" ] || [ -z "$Y" ]; then exit 0; fi

# One Slurm job array for the elements whose files are made.
A=$R/arrays/$array
mkdir -p "$R/arrays" || exit 90
n=0
: >"$A.ids"
for i in $Y; do
	echo "$i" >>"$A.ids"
	n=$((n + 1))
done
printf "#!/bin/sh\n%s\n" "$task" >"$A.task" || exit 90
s=0-$((n - 1))
case $cap in "" | 0 | *[!0-9]*) ;; *) s=$s%$cap ;; esac
# The options, one per line, as words (split at newlines only, never globbed).
N=$(printf "\n_")
N=${N%_}
IFS=$N
set -f
# shellcheck disable=SC2086 # split at newlines on purpose
set -- $sbatch
set +f
unset IFS
if B=$(sbatch --parsable --array="$s" --job-name "p-${array%%-*}" --chdir "$R" --output "$A.%a.log" \
	--open-mode append "$@" "$A.task" root="$R" array="$array" 2>"$A.err"); then
	B=${B%%;*}
else
	B=
fi
case $B in
"" | *[!0-9]*)
	e=$(tr "\n" " " <"$A.err")
	for i in $Y; do
		rm -rf "$R/jobs/$i" "$R/workdirs/$i"
		echo "p-element $i 95 sbatch refused the array: ${e:-it printed no job id}"
	done
	rm -f "$A.ids" "$A.task" "$A.err"
	exit 0
	;;
esac
rm -f "$A.err"
k=0
for i in $Y; do
	echo "${B}_$k" >"$R/jobs/$i/slurm_id"
	echo "p-element $i 0 ${B}_$k"
	k=$((k + 1))
done
