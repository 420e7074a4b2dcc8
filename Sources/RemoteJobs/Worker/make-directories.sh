# shellcheck shell=sh
# Prepares a work directory for a copy and makes the plan's directories, in one exec for a
# whole tree (SFTP needs a round trip per directory) (MakeDirectoriesScript). Stdin holds
# first the paths to remove (stale_length bytes), then one record per directory,
# MODE/PATH, parents before children; all NUL-separated, since any byte but NUL is fine in
# a name.
#
# Arguments: workdir, job (R/jobs/ID, which holds the lists), stale_length, in_place (1: a
# persistent work directory a job has used), spare (R/spares/ID: the spare copy of the
# last work directory to take as this one, if any; see make-spare.sh), directory_pass and
# stale_pass (the texts of make-directories-pass.sh and make-directories-stale.sh, which
# xargs runs).
#
# A fresh work directory takes the spare copy by renaming it (when no work directory is
# there yet), after waiting for the copy to be finished if it is still being made (it
# ends sooner than a copy started now would); the stale paths are then removed from it as
# in place, and the caller checks what is right in it.
#
# In place, nothing is written through a symbolic link the last job planted: the work
# directory itself is made a directory again if it is not one; a removed path is skipped
# when a directory above it is a link (what is behind it is not the work directory's);
# and every planned directory that is a link (or any other non-directory) is removed
# before the directories are made, so no later step passes through it.
#
# Prints NUL-terminated records: "lPATH" for each link replaced, "tTOOL" for the copying
# tools (rsync, tar) the worker has, "s" when the spare copy was taken.
# The arguments (lib/args.sh).
: "${job=}" "${in_place=}" "${workdir=}" "${stale_length=}" "${stale_pass=}" "${directory_pass=}" "${spare=}"
umask 077
K=$in_place
mkdir -p "$job" && L=$(cd "$job" && pwd)/dirs || exit 1
if [ -n "$spare" ] && [ ! -e "$workdir" ] && mkdir -p "${workdir%/*}"; then
	n=0
	while [ -f "$spare.making" ] && [ $n -lt 1500 ] && kill -0 "$(cat "$spare.making" 2>/dev/null)" 2>/dev/null; do
		sleep 0.02
		n=$((n + 1))
	done
	if [ -d "$spare" ] && [ ! -L "$spare" ] && mv "$spare" "$workdir" 2>/dev/null; then
		K=1
		printf "s\000"
	fi
fi
if [ "$K" = 1 ] && { [ -L "$workdir" ] || { [ -e "$workdir" ] && [ ! -d "$workdir" ]; }; }; then
	rm -f "$workdir" && printf "l.\000"
fi
mkdir -p "$workdir" && cd "$workdir" || exit 1
head -c "$stale_length" >"$L.stale"
cat >"$L.all"
if [ "$K" = 1 ]; then
	xargs -0 -r sh -c "$stale_pass" sh <"$L.stale" | xargs -0 -r rm -rf --
fi
I=$K xargs -0 -r sh -c "$directory_pass" "$L" <"$L.all"
c=0
for f in "$L".[0-7]*; do
	if [ -f "$f" ]; then
		xargs -0 -r mkdir -p -- <"$f" && xargs -0 -r chmod "${f##*.}" -- <"$f" || c=1
		rm -f "$f"
	fi
done
rm -f "$L.all" "$L.stale"
for t in rsync tar; do
	if command -v $t >/dev/null 2>&1; then printf "t%s\000" $t; fi
done
exit $c
